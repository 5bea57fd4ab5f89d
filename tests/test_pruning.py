"""MaxScore (search/pruning.py): the pruned first pages are those of scoring every term everywhere."""

from __future__ import annotations

import gc
import random
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.analysis import fold
from index.settings import load_config
from search.engine import Evaluator
from search.pruning import Deferred, DeferredTerm, upper_bound
from search.query import parse_query
from search.ranking import FULL_SORT_BELOW, Ranking
from tests.test_ranking import full_order


@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=1, max_value=6), st.booleans())
def test_pruned_pages_are_the_exhaustive_pages(seed, terms, tiered):
    """Random essential scores, random deferred terms within their bounds: every page the
    pruned ranking gives is the start of the full sort of the complete scores."""
    rng = np.random.default_rng(seed)
    n = FULL_SORT_BELOW + int(rng.integers(0, 3000))
    size = n + 500
    docs = np.sort(rng.choice(size, n, replace=False))
    essential = np.zeros(size, dtype=np.float32)
    essential[docs] = rng.choice([0.0, 1.0, 2.5, 7.0], n) * rng.random(n).astype(np.float32)
    deferred_terms, contributions = [], []
    for number in range(terms):
        idf = float(rng.uniform(0.2, 3.0))
        bound = upper_bound(1.0, idf, 1.2)
        contribution = np.where(rng.random(size) < rng.uniform(0.05, 0.9), rng.random(size) * bound, 0.0)
        contributions.append(contribution.astype(np.float32))
        deferred_terms.append(DeferredTerm(f"t{number}", (("body", 1.0),), 1.0, 0, idf, bound))
    complete = essential.copy()
    for contribution in contributions:  # the order Deferred adds them in
        complete[docs] += contribution[docs]
    tiers = rng.choice([0, 1, 8, 24], n).astype(np.uint8) if tiered else None
    ts = rng.integers(1_600_000_000, 1_600_000_000 + 30 * 86400, n) // 86400 * 86400
    dated = np.ones(n, dtype=bool)

    def gather(term: DeferredTerm, at: np.ndarray) -> np.ndarray:
        return contributions[int(term.text[1:])][at]

    for sort in ("relevance", "newest"):
        scores = essential.copy()
        deferred = Deferred(scores, gather)
        for term in deferred_terms:
            deferred.add(term)
        ranking = Ranking(docs, scores[docs], ts, dated, sort, tiers, deferred)
        expected = full_order(docs, complete[docs], ts, dated, sort, tiers if tiered else np.zeros(n, np.uint8))
        for count in (10, 30, 1, 200):
            assert ranking.first(count).tolist() == expected[:count].tolist()
            shown = ranking.first(count)
            assert np.array_equal(scores[shown], complete[shown])  # what a hit shows is complete
        assert ranking.first(n).tolist() == expected.tolist()


def _queries(searcher, count: int, seed: int) -> list[str]:
    """Random short queries: one to four words of random articles' titles, half without diacritics."""
    view = searcher._refresh()
    rng = random.Random(seed)
    found = []
    while len(found) < count:
        title = view.searcher.stored_fields(rng.randrange(view.size)).get("title", "")
        words = [w for w in title.split() if w.isalpha()]
        if not words:
            continue
        start = rng.randrange(len(words))
        text = " ".join(words[start : start + rng.randint(1, 4)])
        found.append(fold(text) if rng.random() < 0.5 else text)
    return found


def _first(view, weights, text: str, prune: bool, sort: str, count: int):
    view.contributions.clear()  # a term whose BM25F the view remembers is not deferred
    evaluation = Evaluator(view, weights, prune=prune).evaluate(parse_query(text))
    docs = np.flatnonzero(evaluation.matched)
    tiers = evaluation.tiers[docs] if evaluation.tiers is not None else None
    columns = view.columns
    ranking = Ranking(
        docs, evaluation.scores[docs], columns.ts[docs], columns.dated[docs], sort, tiers, evaluation.deferred
    )
    shown = ranking.first(count)
    return shown, evaluation.scores[shown], ranking.total


def _check(searcher, queries: list[str]) -> int:
    view = searcher._refresh()
    deferred = 0
    for text in queries:
        for sort, count in (("relevance", 10), ("relevance", 40), ("newest", 10)):
            pruned, pruned_scores, total = _first(view, searcher.weights, text, True, sort, count)
            every, every_scores, every_total = _first(view, searcher.weights, text, False, sort, count)
            assert total == every_total, text
            # The same scores (summed in another order: to float32's precision), so the same
            # documents but where two scores tie to that precision.
            assert np.allclose(pruned_scores, every_scores, rtol=1e-5, atol=1e-4), text
            differ = pruned != every
            assert np.allclose(pruned_scores[differ], every_scores[differ], rtol=1e-5, atol=1e-4), text
        view.contributions.clear()
        evaluation = Evaluator(view, searcher.weights).evaluate(parse_query(text))
        deferred += bool(evaluation.deferred and evaluation.deferred.terms)
    return deferred


def test_pruned_top_k_equals_exhaustive_top_k_on_the_sample(sample_index):
    from search.searcher import Searcher

    searcher = Searcher(load_config(sample_index))
    assert _check(searcher, _queries(searcher, 60, 1)) > 10  # the pruned path was taken


@pytest.mark.corpus
def test_pruned_top_k_equals_exhaustive_top_k_on_news_00(corpus_index):
    from search.searcher import Searcher

    searcher = Searcher(load_config(corpus_index))
    assert _check(searcher, _queries(searcher, 120, 2)) > 60


def test_an_evaluation_is_freed_when_dropped(sample_index):
    """Its deferred terms refer to the evaluator; nothing may refer back (a cycle waits for the
    collector: a serving worker held hundreds of score arrays, 60 MB, between collections)."""
    from search.searcher import Searcher

    searcher = Searcher(load_config(sample_index))
    view = searcher._refresh()
    view.contributions.clear()
    evaluator = Evaluator(view, searcher.weights)
    gc.disable()
    try:
        evaluation = evaluator.evaluate(parse_query("dân vận"))
        assert evaluation.deferred is not None and evaluation.deferred.terms
        scores = weakref.ref(evaluation.scores)
        del evaluation
        assert scores() is None
    finally:
        gc.enable()
