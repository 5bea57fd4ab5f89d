"""The search core on the bundled sample: matching, ranking tiers, filters, sorting, facets, snippets.

The sample's README (data/sample/README.md) says what each article holds.
"""

from __future__ import annotations

import json
import math
import shutil
import threading

import pytest

from index.build import build
from index.settings import load_config
from index.store import IndexStore
from search.engine import EXACT_ACCENTS, PHRASE, TITLE_ALL
from search.searcher import Searcher, SearchError

from .conftest import ROOT, searcher_of, write_config

SEED = "000_2ebd19a772751180"


@pytest.fixture(scope="module")
def searcher(sample_index):
    return Searcher(load_config(sample_index))


def ids(result):
    return ids_of(result.hits)


def ids_of(hits):
    return [hit.id for hit in hits]


def searcher_on_a_copy(sample_index, tmp_path, **overrides) -> tuple[Searcher, IndexStore]:
    """A searcher of its own over a copy of the sample index, which the test may write to."""
    copy = tmp_path / "index"
    shutil.copytree(load_config(sample_index).path("index.path"), copy)
    return Searcher(load_config(sample_index).with_overrides(index__path=str(copy), **overrides)), IndexStore(copy)


def test_dan_van_with_and_without_diacritics_puts_the_seed_first(searcher):
    for query in ("dan van", "Dân vận", "dân vận", "DÂN VẬN"):
        result = searcher.search(query)
        assert ids(result)[0] == SEED, query
    hit = searcher.search("dan van").hits[0]
    assert "<mark>Dân vận</mark>" in hit.title_html
    assert "<mark>Dân vận</mark>" in hit.snippet_html or "<mark>dân vận</mark>" in hit.snippet_html


def test_folded_and_accented_queries_match_the_same_articles(searcher):
    # Counted apart: the accented query's total holds the exact matches, folded_only the rest.
    for folded, accented in [("dan van", "dân vận"), ("quy che dan chu", "quy chế dân chủ"), ("ha noi", "Hà Nội")]:
        exact = searcher.search(accented, per_page=100)
        everything = searcher.search(accented, per_page=100, diacritics="any")
        assert searcher.search(folded, per_page=100).total == everything.total == exact.total + exact.folded_only
        assert exact.total > 0 and everything.folded_only == exact.folded_only


def test_exact_diacritics_rank_above_folded_only_matches(searcher):
    # "Phóng" (015) folds like "Phong": it matches the folded query, but an accented
    # query ranks the articles with exactly "Nguyễn Văn Phong" (the seed) above it.
    result = searcher.search("Nguyễn Văn Phong", per_page=100)
    found = ids(result)
    assert found[0] == SEED
    assert "015_c1fc0573109c2e48" in found and found.index("015_c1fc0573109c2e48") > found.index(SEED)


def test_hits_come_by_ranking_rules_then_relevance_within_a_rule(searcher):
    # The seed holds "Nguyễn Văn Phong" exactly (every word exactly, and the phrase: 16 | 8);
    # 015 ("Phóng") holds it only once folded; 017 holds the words apart.
    hits = searcher.search("Nguyễn Văn Phong", per_page=100).hits
    tier = {hit.id: hit.tier for hit in hits}
    assert tier[SEED] & (EXACT_ACCENTS | PHRASE) == EXACT_ACCENTS | PHRASE
    assert not tier["015_c1fc0573109c2e48"] & (EXACT_ACCENTS | PHRASE)
    assert not tier["017_872828ac13d507c1"] & PHRASE
    assert searcher.search("nguyen van phong", per_page=100).hits[0].tier & PHRASE
    keys = [(hit.tier, hit.score) for hit in hits]
    assert keys == sorted(keys, reverse=True)  # by tier, then score: no score crosses a tier
    assert max(hit.score for hit in hits) < 1000  # the score is relevance alone, no tier constant in it


def test_exact_phrase_returns_exactly_the_articles_holding_it(searcher):
    assert ids(searcher.search('"Nguyễn Văn Phong"')) == [SEED]
    assert searcher.search('"Phong Nguyễn Văn"').total == 0  # nobody wrote it: nothing, not a guess
    assert ids(searcher.search("name:Nguyễn Văn Phong")) == [SEED]
    # Without diacritics the exact phrase is the folded one: Phóng matches too, apart syllables do not.
    assert set(ids(searcher.search('"nguyen van phong"'))) == {SEED, "015_c1fc0573109c2e48"}
    # 017 holds Nguyễn, Văn and phong, never side by side.
    assert "017_872828ac13d507c1" not in ids(searcher.search('"nguyen van phong"', per_page=100))


def test_words_ored_are_not_ranked_as_a_phrase(searcher):
    # The seed holds the three side by side, which an OR does not ask for: no article gets the
    # phrase rule (it would read every alternative's positions in every article holding one).
    hits = searcher.search("Nguyễn OR Văn OR Phong", per_page=100).hits
    assert SEED in ids_of(hits) and not any(hit.tier & PHRASE for hit in hits)
    # A word being typed is ORed with its prefix, and is still a word of the phrase.
    typed = searcher.search("Nguyễn Văn Pho", typing=True, per_page=100)
    assert typed.hits[0].id == SEED and typed.hits[0].tier & PHRASE


@pytest.fixture(scope="module")
def headline_searcher(tmp_path_factory):
    """One article whose title holds a headline; three whose titles hold half of it and whose
    bodies repeat it, words apart (so BM25F alone ranks them first); others about the weather."""
    repeated = "Giá vàng tăng. Hôm nay giá vàng lại tăng, và nay mai giá vàng còn tăng nữa. " * 3
    articles = [
        {"id": "headline", "title": "Giá vàng hôm nay tăng mạnh", "body": "Thị trường kim loại quý sôi động."},
        *({"id": f"body{n}", "title": f"Giá vàng trong tuần {n}", "body": repeated} for n in range(3)),
        *({"id": f"weather{n}", "title": f"Thời tiết ngày {n}", "body": "Trời mưa rào."} for n in range(8)),
    ]
    return searcher_of(tmp_path_factory.mktemp("headline"), articles)


def test_a_headline_half_remembered_finds_the_article_whose_title_holds_every_word(headline_searcher):
    # "hôm" left out, or the halves swapped: no phrase rule holds, and the bodies' BM25F is
    # higher; the title rule puts the article whose title holds every word first.
    for query in ("giá vàng nay tăng", "gia vang nay tang", "nay tăng giá vàng", "Nay tang gia vang"):
        hits = headline_searcher.search(query, per_page=10).hits
        assert hits[0].id == "headline", query
        assert hits[0].tier & TITLE_ALL and not any(h.tier & TITLE_ALL for h in hits[1:]), query
        assert len(hits) == 4 and max(h.score for h in hits[1:]) > hits[0].score, query  # the rule, not the score
    # Words ORed are alternatives, not every word: no title rule.
    ored = headline_searcher.search("vàng OR tăng", per_page=10).hits
    assert len(ored) == 4 and not any(h.tier & TITLE_ALL for h in ored)


@pytest.fixture(scope="module")
def scattered_searcher(tmp_path_factory):
    """One headline; three titles holding its words scattered, their bodies repeating them
    (so BM25F alone ranks them first)."""
    repeated = "Bắt giữ ma túy. Lực lượng đá bóng, bắt ma túy, đá cầu. " * 3
    articles = [
        {"id": "headline", "title": "Bắt ma túy đá ở biên giới", "body": "Lực lượng biên phòng phá án."},
        *({"id": f"scattered{n}", "title": f"Bắt kẻ giả ma để trộm đá quý {n}", "body": repeated} for n in range(3)),
    ]
    return searcher_of(tmp_path_factory.mktemp("scattered"), articles)


def test_of_the_titles_holding_every_word_those_holding_them_near_come_first(scattered_searcher):
    # "túy" left out: every title holds bắt, ma and đá (the title rule holds for all four); the
    # headline holds them within four syllables, the others scattered, and with a higher BM25F.
    for query in ("bắt ma đá", "bat ma da", "ma đá bắt"):
        hits = scattered_searcher.search(query, per_page=10).hits
        assert len(hits) == 4 and all(h.tier == hits[0].tier for h in hits), query
        assert hits[0].id == "headline", query
        assert max(h.score for h in hits[1:]) > hits[0].score, query  # the rule, not the score


def test_a_question_quoting_what_nobody_wrote_falls_back_to_its_words(searcher):
    # Nobody wrote "Phong Nguyễn Văn": a long question quoting it is answered by its words,
    # the quoted ones included as words (the seed holds all three, in another order).
    question = 'ai là người tên "Phong Nguyễn Văn" trong bài viết về công tác dân vận'
    result = searcher.search(question, per_page=100)
    assert result.relaxed and SEED in ids(result)
    alone = searcher.search("ai là người tên Phong Nguyễn Văn trong bài viết về công tác dân vận", per_page=100)
    assert set(ids(result)) == set(ids(alone))


def test_several_quoted_phrases_match_the_articles_holding_each(searcher):
    both = searcher.search('"dân vận" "Nguyễn Văn Phong"', per_page=100)
    each = [set(ids(searcher.search(q, per_page=100))) for q in ('"dân vận"', '"Nguyễn Văn Phong"')]
    assert set(ids(both)) == each[0] & each[1] and both.total == len(each[0] & each[1]) > 0


def test_names_typed_lower_case_without_diacritics_rank_the_phrase_first(searcher):
    result = searcher.search("nguyen van phong", per_page=100)
    found = ids(result)
    assert found[0] == SEED
    assert found.index("017_872828ac13d507c1") > found.index("015_c1fc0573109c2e48")  # apart ranks below phrases


def test_tone_placement_is_ignored(searcher):
    # 015 writes "hoà giải" (tone on a), others "hòa": one canonical form.
    old, new = searcher.search("hoà giải", per_page=100), searcher.search("hòa giải", per_page=100)
    assert ids(old) == ids(new) and "015_c1fc0573109c2e48" in ids(old)


def test_eth_and_invisible_characters_are_matched(searcher):
    assert "005_644908177b2f09d3" in ids(searcher.search("Đà Nẵng", per_page=100))  # the article writes Ð (eth)
    assert "005_644908177b2f09d3" in ids(searcher.search("da nang", per_page=100))
    assert "019_83f8731b0858bdec" in ids(searcher.search("camera", per_page=100))  # came\u00adra in the text


def test_short_words_are_searchable(searcher):
    for word in ("ở", "ý", "An", "Tô"):
        assert searcher.search(word).total > 0, word


def test_operators(searcher):
    everything = searcher.search("dân vận", per_page=100).total
    without = searcher.search("dân vận -covid", per_page=100)
    assert 0 < without.total < everything
    for hit in without.hits:
        assert "covid" not in (searcher.document(hit.id)["body"] + hit.title).lower()
    either = searcher.search("THPT OR camera", per_page=100)
    assert either.total == len(
        set(ids(searcher.search("THPT", per_page=100))) | set(ids(searcher.search("camera", per_page=100)))
    )
    assert all(searcher.document(i)["title"] for i in ids(searcher.search("title:Hà Nội", per_page=100)))
    assert {searcher.document(i)["author"] for i in ids(searcher.search("author:Huy Kiên", per_page=100))} == {
        "Huy Kiên"
    }
    assert {searcher.document(i)["author"] for i in ids(searcher.search("author:huy kien", per_page=100))} == {
        "Huy Kiên"
    }
    assert searcher.search("camer*").total >= searcher.search("camera").total > 0


@pytest.mark.parametrize(
    ("query", "read_as"),
    [
        ('"dân vận', "dân vận"),  # an unclosed quote is no phrase: the words
        ("title:", ""),  # an operator with nothing to act on: no words, so the newest of all
        ("-", ""),
        ("*", ""),
        ("OR OR", ""),
        ("🙂", ""),
        ("<script>", "script"),
        # Cut at the last word boundary within search.max_query_chars: the partial word goes.
        ("dân vận " + "a" * 10_000, "dân vận"),
    ],
)
def test_odd_queries_are_read_as_their_words(searcher, query, read_as):
    result, expected = searcher.search(query, sort="newest"), searcher.search(read_as, sort="newest")
    assert (result.total, ids(result)) == (expected.total, ids(expected))
    assert result.truncated == (len(query) > 1000)


def test_empty_query_browses_newest_first(searcher):
    result = searcher.search("", per_page=100)
    assert result.total == 25 and result.sort == "newest"
    dates = [h.published for h in result.hits if h.published]
    assert dates == sorted(dates, reverse=True)
    assert result.hits[-1].published == ""  # undated last


def test_sorting_paging_and_totals(searcher):
    newest = searcher.search("Hà Nội", sort="newest", per_page=100)
    oldest = searcher.search("Hà Nội", sort="oldest", per_page=100)
    dated = [h.id for h in newest.hits if h.published]
    assert dated == [h.id for h in oldest.hits if h.published][::-1]
    pages = [searcher.search("Hà Nội", page=p, per_page=4) for p in range(1, 20)]
    assert [i for p in pages for i in ids(p)] == ids(searcher.search("Hà Nội", per_page=100))
    assert all(p.total == newest.total for p in pages)
    assert pages[-1].hits == []


def test_filters(searcher):
    year = searcher.search("", date_from="2022-01-01", date_to="2022-12-31", per_page=100)
    assert year.total == 9 and all(h.published.startswith("2022") for h in year.hits)
    assert {f["value"] for f in year.facets["month"]} >= {"2022-01", "2022-12"}
    assert "day" not in year.facets
    month = searcher.search("", date_from="2022-01-01", date_to="2022-01-31")
    assert month.facets["day"] == [{"value": "2022-01-13", "count": 1}]
    assert searcher.search("", author="Huy Kiên", per_page=100).total == 7
    assert searcher.search("", author="huy kien", per_page=100).total == 7
    assert searcher.search("", source="hnp", per_page=100).total == 25
    assert searcher.search("", source="nowhere").total == 0


def test_facets_count_the_whole_match_and_undated_articles(searcher):
    result = searcher.search("", per_page=1)
    years = {f["value"]: f["count"] for f in result.facets["year"]}
    assert years == {"2019": 2, "2020": 4, "2021": 5, "2022": 9, "2023": 4, "undated": 1}
    assert [f["value"] for f in result.facets["year"]][-1] == "undated"
    authors = {f["value"]: f["count"] for f in result.facets["author"]}
    assert authors["Huy Kiên"] == 7 and sum(authors.values()) == 24  # 022 has no byline
    assert result.facets["source"] == [{"value": "hnp", "count": 25}]


def test_dan_van_year_facet(searcher):
    years = {f["value"]: f["count"] for f in searcher.search('"dân vận"', per_page=1).facets["year"]}
    assert years["2022"] >= 1


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("page", 0),
        ("page", "x"),
        ("per_page", 101),
        ("per_page", 0),
        ("sort", "random"),
        ("date_from", "13/01/2022"),
        ("date_to", "2022-02-30"),
    ],
)
def test_bad_parameters_name_themselves(searcher, param, value):
    with pytest.raises(SearchError) as error:
        searcher.search("x", **{param: value})
    assert error.value.param == {"date_from": "from", "date_to": "to"}.get(param, param)


def test_from_after_to_is_refused(searcher):
    with pytest.raises(SearchError):
        searcher.search("x", date_from="2022-02-01", date_to="2022-01-01")


def test_snippets_escape_everything_but_marks(searcher):
    result = searcher.search("script alert")
    [hit] = [h for h in result.hits if h.id.startswith("013")]
    assert "<script>" not in hit.snippet_html and "&lt;<mark>script</mark>&gt;" in hit.snippet_html
    assert hit.snippet_html.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_snippets_and_marks_on_articles_longer_than_whoosh_limit(tmp_path):
    body = ("Đoạn văn bình thường không có từ khóa. " * 1200) + "Cuối bài nhắc đến Dân vận khéo ở phường."
    assert len(body) > 40_000
    source = tmp_path / "long.jsonl"
    source.write_text(
        json.dumps({"id": "long", "title": "Bài rất dài", "body": body}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    config = load_config(write_config(tmp_path, index={"path": str(tmp_path / "index"), "procs": 1}))
    build(IndexStore(config.path("index.path")), [source], procs=1, progress=False)
    hit = Searcher(config).search("dan van kheo").hits[0]
    assert "<mark>Dân vận khéo</mark>" in hit.snippet_html
    assert len(hit.snippet_html) < 1000


def test_an_exact_phrase_never_matches_across_a_sentence_end_a_comma_or_a_line(tmp_path):
    articles = {
        "name": "Ông Nguyễn Lâm Hiện phát biểu tại hội nghị.",
        "sentence": "Người phát biểu là ông Nguyễn Lâm. Hiện nay ông đã nghỉ hưu.",
        "comma": "Có mặt ông Nguyễn Lâm, Hiện và nhiều người khác.",
        "line": "Ảnh: Nguyễn Lâm\nHiện trường vụ việc ở phường.",
        "token": "Tại TP.HCM, giá vàng tăng; ở tp hcm hôm qua giá đứng yên.",
    }
    source = tmp_path / "breaks.jsonl"
    source.write_text(
        "".join(
            json.dumps({"id": k, "title": "Tin", "body": v}, ensure_ascii=False) + "\n" for k, v in articles.items()
        ),
        encoding="utf-8",
    )
    config = load_config(write_config(tmp_path, index={"path": str(tmp_path / "index"), "procs": 1}))
    build(IndexStore(config.path("index.path")), [source], procs=1, progress=False)
    own = Searcher(config)
    for query in ('"Nguyễn Lâm Hiện"', '"nguyen lam hien"', "name:nguyen lam hien"):
        assert ids(own.search(query)) == ["name"], query
    # Punctuation inside a token is no break; typed without punctuation, the words still rank
    # as a phrase (a piece of a title is typed without its commas): every article, "name" first.
    assert ids(own.search('"tp hcm"')) == ["token"]
    assert set(ids(own.search("nguyen lam hien"))) == {"name", "sentence", "comma", "line"}


def test_searcher_sees_writes_and_rebuilds(tmp_path):
    from index.article import Article
    from index.writer import delete_entry, upsert_entry, write

    config = load_config(write_config(tmp_path, index={"path": str(tmp_path / "index"), "procs": 1}))
    store = IndexStore(config.path("index.path"))
    build(store, [ROOT / "data" / "sample" / f"{SEED}.txt"], procs=1, progress=False)
    searcher = Searcher(config)
    assert searcher.search('"hoa sen"').total == 0
    write(store, [upsert_entry(Article(id="n1", title="Hoa sen nở", body="Mùa hoa sen Hồ Tây."))])
    assert ids(searcher.search('"hoa sen"')) == ["n1"]
    write(store, [upsert_entry(Article(id="n1", title="Hoa súng", body="Đổi nội dung."))])
    assert searcher.search('"hoa sen"').total == 0 and ids(searcher.search('"hoa súng"')) == ["n1"]
    write(store, [delete_entry("n1")])
    assert searcher.search('"hoa súng"').total == 0
    generation = searcher.generation
    build(store, [ROOT / "data" / "sample"], procs=1, progress=False)
    assert searcher.generation != generation and searcher.search("").total == 25


def test_a_rebuild_that_numbers_other_articles_the_same_shows_the_new_ones(tmp_path):
    config = load_config(write_config(tmp_path, index={"path": str(tmp_path / "index"), "procs": 1}))
    store = IndexStore(config.path("index.path"))
    sample = sorted((ROOT / "data" / "sample").glob("*.txt"))
    build(store, [sample[0]], procs=1, progress=False)
    searcher = Searcher(config)
    first = searcher.search("").hits  # article number 0, shown and kept with its text
    build(store, [sample[1]], procs=1, progress=False)  # another article, numbered 0 too
    again = searcher.search("").hits
    assert [h.id for h in first] != [h.id for h in again]
    assert [(h.id, h.title) for h in again] == [(h.id, searcher.document(h.id)["title"]) for h in again]


def test_another_sort_or_page_reuses_the_evaluation(sample_index):
    own = Searcher(load_config(sample_index).with_overrides(search__result_cache=0, search__shared_result_cache=0))
    by_relevance = own.search("Hà Nội", per_page=100)
    newest = own.search("Hà Nội", sort="newest", per_page=5, page=2)
    assert len(own._recent) == 1  # one evaluation for both sorts and pages
    full = own.search("Hà Nội", sort="newest", per_page=100)
    assert ids(newest) == ids(full)[5:10]
    assert sorted(ids(full)) == sorted(ids(by_relevance)) and ids(full) != ids(by_relevance)
    own.search("Hà Nội", date_from="2022-01-01")
    assert len(own._recent) == 2  # a filter is another evaluation


def test_a_restored_reading_is_reused_by_other_filters_and_forgotten_when_the_index_changes(sample_index, tmp_path):
    from index.writer import delete_entry, write

    own, store = searcher_on_a_copy(sample_index, tmp_path, search__result_cache=0, search__shared_result_cache=0)
    first = own.search("dan van")
    state = own.helpers.state
    reading = state.readings.get(("dan", "van"))
    assert reading.syllables == ["dân", "vận"]
    filtered = own.search("dan van", date_from="2000-01-01")
    assert own.helpers.state.readings.get(("dan", "van")) is reading  # not restored a second time
    assert ids(filtered) == [h.id for h in first.hits if h.published]
    write(store, [delete_entry(first.hits[-1].id)])
    own.search("dan van")
    assert own.helpers.state is not state  # a new index state, with caches of its own...
    assert own.helpers.state.readings.get(("dan", "van")) is not reading  # ...read again from the changed index


def test_every_commit_and_rebuild_is_seen_by_the_next_search(sample_index, tmp_path):
    # The check before each search looks at CURRENT's stamp and at two tables of contents (the
    # one read and the next) instead of reading CURRENT and listing the folder.  Two commits
    # between searches leave neither the table read nor the next one: still a change.
    from index.writer import delete_entry, write

    own, store = searcher_on_a_copy(sample_index, tmp_path)
    first = own.search("dan van")
    assert own.search("dan van").generation == first.generation == own.generation  # nothing changed
    write(store, [delete_entry(first.hits[0].id)])
    # Searcher.generation (the ETag, asked before each search) sees each change as the search does.
    label = own.generation
    one = own.search("dan van")
    assert first.hits[0].id not in ids(one) and one.generation == label != first.generation
    write(store, [delete_entry(one.hits[0].id)])
    write(store, [delete_entry(one.hits[1].id)])
    label = own.generation
    two = own.search("dan van")
    assert not {one.hits[0].id, one.hits[1].id} & set(ids(two)) and two.generation == label != one.generation
    build(store, [ROOT / "data" / "sample"], procs=1, progress=False)  # a new generation, CURRENT replaced
    assert own.generation.split(".")[0] != two.generation.split(".")[0]
    rebuilt = own.search("dan van")
    assert rebuilt.generation.split(".")[0] != two.generation.split(".")[0]
    assert ids(rebuilt) == ids(two)  # the journal's deletes replayed into the new generation


def test_the_generation_is_answered_while_a_search_holds_the_lock(sample_index, tmp_path):
    # Each request asks for the generation (its ETag) before it searches.  While the index is
    # as last seen, that answer must not queue behind the searches; after a commit it does,
    # because reopening the index is the searches' business.
    from index.writer import delete_entry, write

    own, store = searcher_on_a_copy(sample_index, tmp_path)
    first = own.search("dan van")
    answers: list[str] = []
    with own._lock:  # as a long search in another thread would
        asking = threading.Thread(target=lambda: answers.append(own.generation))
        asking.start()
        asking.join(5)
        assert answers == [first.generation]
        write(store, [delete_entry(first.hits[0].id)])
        asking = threading.Thread(target=lambda: answers.append(own.generation))
        asking.start()
        asking.join(0.5)
        assert asking.is_alive() and len(answers) == 1  # waits for the lock: the index changed
    asking.join(5)
    after = own.search("dan van")
    assert answers[1] == after.generation != first.generation and first.hits[0].id not in ids(after)


def test_results_are_labelled_with_the_commit_read_not_the_newest_on_disk(sample_index, tmp_path):
    from index.writer import delete_entry, write

    own, store = searcher_on_a_copy(sample_index, tmp_path)
    first = own.search("dan van")
    read = own._read_generation()
    assert first.generation.endswith(f".{read}")
    write(store, [delete_entry(first.hits[0].id)])
    # A commit landed after the last refresh: until the next one, results come from the commit
    # before, and must not be keyed (or shared with other workers) under the new one.
    assert own._ix.latest_generation() > read == own._read_generation()
    after = own.search("dan van")
    assert after.generation != first.generation and first.hits[0].id not in ids(after)


def test_full_length_normalisation_scores_every_match_and_nothing_else(sample_index):
    # search.bm25_b = 1 ("full") makes the norm of an empty field 0: a term's frequencies spread
    # over every article must not divide 0 by it there (NaN would count as holding the term).
    default = Searcher(load_config(sample_index).with_overrides(search__result_cache=0, search__shared_result_cache=0))
    full = Searcher(
        load_config(sample_index).with_overrides(
            search__bm25_b=1.0, search__result_cache=0, search__shared_result_cache=0
        )
    )
    for query in ["dân vận", "hà nội", "của và có", "những người dân ở hà nội nói gì về giao thông"]:
        expected = default.search(query, per_page=100)
        found = full.search(query, per_page=100)
        assert found.total == expected.total > 0, query
        assert {h.id for h in found.hits} == {h.id for h in expected.hits}, query
        assert all(math.isfinite(h.score) and h.score > 0 for h in found.hits), query


def test_a_name_is_a_phrase_only_unbroken(tmp_path_factory):
    # Staff searching "Lâm Đà Lạt" want the articles naming it, as its count says (only the
    # syllables side by side on one line, no punctuation between): a title holding "Tuyền Lâm,
    # Đà Lạt" or a line ending in "Lâm" before one starting "Đà Lạt" holds the three syllables,
    # not the name.
    articles = [
        {
            "id": "comma",
            "title": "Cháy quán cà phê ở hồ Tuyền Lâm, Đà Lạt",
            "body": "Đám cháy lớn ở hồ Tuyền Lâm, Đà Lạt.",
        },
        {"id": "line", "title": "Hồ Tuyền Lâm", "body": "Du khách đến hồ Tuyền Lâm\nĐà Lạt mùa hoa."},
        {
            "id": "named",
            "title": "Hội nghị kiểm điểm",
            "body": "Hạt trưởng Hạt Kiểm Lâm Đà Lạt báo cáo tình hình rừng.",
        },
        *({"id": f"other{n}", "title": f"Tin số {n}", "body": "Thời tiết hôm nay."} for n in range(5)),
    ]
    searcher = searcher_of(tmp_path_factory.mktemp("unbroken-name"), articles)
    for query in ("Lâm Đà Lạt", "lam da lat"):
        result = searcher.search(query)
        assert result.hits[0].id == "named", query
        assert result.total == 3
    # A query that is no name keeps every phrase the syllables make, breaks and all.
    assert searcher.search("tuyền lâm đà lạt").hits[0].id == "comma"
