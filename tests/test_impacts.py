"""Impacts (search/impacts.py): a term's BM25F kept in a byte an article, within half a step."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.settings import load_config
from search.engine import FIELDS, Evaluator
from search.impacts import quantize, scale, step
from search.pruning import DeferredTerm, upper_bound


@given(
    st.lists(st.floats(min_value=0.0, max_value=1.0, allow_subnormal=False), min_size=1, max_size=300),
    st.floats(min_value=1e-4, max_value=12.0),
    st.floats(min_value=0.1, max_value=3.0),
)
def test_an_impact_is_within_half_a_step_never_past_the_bound_and_held_where_the_term_is(shares, idf, k1):
    bound = upper_bound(1.0, idf, k1)
    scores = (np.array(shares) * bound).astype(np.float32)  # a BM25F is between 0 and its bound
    impacts = quantize(scores, idf, k1)
    assert impacts.dtype == np.uint8
    back = scale(impacts, idf, k1)
    held = scores > 0
    assert np.array_equal(back > 0, held)  # an article holding the term still holds it
    assert np.all(back <= np.float32(bound) * (1 + 1e-6))  # MaxScore's bound still bounds it
    error = np.abs(back.astype(np.float64) - scores)
    # Half a step, or up to one step where a score below half a step was kept as one; and
    # float32's own rounding of the scores, a few units in the last place of the bound.
    allowed = np.where(scores < step(idf, k1) / 2, step(idf, k1), step(idf, k1) / 2)
    assert np.all(error <= allowed + 1e-6 * bound)
    assert np.array_equal(scale(impacts, idf, k1, 0.5), np.float32(0.5 * step(idf, k1)) * impacts)


def test_every_path_to_a_terms_score_gives_its_impacts(sample_index):
    """Remembered for every article (a byte each), listed, or completed for a few articles by
    MaxScore: the same score (a step apart at most, where float32 sums taken in another order
    round either side of a half step), so a page does not change with what the view remembers."""
    from search.searcher import Searcher

    searcher = Searcher(load_config(sample_index))
    view = searcher._refresh()
    evaluator = Evaluator(view, searcher.weights)
    every = evaluator._weighted(FIELDS)
    k1 = searcher.weights.k1
    forms, alone = set(), 0
    for text in ("và", "dân", "hà", "nội"):
        view.contributions.clear()
        scores, mask = np.zeros(view.size, dtype=np.float32), np.zeros(view.size, dtype=bool)
        idf = evaluator.bm25f(text, every, scores, 1.0, mask)
        assert mask.any(), text
        (found, _size), *_ = view.contributions._items.values()
        forms.add(len(found))
        if len(found) == 2:  # kept for every article: one byte each
            assert found[0].dtype == np.uint8 and found[0].nbytes == view.size
        # MaxScore completing some articles, with nothing remembered: computed for them alone.
        view.contributions.clear()
        held = int(mask.sum())
        term = DeferredTerm(text, tuple(every), 1.0, held, idf, upper_bound(1.0, idf, k1))
        few = np.flatnonzero(mask)[: max(1, held // 20)]
        gathered = evaluator._gather(term, few)
        alone += not view.contributions._items  # scored for those articles only, not remembered
        assert np.allclose(gathered, scores[few], rtol=0, atol=step(idf, k1) * 1.0001), text
        assert np.mean(gathered == scores[few]) >= 0.9, text
    assert 2 in forms and alone  # a term in most articles, and a completion of a few, were checked


@pytest.mark.corpus
def test_a_common_syllables_remembered_scores_take_a_byte_an_article(corpus_index):
    """What the change is for: on news-00 a common syllable's remembered BM25F is a quarter of
    the float32 it was, so the view's budget holds four times as many of a question's words."""
    from search.searcher import Searcher

    searcher = Searcher(load_config(corpus_index))
    view = searcher._refresh()
    evaluator = Evaluator(view, searcher.weights)
    view.contributions.clear()
    evaluator.bm25f("cua", evaluator._weighted(FIELDS, "_f"), np.zeros(view.size, dtype=np.float32))
    (found, size), *_ = view.contributions._items.values()
    assert len(found) == 2 and found[0].dtype == np.uint8
    assert size < 1.1 * view.size  # bytes held, with the entry's overhead
