"""Issue 22 on news-00 plus the seed: an accented query counts what was typed, a wrong accent still finds."""

from __future__ import annotations

import pytest

from index.settings import load_config
from search.helpers import FEW_HITS
from search.searcher import Searcher

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def searcher(corpus_index):
    return Searcher(load_config(corpus_index))


def test_da_nang_counts_the_articles_holding_it_with_diacritics(searcher):
    result = searcher.search("Đà Nẵng")
    # Each syllable exactly so (quoted single syllables are exact): the same articles.
    assert result.total == searcher.search('"Đà" "Nẵng"').total > 300
    assert result.diacritics == "exact"
    everything = searcher.search("Đà Nẵng", diacritics="any")
    assert everything.total == result.total + result.folded_only > 10 * result.total  # đã năng, nâng, nặng...
    assert sum(f["count"] for f in result.facets["year"]) == result.total
    assert result.phrase_total == searcher.search('"Đà Nẵng"').total  # a name: how many hold the phrase


def test_a_wrong_accent_still_finds_da_nang(searcher):
    result = searcher.search("Đà Nẳng")
    assert result.did_you_mean == "Đà Nẵng" and result.diacritics == "any"
    assert result.total == searcher.search("da nang").total
    first = searcher.document(result.hits[0].id)
    assert "Đà Nẵng" in " ".join([first["title"], first["summary"], first["body"]])


def test_a_wrong_tone_mark_the_archive_also_holds_is_offered_as_it_writes_it(searcher):
    # nôi (a cradle) is a word too, so seven articles hold "hà" and "nôi" apart: the exact
    # matches are shown as typed, and the offer is how the archive writes the words side by side.
    result = searcher.search("hà nôi")
    assert result.diacritics == "exact" and FEW_HITS <= result.total < result.folded_only
    assert result.did_you_mean == "hà nội" and result.showing_results_for is None
    assert searcher.search("hà nội").did_you_mean is None


def test_the_coverage_reading_of_a_folded_name_is_its_phrase(searcher):
    phrase = searcher.search("nguyen van phong", match="phrase", per_page=100)
    assert phrase.total == searcher.search('"nguyen van phong"').total
    assert phrase.total < searcher.search("nguyen van phong").total
    spelled = {s["text"]: s["count"] for s in phrase.spellings}
    assert spelled["Nguyễn Văn Phong"] >= 1 and set(spelled) >= {"Nguyễn Văn Phong", "Nguyễn Văn Phóng"}
    assert max(spelled.values()) <= phrase.total <= sum(spelled.values())
