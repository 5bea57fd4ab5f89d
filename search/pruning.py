"""MaxScore: the BM25F of common terms added only where it can change the page asked for.

A short query's syllables are often found in a large share of the archive (``nguyễn``,
``văn``, ``hà``, ``của``).  Which articles match needs only whether each holds them; the
arithmetic of their BM25F over every article that does (four or five length-normalised field
lists, summed and saturated) grew with the archive.  MaxScore (Turtle and Flood 1995, as
Lucene's ``MaxScoreBulkScorer``) splits a query's terms into *essential* ones, scored
everywhere, and *non-essential* ones, whose contribution is
bounded: a term's BM25F can never exceed ``weight x idf x (k1 + 1)``, however often it appears.
A document whose essential score plus the sum of those bounds cannot reach the k-th best complete
score cannot enter the first k, so the common terms are added only to the few that can.

Here, as in the rest of the search, it is done with arrays rather than a cursor per term
(:class:`search.ranking.Ranking` asks for it):

1. the evaluator scores rare terms over their whole lists and *defers* a common term
   (:data:`search.engine.DEFER_SHARE`), recording only which documents hold it, which the
   match and the ranking rules need anyway (:class:`Deferred`);
2. for the first k, the k best by essential score are completed, which bounds the k-th best
   complete score from below;
3. every document whose essential score plus the deferred terms' bound reaches that score is
   completed, and the first k are sorted from those: the same k as scoring everything, which
   ``tests/test_pruning.py`` checks on random queries.

Deeper pages, sorts by date (whose ties are broken by score) and exports complete what they
show; a term whose completion covers much of its list is scored whole once, and remembered.

Only short queries (at most ``search.all_words_up_to`` words) defer terms.  A reader's question
holds a dozen common words whose bounds together exceed its tenth best score, so nothing could
be skipped, and deferring cost more than scoring (BENCHMARKS.md, issue 16's third round).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DeferredTerm:
    text: str
    fields: tuple[tuple[str, float], ...]  # (field, weight) of its BM25F
    weight: float  # what its BM25F is multiplied by in the score
    held: int  # documents holding it in any of *fields*
    idf: float  # over those
    bound: float  # the most it can add to a document's score


# (term, documents ascending) -> the term's BM25F of each (0 where absent), float32
Gather = Callable[[DeferredTerm, np.ndarray], np.ndarray]


class Deferred:
    """The deferred terms of one evaluation, and which documents' scores are complete."""

    def __init__(self, scores: np.ndarray, gather: Gather):
        self.scores = scores  # the evaluation's: completed in place
        self.terms: list[DeferredTerm] = []
        self.bound = 0.0  # the most the deferred terms together can add to a score
        self._gather = gather
        self._done: np.ndarray | None = None

    def add(self, term: DeferredTerm) -> None:
        self.terms.append(term)
        self.bound += term.bound

    def complete(self, docs: np.ndarray) -> np.ndarray:
        """The complete scores of *docs* (ascending document numbers)."""
        if not self.terms:
            return self.scores[docs]
        if self._done is None:
            self._done = np.zeros(self.scores.size, dtype=bool)
        todo = docs[~self._done[docs]]
        if todo.size:
            for term in self.terms:
                contribution = self._gather(term, todo)
                self.scores[todo] += contribution if term.weight == 1.0 else np.float32(term.weight) * contribution
            self._done[todo] = True
        return self.scores[docs]


def upper_bound(weight: float, idf: float, k1: float) -> float:
    """The most a term's BM25F times *weight* can be: saturation is below ``k1 + 1``."""
    return weight * idf * (k1 + 1.0)
