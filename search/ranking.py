"""Matched documents in the order of a sort, sorted only as far as a page needs.

A reader's question on 100,000 articles matches tens of thousands of them, and
sorting them all (``numpy.lexsort`` on three keys) for a page of ten took some
17 ms, a tenth of the search.  :class:`Ranking` first keeps the documents whose
leading key is within the first *count* (``numpy.partition``, linear), ties
included, and sorts only those by every key, so the first *count* are exactly
those of a full sort.  An export asks for all of them and gets the full sort.

When the evaluation deferred its common terms (:mod:`search.pruning`), the scores are complete
only where a page needed them: the relevance order finds which documents can be among the
first *count* from the deferred terms' bound, and every order completes the scores of what it
sorts (a date order breaks ties by score).
"""

from __future__ import annotations

import numpy as np

from search.pruning import Deferred

SORTS = ("relevance", "newest", "oldest")
FULL_SORT_BELOW = 4096  # matches: fewer than this are simply sorted whole
_LAST = np.iinfo(np.int64).max


class Ranking:
    """The matched documents of an evaluation, in the order of *sort*.

    relevance: the ranking rules' tier, then score, then newest, then index order;
    newest and oldest: dated articles by date, then tier and score, then index order,
    and the undated last.
    """

    def __init__(
        self,
        docs: np.ndarray,
        scores: np.ndarray,
        ts: np.ndarray,
        dated: np.ndarray,
        sort: str,
        tiers: np.ndarray | None = None,
        deferred: Deferred | None = None,
    ):
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}")
        self.docs = docs  # ascending document numbers
        self.total = int(docs.size)
        self._scores = scores  # of these documents, in the same order
        self._tiers = tiers if tiers is not None else np.zeros(docs.size, dtype=np.uint8)
        self._ts = ts
        self._dated = dated
        self._sort = sort
        self._deferred = deferred if deferred is not None and deferred.terms else None
        self._sorted = np.zeros(0, dtype=docs.dtype)  # the longest prefix worked out so far
        self._complete = self.total == 0

    def first(self, count: int) -> np.ndarray:
        """The first *count* documents (all when *count* is the total or more)."""
        count = max(0, count)
        if self._complete or count <= self._sorted.size:
            return self._sorted[:count]
        if count >= self.total or self.total < FULL_SORT_BELOW:
            everything = np.arange(self.total)
            self._finish(everything)
            self._sorted, self._complete = self._sort_all(everything), True
        else:
            # Twice what was asked, so the next page costs no second partition.  Every
            # document left out has a later leading key than all those kept, so the
            # kept ones, sorted, are exactly the start of the full order.
            self._sorted = self._sort_all(self._candidates(min(2 * count, self.total)))
        return self._sorted[:count]

    def _leading_key(self, at: np.ndarray | None = None) -> np.ndarray:
        """The first sort key of every document, or of those at positions *at*."""
        if self._sort == "relevance":
            # One number per document in the order of (tier, score): a tier is a few bits and a
            # score far below 2**32, so rounding can make ties of unequal scores (all are kept
            # as candidates) but never reorder them.
            tiers, scores = (self._tiers, self._scores) if at is None else (self._tiers[at], self._scores[at])
            return -(tiers.astype(np.float64) * 2.0**32 + scores)
        if at is not None:
            raise ValueError("a date order's key is of every document")
        key = -self._ts if self._sort == "newest" else self._ts.copy()
        return np.where(self._dated, key, _LAST)

    def _candidates(self, count: int) -> np.ndarray:
        """Positions (into ``docs``) of every document whose leading key is among the first *count*,
        their scores complete."""
        leading = self._leading_key()
        if self._deferred is not None and self._sort == "relevance":
            leading = self._pruned(leading, count)
        bound = np.partition(leading, count - 1)[count - 1]
        at = np.flatnonzero(leading <= bound)
        self._finish(at)
        return at

    def _pruned(self, leading: np.ndarray, count: int) -> np.ndarray:
        """MaxScore (:mod:`search.pruning`): *leading* keys of the documents that can be among the
        first *count*, complete, and of the others ``inf``.  A score only grows when completed,
        and by at most the deferred bound, so a document whose key minus that bound is past the
        count-th complete key of any *count* documents cannot come before them."""
        known = np.sort(np.argpartition(leading, count - 1)[:count])
        self._finish(known)
        leading[known] = self._leading_key(known)
        threshold = leading[known].max()
        # A float32 score summed in another order may differ in its last bits: a margin, so
        # nothing that ties the threshold is left out.
        margin = 1e-4 * (1.0 + float(np.abs(self._scores[known]).max()))
        possible = np.flatnonzero(leading - self._deferred.bound <= threshold + margin)
        self._finish(possible)
        pruned = np.full(self.total, np.inf)
        pruned[possible] = self._leading_key(possible)
        return pruned

    def _finish(self, at: np.ndarray) -> None:
        """Complete the scores of the documents at positions *at* (ascending)."""
        if self._deferred is not None and at.size:
            self._scores[at] = self._deferred.complete(self.docs[at])

    def _sort_all(self, at: np.ndarray) -> np.ndarray:
        docs, scores, ts, undated = self.docs[at], self._scores[at], self._ts[at], ~self._dated[at]
        tiers = -self._tiers[at].astype(np.int16)
        if self._sort == "relevance":
            keys = (docs, -ts, -scores, tiers)  # np.lexsort: the last key is the primary one
        elif self._sort == "newest":
            keys = (docs, -scores, tiers, -ts, undated)
        else:
            keys = (docs, -scores, tiers, ts, undated)
        return docs[np.lexsort(keys)]
