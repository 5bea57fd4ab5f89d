"""IndexView.phrase_ends (search/segments.py): a phrase found from its shortest list, the documents
holding every syllable looked up by binary search while few, is the phrase found by chaining
every syllable's positions in every document asked about."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.analysis import fold, folded_syllables, has_diacritics, syllables
from index.settings import load_config
from search.occurrences import Occurrences
from search.searcher import Searcher
from search.segments import POSITION_BITS, IndexView
from tests.test_segments_cache import second_segment_view


def chained(view: IndexView, field: str, terms: list[str], among: np.ndarray) -> np.ndarray:
    """The phrase's last-syllable keys the plain way: each syllable's keys in every document of
    *among* (tests/test_segments_cache.py checks those against Whoosh's own reading), chained."""
    ends = None
    for term in terms:
        keys = view.term_keys([(field, term)], among)[0]
        ends = keys if ends is None else np.intersect1d(ends + 1, keys)
    return ends


@pytest.fixture(scope="module")
def corpus_view(corpus_index):
    searcher = Searcher(load_config(corpus_index))
    searcher.search("")
    return searcher._refresh(), searcher._searcher


def some_texts(corpus_view, field: str, step: int, split) -> list[tuple[int, list[str]]]:
    """``(doc, split(text))`` of *field* in every *step*-th live article that has one."""
    view, whoosh_searcher = corpus_view
    texts = [(doc, whoosh_searcher.stored_fields(doc).get(field, "")) for doc in range(0, view.size, step)]
    return [(doc, split(text)) for doc, text in texts if text and view.live[doc]]


@pytest.fixture(scope="module")
def news(corpus_view):
    return corpus_view[0], some_texts(corpus_view, "body", 97, folded_syllables)


@pytest.fixture(scope="module")
def summaries(corpus_view):
    return *corpus_view, some_texts(corpus_view, "summary", 89, syllables)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    length=st.integers(min_value=2, max_value=5),
    fold_some=st.booleans(),
)
def test_a_phrase_outside_bodies_is_the_same_from_lists_as_from_every_articles_keys(summaries, seed, length, fold_some):
    """Occurrences.where in titles and summaries: a fresh request chains the phrase from its
    lists (IndexView.phrase_ends_of, with the pair view narrowing); one whose syllables' keys in
    every article were decoded first (restoration's prefetch) aligns those.  Both find the same
    starts, for phrases written in a summary, some syllables typed without diacritics."""
    view, whoosh_searcher, texts = summaries
    rng = np.random.default_rng(seed)
    doc, written = texts[int(rng.integers(len(texts)))]
    if len(written) < length:
        return
    start = int(rng.integers(len(written) - length + 1))
    words = written[start : start + length]
    if fold_some:
        words = [fold(w) if rng.random() < 0.5 else w for w in words]
    for field in ("summary", "title"):
        fresh = Occurrences(view, whoosh_searcher).where(field, words)
        aligned = Occurrences(view, whoosh_searcher)
        for word in words:  # every article's keys of each, at hand (as restoration's prefetch leaves them)
            aligned.keys(field if has_diacritics(word) else f"{field}_f", word)
        assert np.array_equal(fresh, aligned.where(field, words)), (field, words)
        if field == "summary":
            assert (doc << POSITION_BITS) + start in set(fresh.tolist())


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    length=st.integers(min_value=1, max_value=5),
    share=st.sampled_from([0.0005, 0.003, 0.02, 0.2, 1.0]),
    written=st.booleans(),
)
def test_the_phrase_is_the_chained_phrase(news, seed, length, share, written):
    """Phrases written in some article (so found) and phrases of common syllables drawn at random
    (mostly nowhere, some repeating a syllable), in a few articles, a fifth or all of them: the few
    documents are looked up by binary search, the many marked, and both find the same phrase."""
    view, bodies = news
    rng = np.random.default_rng(seed)
    doc, syllables = bodies[int(rng.integers(len(bodies)))]
    written = written and len(syllables) >= length
    if written:
        start = int(rng.integers(len(syllables) - length + 1))
        terms = syllables[start : start + length]
    else:
        common = ["cua", "va", "la", "nguoi", "nam", "ha", "noi", "viet", "cac", "co"]
        terms = [common[int(i)] for i in rng.integers(len(common), size=length)]
    among = view.live & (rng.random(view.size) < share)
    among[doc] = True  # the article the phrase was taken from
    for field in ("body_f", "title_f"):
        ends = view.phrase_ends(field, terms, among)
        assert np.array_equal(ends, chained(view, field, terms, among)), (field, terms)
        assert among[ends >> POSITION_BITS].all()
    # The pair view's lists narrowing (as restoration asks): the articles they leave hold the same phrase.
    pair_view, pairs = view.phrase_pairs("body_f", terms)
    narrowed = view.phrase_ends_of([("body_f", t) for t in terms], among, [(pair_view, p) for _, p in pairs])
    assert np.array_equal(narrowed, chained(view, "body_f", terms, among)), terms
    if written:
        assert doc in set((view.phrase_ends("body_f", terms, among) >> POSITION_BITS).tolist())


def test_a_phrase_of_common_syllables_in_a_few_articles_is_found_by_lookup(news):
    """The case the lookup is for: two common syllables (each in thousands of bodies) asked about
    in a dozen articles that hold them side by side, and a dozen that do not."""
    view, _ = news
    every = view.phrase_ends("body_f", ["ha", "noi"], view.live)
    docs = np.unique(every >> POSITION_BITS)
    assert docs.size > 200
    ha, noi = np.zeros(view.size, dtype=bool), np.zeros(view.size, dtype=bool)
    view.mark(ha, "body_f", "ha")
    view.mark(noi, "body_f", "noi")
    phrased = np.zeros(view.size, dtype=bool)
    phrased[docs] = True
    not_side_by_side = np.flatnonzero(ha & noi & ~phrased)[:12]
    assert not_side_by_side.size == 12
    among = np.zeros(view.size, dtype=bool)
    among[docs[:: max(1, docs.size // 12)]] = True
    among[not_side_by_side] = True
    ends = view.phrase_ends("body_f", ["ha", "noi"], among)
    assert np.array_equal(ends, every[among[every >> POSITION_BITS]])
    assert np.array_equal(np.unique(ends >> POSITION_BITS), np.flatnonzero(among & phrased))


def test_a_phrase_in_a_second_segment_is_numbered_from_its_offset(sample_index, tmp_path):
    view = second_segment_view(sample_index, tmp_path)
    last = view.leaves[-1].offset
    for terms in (["dan", "van"], ["cong", "tac", "dan", "van"], ["ha", "noi"], ["van", "dan"]):
        for among in (view.live, view.live & (np.arange(view.size) % 3 != 1)):
            ends = view.phrase_ends("body_f", terms, among)
            assert np.array_equal(ends, chained(view, "body_f", terms, among))
    assert (view.phrase_ends("body_f", ["cong", "tac", "dan", "van"], view.live) >> POSITION_BITS >= last).any()
