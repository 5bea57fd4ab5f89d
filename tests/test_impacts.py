"""Impacts (search/impacts.py): a term's BM25F kept in a byte an article, within half a step."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.settings import load_config
from search.engine import FIELDS, Evaluator
from search.impacts import quantize, scale, step


@given(
    st.lists(st.floats(min_value=0.0, max_value=1.0, allow_subnormal=False), min_size=1, max_size=300),
    st.floats(min_value=1e-4, max_value=12.0),
    st.floats(min_value=0.1, max_value=3.0),
)
def test_an_impact_is_within_half_a_step_never_past_the_bound_and_held_where_the_term_is(shares, idf, k1):
    bound = idf * (k1 + 1.0)  # a term's BM25F never exceeds it, however often it appears
    scores = (np.array(shares) * bound).astype(np.float32)  # a BM25F is between 0 and its bound
    impacts = quantize(scores, idf, k1)
    assert impacts.dtype == np.uint8
    back = scale(impacts, idf, k1)
    held = scores > 0
    assert np.array_equal(back > 0, held)  # an article holding the term still holds it
    assert np.all(back <= np.float32(bound) * (1 + 1e-6))  # the bound still bounds it
    error = np.abs(back.astype(np.float64) - scores)
    # Half a step, or up to one step where a score below half a step was kept as one; and
    # float32's own rounding of the scores, a few units in the last place of the bound.
    allowed = np.where(scores < step(idf, k1) / 2, step(idf, k1), step(idf, k1) / 2)
    assert np.all(error <= allowed + 1e-6 * bound)
    assert np.array_equal(scale(impacts, idf, k1, 0.5), np.float32(0.5 * step(idf, k1)) * impacts)


def test_a_remembered_score_is_the_score_computed(sample_index):
    """Remembered for every article (a byte each) or listed: the next search with the term adds
    the same scores as the first, which computed them, so a page does not change with what the
    view remembers."""
    from search.searcher import Searcher

    searcher = Searcher(load_config(sample_index))
    view = searcher._refresh()
    evaluator = Evaluator(view, searcher.weights)
    every = evaluator.weighted(FIELDS)
    forms = set()
    for text in ("và", "dân", "hà", "nội", "khéo"):
        view.contributions.clear()
        added = []
        for _ in range(2):  # computed, then remembered
            scores, mask = np.zeros(view.size, dtype=np.float32), np.zeros(view.size, dtype=bool)
            evaluator.bm25f(text, every, scores, 1.0, mask)
            added.append((scores, mask))
        assert added[0][1].any(), text
        assert np.array_equal(added[0][0], added[1][0]) and np.array_equal(added[0][1], added[1][1]), text
        (found, _size), *_ = view.contributions._items.values()
        forms.add(len(found))
        if len(found) == 2:  # kept for every article: one byte each
            assert found[0].dtype == np.uint8 and found[0].nbytes == view.size
    assert forms == {2, 3}  # a term in most articles, and one in a few, were checked


@pytest.mark.corpus
def test_a_common_syllables_remembered_scores_take_a_byte_an_article(corpus_index):
    """What the change is for: on news-00 a common syllable's remembered BM25F is a quarter of
    the float32 it was, so the view's budget holds four times as many of a question's words."""
    from search.searcher import Searcher

    searcher = Searcher(load_config(corpus_index))
    view = searcher._refresh()
    evaluator = Evaluator(view, searcher.weights)
    view.contributions.clear()
    evaluator.bm25f("cua", evaluator.weighted(FIELDS, "_f"), np.zeros(view.size, dtype=np.float32))
    (found, size), *_ = view.contributions._items.values()
    assert len(found) == 2 and found[0].dtype == np.uint8
    assert size < 1.1 * view.size  # bytes held, with the entry's overhead
