"""The readers' search page, rendered on the server (no JavaScript), on the 25-article sample.

Expected numbers come from the searcher itself (the page must show what the
search found), or from properties the sample's README documents.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.site_app import get
from tests.site_dom import parse

SEED = "000_2ebd19a772751180"
DATE_TIME = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$")


def follow(client, href: str, status: int = 200):
    parts = urlsplit(href)
    response = client.simulate_get(parts.path, query_string=parts.query or None)
    assert response.status_code == status
    return parse(response.text)


def query(href: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(href).query)


def hits(page):
    return page.find("ol", class_="hits").find_all("li", class_="hit")


def test_dan_van_puts_the_seed_first_with_marked_words(client, searcher):
    page = get(client, "/", q="dan van")
    result = searcher.search("dan van")
    first = hits(page)[0]
    link = first.find("h2").find("a")
    assert link.attrs["href"] == f"/articles/{SEED}?q=dan+van"
    assert "<mark>Dân vận</mark>" in link.html
    assert "<mark>" in first.find("p", class_="snippet").html
    assert DATE_TIME.match(first.find("time").text)
    assert first.find("time").text == "13/01/2022 14:23"
    summary = page.by_id("results-summary").text
    assert summary.startswith(f"Hiển thị 1–{len(result.hits)} trong {result.total} bài viết")
    assert len(hits(page)) == len(result.hits)
    assert page.find("title").text.startswith("dan van")
    assert page.find("input", name="q").attrs["value"] == "dan van"


def test_the_page_is_well_formed_and_accessible(client):
    response = client.simulate_get("/", params={"q": "dan van"})
    page = parse(response.text)  # strict: raises on broken markup
    assert page.find("html").attrs["lang"] == "vi"
    assert len(page.find_all("main")) == 1 and len(page.find_all("h1")) == 1
    assert page.find("form", role="search")
    assert page.find("a", class_="skip-link").attrs["href"] == "#main"
    ids = [e.attrs["id"] for e in page.iter() if "id" in e.attrs]
    assert len(ids) == len(set(ids)), "duplicate ids"
    labelled = {label.attrs.get("for") for label in page.find_all("label")}
    for field in page.find_all("input") + page.find_all("select"):
        if field.attrs.get("type") != "hidden":
            assert field.attrs.get("id") in labelled, field.attrs
    for nav in page.find_all("nav"):
        assert nav.attrs.get("aria-label") or nav.attrs.get("aria-labelledby")
    # Nothing inline for the Content-Security-Policy to allow.
    assert not page.find_all("script", src=None)
    assert not [e for e in page.iter() if "style" in e.attrs or any(a.startswith("on") for a in e.attrs)]
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_year_histogram_shows_the_year_facet_and_filters_on_click(client, searcher):
    page = get(client, "/", q="dan van")
    facets = searcher.search("dan van").facets
    years = {f["value"]: f["count"] for f in facets["year"]}
    timeline = page.find("nav", class_="timeline")
    bars = {a.find("span", class_="bar-label").text: a for a in timeline.find_all("a")}
    assert {y: int(a.find("span", class_="bar-count").text) for y, a in bars.items()} == {
        y: c for y, c in years.items() if y.isdigit()
    }
    assert timeline.find("p", class_="undated").text == f"Không rõ ngày: {years['undated']} bài viết"

    year_page = follow(client, bars["2022"].attrs["href"])
    assert ("from", "2022-01-01") in query(bars["2022"].attrs["href"])
    assert ("to", "2022-12-31") in query(bars["2022"].attrs["href"])
    assert all(h.find("time").text.endswith("/2022") or "/2022 " in h.find("time").text for h in hits(year_page))
    assert year_page.by_id("timeline-heading").text == "Theo tháng, năm 2022"
    months = year_page.find("ol", class_="bars").find_all("li")
    assert [m.find("span", class_="bar-label").text for m in months] == [f"T{m}" for m in range(1, 13)]
    chip = year_page.find("a", class_="chip")
    assert "năm 2022" in chip.text
    assert query(chip.attrs["href"]) == [("q", "dan van")]

    # A month, then the days of that month.
    january = year_page.find("ol", class_="bars").find("a")
    month_page = follow(client, january.attrs["href"])
    assert month_page.by_id("timeline-heading").text == "Theo ngày, tháng 1/2022"
    assert "tháng 1/2022" in month_page.find("a", class_="chip").text
    assert {h.find("h2").find("a").attrs["href"].split("?")[0] for h in hits(month_page)} == {f"/articles/{SEED}"}


def test_pagination_reaches_every_hit_once(client, searcher):
    total = searcher.search("dan van").total
    seen, href = [], "/?q=dan+van"
    while href:
        page = follow(client, href)
        seen += [h.find("h2").find("a").attrs["href"] for h in hits(page)]
        current = page.find("nav", class_="pagination").find("a", aria_current="page")
        assert current.text == str(len(seen) // 10 + (len(seen) % 10 > 0))
        following = page.find("nav", class_="pagination").find_all("a", rel="next")
        href = following[0].attrs["href"] if following else None
    assert len(seen) == total == len(set(seen))
    assert hits(follow(client, "/?q=dan+van&page=2"))[0].find("article") is not None
    assert follow(client, "/?q=dan+van&page=2").find("ol", class_="hits").attrs["start"] == "11"


def test_sort_by_newest_and_oldest(client):
    def stamps(page):
        return [t.attrs["datetime"] for h in hits(page) for t in h.find_all("time")]

    newest = stamps(get(client, "/", q="dan van", sort="newest"))
    oldest = stamps(get(client, "/", q="dan van", sort="oldest"))
    assert newest == sorted(newest, reverse=True) and len(newest) > 3
    assert oldest == sorted(oldest)
    page = get(client, "/", q="dan van", sort="newest")
    assert "selected" in page.find("option", value="newest").attrs
    assert "selected" not in page.find("option", value="relevance").attrs
    # Changing the sort keeps the words and filters, and leaves the page number out.
    form = page.find("form", class_="sort")
    kept = {(i.attrs["name"], i.attrs["value"]) for i in form.find_all("input", type="hidden")}
    assert kept == {("q", "dan van")}


def test_author_and_source_facets_filter_and_chips_remove(client, searcher):
    page = get(client, "/", q="dan van")
    authors = page.find("section", class_="facet", aria_labelledby="facet-author")
    link = next(a for a in authors.find_all("a") if a.find("span", class_="facet-value").text == "Huy Kiên")
    filtered = follow(client, link.attrs["href"])
    expected = searcher.search("dan van", author="Huy Kiên").total
    assert len(hits(filtered)) == min(expected, 10)
    assert all("Huy Kiên" in h.find("p", class_="hit-meta").text for h in hits(filtered))
    chosen = filtered.find("section", aria_labelledby="facet-author").find("a", aria_current="true")
    assert "Huy Kiên" in chosen.text
    assert query(chosen.attrs["href"]) == [("q", "dan van")]  # choosing it again removes it
    chip = filtered.find("a", class_="chip")
    assert chip.attrs["aria-label"] == "Bỏ lọc Tác giả: Huy Kiên"
    assert query(chip.attrs["href"]) == [("q", "dan van")]
    # The header's box keeps the filter when the words change.
    header_form = filtered.by_id("site-search")
    assert [(i.attrs["name"], i.attrs["value"]) for i in header_form.find_all("input", type="hidden")] == [
        ("author", "Huy Kiên")
    ]

    sources = page.find("section", aria_labelledby="facet-source")
    hnp = sources.find("a")
    assert query(hnp.attrs["href"]) == [("q", "dan van"), ("source", "hnp")]


def test_several_filters_show_as_chips_with_a_clear_all(client):
    page = get(client, "/", q="dan van", author=["Huy Kiên", "Minh Anh"], **{"from": "2019-01-01", "to": "2021-06-30"})
    chips = [a.text for a in page.find("div", class_="chips").find_all("a", class_="chip")]
    assert chips == ["Thời gian: 01/01/2019 – 30/06/2021 ×", "Tác giả: Huy Kiên ×", "Tác giả: Minh Anh ×"]
    clear = page.find("a", class_="chip-clear")
    assert query(clear.attrs["href"]) == [("q", "dan van")]
    date_form = page.find("form", class_="dates")
    assert date_form.find("input", name="from").attrs["value"] == "2019-01-01"


def test_undated_articles_say_so(client):
    page = get(client, "/", q="dịch vụ công trực tuyến thủ tục hành chính")
    undated = [h for h in hits(page) if h.find_all("span", class_="unknown")]
    assert undated, "020 (undated) should be among these results"
    assert undated[0].find("span", class_="unknown").text == "không rõ ngày"


def test_no_results_page_offers_ways_out(client):
    page = get(client, "/", q="zzxxqqj")
    assert page.by_id("results-summary").text == "Không tìm thấy bài viết nào"
    box = page.find("div", class_="no-results")
    assert "zzxxqqj" in box.text and len(box.find_all("li")) >= 2
    assert not page.find_all("ol", class_="hits")

    filtered = get(client, "/", q="dan van", author="Lê Hương", **{"from": "2019-01-01", "to": "2019-12-31"})
    tip = next(a for a in filtered.find("div", class_="no-results").find_all("a") if "mọi bài" in a.text)
    assert query(tip.attrs["href"]) == [("q", "dan van")]
    assert "21 bài viết" in tip.text or re.search(r"\(\d+ bài viết\)", tip.text)
    # The chosen author stays visible (and removable) in its facet.
    facet = filtered.find("section", aria_labelledby="facet-author")
    assert "Lê Hương" in facet.find("a", aria_current="true").text


def test_a_page_past_the_end_says_so(client):
    page = get(client, "/", q="dan van", page="40")
    assert "Về trang đầu" in page.find("p", class_="notice").text


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"page": "abc"}, "Số trang"),
        ({"page": "0"}, "Số trang"),
        ({"sort": "bogus"}, "sắp xếp"),
        ({"from": "2022-13-01"}, "năm-tháng-ngày"),
        ({"from": "2023-01-01", "to": "2022-01-01"}, "ngày bắt đầu"),
        ({"to": "yesterday"}, "năm-tháng-ngày"),
    ],
)
def test_a_bad_parameter_is_a_friendly_400(client, params, words):
    page = get(client, "/", 400, q="dan van", **params)
    assert page.find("h1").text == "Yêu cầu chưa hợp lệ"
    assert words in page.find("div", class_="error-page").text
    retry = page.find("div", class_="error-page").find("a")
    fixed = follow(client, retry.attrs["href"])
    assert fixed.find("ol", class_="hits")


def test_queries_are_escaped_everywhere(client):
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    response = client.simulate_get("/", params={"q": hostile})
    assert response.status_code == 200
    assert "<script>alert" not in response.text and "<img" not in response.text
    page = parse(response.text)
    assert page.find("input", name="q").attrs["value"] == hostile
    assert hostile in page.find("h1").text
    assert not page.find_all("img")
    assert [s.attrs["src"].split("?")[0] for s in page.find_all("script")] == ["/assets/site.js"]


def test_the_article_that_quotes_a_script_is_escaped_in_results(client):
    response = client.simulate_get("/", params={"q": "alert"})
    assert "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;" in response.text
    assert "<script>alert" not in response.text
    page = parse(response.text)
    assert "<script>alert(1)</script>" in hits(page)[0].find("p", class_="snippet").text


def test_browsing_without_words_lists_the_newest(client, searcher):
    page = get(client, "/")
    assert page.find("h1").text == "Tin bài mới nhất"
    assert len(hits(page)) == len(searcher.search("").hits)
    stamps = [h.find("time").attrs["datetime"] for h in hits(page) if h.find_all("time")]
    assert stamps == sorted(stamps, reverse=True)


def test_assets_are_served_by_the_app_and_cached_by_version(client):
    page = get(client, "/")
    css = page.find("link", rel="stylesheet").attrs["href"]
    path, version = css.split("?v=")
    response = client.simulate_get(path, params={"v": version})
    assert response.status_code == 200 and response.headers["content-type"] == "text/css; charset=utf-8"
    assert "immutable" in response.headers["cache-control"]
    again = client.simulate_get(path, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    script = page.find("script").attrs["src"].split("?")[0]
    assert client.simulate_get(script).headers["content-type"] == "text/javascript; charset=utf-8"
    assert client.simulate_get("/assets/../../config.toml").status_code == 404
    assert client.simulate_get("/assets/nothing.js").status_code == 404
