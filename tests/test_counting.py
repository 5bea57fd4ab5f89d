"""Counts that mean what was typed (search/counting.py), through the app on the sample.

The sample (data/sample/README.md): ``000`` names Nguyễn Văn Phong, ``015`` is about
Nguyễn Văn Phóng; ``017`` and others hold ``nguyễn``, ``văn`` and ``phong`` apart.
"""

from __future__ import annotations

import csv
import html
import io
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.conftest import searcher_of
from tests.site_app import get
from tests.site_dom import parse

SEED = "000_2ebd19a772751180"
PHONG_ARTICLES = {SEED, "015_c1fc0573109c2e48"}


def follow(client, href: str):
    """GET a link of a page as a browser would (the href as written in the HTML)."""
    parts = urlsplit(html.unescape(href))
    response = client.simulate_get(parts.path, query_string=parts.query)
    assert response.status_code == 200, response.text[:300]
    return response


def csv_rows(response) -> list[dict]:
    assert response.content.startswith(b"\xef\xbb\xbf"), "a UTF-8 byte-order mark, for Excel"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def total_of(page) -> int:
    return int(page.find("h2", id="coverage-total").find("span", class_="total").text.split()[0].replace(".", ""))


# --- the coverage view reads a name as one phrase ------------------------------------------------


def test_coverage_counts_the_name_and_its_csv_holds_exactly_those(client, searcher):
    page = get(client, "/coverage", q="nguyen van phong")
    every_word = searcher.search("nguyen van phong", per_page=100)
    assert total_of(page) == 2 < every_word.total  # 017 holds the syllables apart: not counted
    assert page.find("p", class_="counted").text.startswith("Số bài viết nhắc đến cụm từ “nguyen van phong”")
    listed = {li.find("a").attrs["href"].split("/")[2].split("?")[0] for li in page.find_all("li", class_="hit")}
    assert listed == PHONG_ARTICLES
    rows = csv_rows(follow(client, page.find("a", class_="button").attrs["href"]))
    assert {row["id"] for row in rows} == PHONG_ARTICLES and len(rows) == 2

    # The link to count all the words instead.
    other = page.find("p", class_="counted").find("a")
    assert dict(parse_qsl(urlsplit(html.unescape(other.attrs["href"])).query))["match"] == "all"
    all_words = parse(follow(client, other.attrs["href"]).text)
    assert total_of(all_words) == every_word.total
    assert csv_rows(follow(client, all_words.find("a", class_="button").attrs["href"])).__len__() == every_word.total


def test_coverage_splits_a_folded_name_over_its_spellings_each_a_link(client):
    page = get(client, "/coverage", q="nguyen van phong")
    entries = page.find("section", class_="spellings").find_all("li")
    found = {li.find("span", class_="spelling").text: li for li in entries}
    assert set(found) == {"Nguyễn Văn Phong", "Nguyễn Văn Phóng"}
    assert all(li.find("span", class_="count").text == "1 bài viết" for li in entries)
    narrowed = parse(follow(client, found["Nguyễn Văn Phóng"].find("a").attrs["href"]).text)
    assert total_of(narrowed) == 1
    assert narrowed.find("li", class_="hit").find("a").attrs["href"].startswith("/articles/015_c1fc0573109c2e48")
    assert not narrowed.find_all("section", class_="spellings")  # typed with diacritics: one spelling


def test_coverage_of_an_accented_name_offers_the_other_spellings_apart(client):
    page = get(client, "/coverage", q="Nguyễn Văn Phong")
    assert total_of(page) == 1  # 000; 015 writes Phóng
    assert "đúng dấu đã gõ" in page.find("p", class_="counted").text
    remainder = page.find("p", class_="remainder").find("a")
    assert remainder.text == "1 bài viết khác khớp khi bỏ dấu"
    opened = parse(follow(client, remainder.attrs["href"]).text)
    assert total_of(opened) == 2
    rows = csv_rows(follow(client, opened.find("a", class_="button").attrs["href"]))
    assert {row["id"] for row in rows} == PHONG_ARTICLES


def test_operators_keep_their_meaning_in_the_coverage_view(client):
    for q in ('"nguyen van" phong', "author:Huy Kiên", "nguyen OR phong", "nguyen van -phong", "nguyen van phon*"):
        page = get(client, "/coverage", q=q)
        searched = client.simulate_get("/api/search", params={"q": q, "per_page": 1}).json
        assert total_of(page) == searched["total"], q
        assert page.find("p", class_="counted").text.startswith("Số bài viết khớp với truy vấn"), q


def test_the_export_round_trips_vietnamese_text(client, searcher):
    rows = csv_rows(client.simulate_get("/api/search/export", params={"q": "Nguyễn Văn Phóng", "match": "phrase"}))
    assert [row["id"] for row in rows] == ["015_c1fc0573109c2e48"]
    assert rows[0]["title"] == searcher.document("015_c1fc0573109c2e48")["title"]
    assert any(ch in rows[0]["title"] for ch in "ờổẩậ")  # Vietnamese text, not mojibake


# --- the same for other services ---------------------------------------------------------------


def test_match_phrase_on_the_api_and_its_export(client):
    def search(**params):
        return client.simulate_get("/api/search", params={"q": "nguyen van phong", "per_page": 100, **params}).json

    phrase, words, default = search(match="phrase"), search(match="all"), search()
    assert default["total"] == words["total"] > phrase["total"] == 2
    assert phrase["match"] == "phrase" and words["match"] == "all"
    assert {h["id"] for h in phrase["hits"]} == PHONG_ARTICLES
    assert sum(f["count"] for f in phrase["facets"]["year"]) == 2
    exported = client.simulate_get("/api/search/export", params={"q": "nguyen van phong", "match": "phrase"})
    assert {row["id"] for row in csv_rows(exported)} == PHONG_ARTICLES
    for name in ("match", "diacritics"):
        bad = client.simulate_get("/api/search", params={"q": "x", name: "fuzzy"})
        assert bad.status_code == 400 and bad.json["parameter"] == name
        assert client.simulate_get("/api/search/export", params={"q": "x", name: "fuzzy"}).status_code == 400
        assert client.simulate_get("/api/coverage", params={"q": "x", name: "fuzzy"}).status_code == 400
        assert get(client, "/coverage", 400, q="x", **{name: "fuzzy"}).find("h1").text == "Yêu cầu chưa hợp lệ"


def test_coverage_numbers_as_json_are_the_pages(client):
    body = client.simulate_get("/api/coverage", params={"q": "nguyen van phong"}).json
    assert body["match"] == "phrase" and body["total"] == 2
    assert sum(m["count"] for m in body["months"]) + body["undated"] == body["total"]
    months = [m["month"] for m in body["months"]]
    assert months == sorted(months) and all(len(m) == 7 for m in months)
    assert {(s["text"], s["count"]) for s in body["spellings"]} == {("Nguyễn Văn Phong", 1), ("Nguyễn Văn Phóng", 1)}
    page = get(client, "/coverage", q="nguyen van phong")
    assert total_of(page) == body["total"]
    words = client.simulate_get("/api/coverage", params={"q": "nguyen van phong", "match": "all"}).json
    assert words["match"] == "all" and words["total"] > body["total"] and words["spellings"] == []


# --- a query typed with diacritics counts its exact matches --------------------------------------


def test_an_accented_query_counts_its_exact_matches_and_offers_the_rest(client, searcher):
    exact = searcher.search("dân vận", per_page=100)
    everything = searcher.search("dân vận", per_page=100, diacritics="any")
    assert exact.diacritics == "exact" and exact.folded_only > 0
    assert everything.total == exact.total + exact.folded_only
    # Facets describe the exact matches only.
    assert sum(f["count"] for f in exact.facets["year"]) == exact.total
    # Each counted article holds both syllables with their diacritics.
    for hit in exact.hits:
        doc = searcher.document(hit.id)
        text = " ".join([doc["title"], doc["summary"], doc["body"], *doc["captions"], doc["author"]]).lower()
        assert "dân" in text and "vận" in text, hit.id
    # Opened, the remainder comes after them, every exact match first.
    assert [h.id for h in everything.hits[: exact.total]] == [h.id for h in exact.hits]

    page = get(client, "/", q="dân vận")
    remainder = page.find("p", class_="remainder").find("a")
    assert remainder.text == f"{exact.folded_only} bài viết khác khớp khi bỏ dấu"
    opened = parse(follow(client, remainder.attrs["href"]).text)
    assert f"trong {everything.total} bài viết" in opened.find("p", id="results-summary").text
    assert opened.find("p", class_="remainder").text.startswith(f"Gồm cả {exact.folded_only} bài viết")
    api = client.simulate_get("/api/search", params={"q": "dân vận"}).json
    assert (api["total"], api["diacritics"], api["folded_only"]) == (exact.total, "exact", exact.folded_only)


def test_a_wrong_accent_falls_back_to_the_folded_matches(client, searcher):
    wrong = searcher.search("Nguyễn Văn Phông", per_page=100)
    folded = searcher.search("nguyen van phong", per_page=100)
    assert wrong.total == folded.total and wrong.diacritics == "any" and wrong.folded_only == 0
    assert wrong.did_you_mean == "Nguyễn Văn Phong"
    assert wrong.phrase_total is None
    page = get(client, "/coverage", q="Nguyễn Văn Phông")
    assert total_of(page) == 2  # the folded phrase
    assert "Không bài nào viết đúng “Nguyễn Văn Phông”" in page.find("p", class_="did-you-mean").text
    spellings = {span.text for span in page.find_all("span", class_="spelling")}
    assert spellings == {"Nguyễn Văn Phong", "Nguyễn Văn Phóng"}


def test_a_query_without_diacritics_counts_every_match(searcher):
    result = searcher.search("dan van", per_page=1)
    assert result.diacritics == "any" and result.folded_only == 0


# --- the reader's page says how many hold a name as a phrase -----------------------------------------


def test_the_search_page_says_how_many_hold_a_name(client, searcher):
    for q, expected in (("nguyen van phong", 2), ("Nguyễn Văn Phong", 1)):
        result = searcher.search(q)
        assert result.match == "all" and result.phrase_total == expected, q
        note = get(client, "/", q=q).find("p", class_="phrase-count")
        assert note.text.startswith(f"{expected} bài viết nhắc đến đúng cụm từ “{q}”"), q
        assert urlsplit(html.unescape(note.find("a").attrs["href"])).path == "/coverage"
    # Not a name: lower-case words the index does not write as a name.
    assert searcher.search("dân vận").phrase_total is None
    assert not get(client, "/", q="dan van").find_all("p", class_="phrase-count")


# --- generated articles: a typo the archive holds ------------------------------------------------


@pytest.fixture(scope="module")
def typo_searcher(tmp_path_factory):
    """Six articles about Đà Nẵng, one of them writing it with a wrong accent (Đà Nẳng)."""
    articles = [
        {"id": f"dn-{i}", "title": f"Tin số {i}", "body": f"Hôm nay ở Đà Nẵng trời đẹp, bài {i}."} for i in range(5)
    ]
    articles.append({"id": "typo", "title": "Tin gõ sai", "body": "Hôm nay ở Đà Nẳng trời đẹp."})
    return searcher_of(tmp_path_factory.mktemp("typo"), articles)


def test_a_typo_few_articles_hold_is_counted_and_corrected(typo_searcher):
    for match, offered in (("all", "Đà Nẵng"), ("phrase", '"Đà Nẵng"')):
        exact = typo_searcher.search("Đà Nẳng", match=match)
        assert (exact.total, exact.folded_only, exact.diacritics) == (1, 5, "exact"), match
        assert [h.id for h in exact.hits] == ["typo"] and exact.did_you_mean == offered, match
        opened = typo_searcher.search("Đà Nẳng", match=match, diacritics="any")
        assert opened.total == 6 and opened.hits[0].id == "typo", match  # the spelling typed first
    correct = typo_searcher.search("Đà Nẵng", match="phrase")
    assert (correct.total, correct.folded_only, correct.did_you_mean) == (5, 1, None)


# --- generated articles: a wrong tone mark that is a word too --------------------------------------


@pytest.fixture(scope="module")
def tone_searcher(tmp_path_factory):
    """Forty articles about Hà Nội, and three holding *Hà* (a name) and *nôi* (a cradle) apart."""
    articles = [
        {"id": f"hn-{i}", "title": f"Tin số {i}", "body": f"Hôm nay ở Hà Nội trời đẹp, bài {i}."} for i in range(40)
    ]
    articles += [
        {"id": f"cradle-{i}", "title": f"Chuyện nhà {i}", "body": "Bà Hà mua một cái nôi cho cháu."} for i in range(3)
    ]
    return searcher_of(tmp_path_factory.mktemp("tone"), articles)


def test_a_wrong_tone_mark_that_is_a_word_too_is_offered_as_the_archive_writes_it(tone_searcher):
    typo = tone_searcher.search("hà nôi")
    # What was typed is still what is counted and shown: the three articles holding both words.
    assert (typo.total, typo.folded_only, typo.diacritics) == (3, 40, "exact")
    assert {h.id for h in typo.hits} == {"cradle-0", "cradle-1", "cradle-2"}
    assert typo.did_you_mean == "hà nội" and typo.showing_results_for is None
    assert tone_searcher.search("Hà nôi").did_you_mean == "Hà nội"  # the reader's capitals kept
    # Not offered: the words found side by side as typed, one word alone, a name as spelled.
    assert tone_searcher.search("cái nôi").did_you_mean is None
    assert tone_searcher.search("hà nội").did_you_mean is None
    assert tone_searcher.search("nôi").did_you_mean is None
    assert tone_searcher.search("Hà Nôi").did_you_mean is None
