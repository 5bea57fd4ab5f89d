"""The search helpers' "what must be shown" (issue 4), on news-00 plus the seed (slow: builds the index)."""

from __future__ import annotations

import pytest

from index.analysis import fold, syllables
from index.settings import load_config
from search.searcher import Searcher

SEED = "000_2ebd19a772751180"


@pytest.fixture(scope="module")
def searcher(corpus_index) -> Searcher:
    return Searcher(load_config(corpus_index))


def ids(result) -> list[str]:
    return [hit.id for hit in result.hits]


def test_dan_van_suggests_dan_van(searcher):
    assert "dân vận" in [s.lower() for s in searcher.suggest("dan van")]


def test_ban_dan_v_completes_to_ban_dan_van(searcher):
    found = searcher.suggest("ban dan v")
    assert any("ban dân vận" in s.lower() for s in found), found
    assert all(fold(s.lower()).startswith("ban dan v") for s in found)


def test_cchc_and_its_long_form_find_the_seed(searcher):
    for query in ("CCHC", "cchc", "cải cách hành chính", "cai cach hanh chinh"):
        assert SEED in ids(searcher.search(query, per_page=100)), query


def test_more_like_this_of_the_seed_is_about_dan_van_or_quy_che_dan_chu(searcher):
    hits = searcher.similar(SEED, 5)
    assert hits and SEED not in [h["id"] for h in hits]
    for hit in hits[:3]:
        article = searcher.document(hit["id"])
        text = " ".join([article["title"], article["summary"], article["body"]]).lower()
        assert "dân vận" in text or "quy chế dân chủ" in text, hit["title"]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("dan van", "dân vận"), ("ha noi", "Hà Nội"), ("nguyen van phong", "Nguyễn Văn Phong")],
)
def test_did_you_mean_restores_the_issue_examples(searcher, typed, meant):
    offered = searcher.search(typed).did_you_mean
    assert offered is not None and offered.lower() == meant.lower()
    if meant != meant.lower():
        assert offered == meant  # names keep their capitals


def test_restored_query_ranks_its_reading_first_and_keeps_folded_matches(searcher):
    folded = searcher.search("dan van", per_page=100)
    accented = searcher.search("dân vận", per_page=100, diacritics="any")
    assert folded.total == accented.total  # dân văn, đàn vẫn... still match, as they do accented (opened)
    assert folded.hits[0].id == SEED
    held = [h.id for h in folded.hits if "dân vận" in _text(searcher, h.id)]
    assert len(held) >= 5 and set(held) <= {h.id for h in accented.hits}
    # The restored reading's phrase ranks above the other ways of writing it (dân vẫn).
    assert [h.id for h in folded.hits[: len(held)]] == held


def _text(searcher: Searcher, doc_id: str) -> str:
    article = searcher.document(doc_id)
    return " ".join([article["title"], article["summary"], article["body"]]).lower()


def test_spelling_from_the_issue(searcher):
    offered = searcher.search("hoi nghi truc tuyn").did_you_mean
    assert offered is not None and syllables(offered) == syllables("hội nghị trực tuyến")


def test_letters_run_into_digits_get_the_results_the_texts_write_apart(searcher):
    # Covid-19 is indexed as two words, so "covid19" (how a reader types it) holds almost nothing.
    typed = searcher.search("covid19", verbatim=True)
    meant = searcher.search("covid 19")
    assert typed.total < meant.total // 10
    result = searcher.search("covid19")
    assert result.showing_results_for is not None and fold(result.showing_results_for.lower()) == "covid 19"
    assert result.total == meant.total
    # Codes the texts write whole stay as typed.
    for code in ("h5n1", "u23", "5g"):
        assert searcher.search(code).showing_results_for is None, code


def test_a_word_run_together_is_cut_before_its_letters_are_respelled(searcher):
    # "boyte" finds one article; an edit of its letters (boy tế) finds no more, its cut many.
    result = searcher.search("boyte")
    assert result.showing_results_for is not None and fold(result.showing_results_for.lower()) == "bo y te"
    assert result.total == searcher.search("bộ y tế").total > 100
