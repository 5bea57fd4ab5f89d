"""Matched documents in the order of a sort, sorted only as far as a page needs.

A reader's question on 100,000 articles matches tens of thousands of them, and
sorting them all (``numpy.lexsort`` on three keys) for a page of ten took some
17 ms, a tenth of the search.  :class:`Ranking` first keeps the documents whose
leading key is within the first *count*, ties included, and sorts only those by
every key, so the first *count* are exactly those of a full sort.  An export asks
for all of them and gets the full sort.

The bound on the leading key is found as Floyd and Rivest's selection finds one
(:func:`kth_smallest`): from a sample first, then among the few values the sample
leaves, not by ``numpy.partition`` over every match.
"""

from __future__ import annotations

import math

import numpy as np

SORTS = ("relevance", "newest", "oldest")
FULL_SORT_BELOW = 4096  # matches: fewer than this are simply sorted whole
_LAST = np.iinfo(np.int64).max


class Ranking:
    """The matched documents of an evaluation, in the order of *sort*.

    relevance: the ranking rules' tier (*tiers*: :func:`search.engine.rank_keys`, the tier and
    the rules within it), then score, then newest, then *order*;
    newest and oldest: dated articles by date, then tier and score, then *order*,
    and the undated last.  *order*: by document number, a key of each article that every
    copy of the index gives it alike (``search.columns.article_order``), so that pages of
    tied articles are the same whichever copy answers; the index's order when None, and last.
    """

    def __init__(
        self,
        docs: np.ndarray,
        scores: np.ndarray,
        ts: np.ndarray,
        dated: np.ndarray,
        sort: str,
        tiers: np.ndarray | None = None,
        order: np.ndarray | None = None,
    ):
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}")
        self.docs = docs  # ascending document numbers
        self.total = int(docs.size)
        self._scores = scores  # of these documents, in the same order
        self._tiers = tiers if tiers is not None else np.zeros(docs.size, dtype=np.uint8)
        self._order = order  # read only for the few documents a page sorts
        self._ts = ts
        self._dated = dated
        self._sort = sort
        self._sorted = np.zeros(0, dtype=docs.dtype)  # the longest prefix worked out so far
        self._complete = self.total == 0

    def first(self, count: int) -> np.ndarray:
        """The first *count* documents (all when *count* is the total or more)."""
        count = max(0, count)
        if self._complete or count <= self._sorted.size:
            return self._sorted[:count]
        if count >= self.total or self.total < FULL_SORT_BELOW:
            self._sorted, self._complete = self._sort_all(np.arange(self.total)), True
        else:
            # Twice what was asked, so the next page costs no second partition.  Every
            # document left out has a later leading key than all those kept, so the
            # kept ones, sorted, are exactly the start of the full order.
            self._sorted = self._sort_all(self._candidates(min(2 * count, self.total)))
        return self._sorted[:count]

    def _leading_key(self) -> np.ndarray:
        """The first sort key of every document."""
        if self._sort == "relevance":
            # One number per document in the order of (tier, score): a tier is a few bits and a
            # score far below 2**32, so rounding can make ties of unequal scores (all are kept
            # as candidates) but never reorder them.
            return -(self._tiers.astype(np.float64) * 2.0**32 + self._scores)
        key = -self._ts if self._sort == "newest" else self._ts.copy()
        return np.where(self._dated, key, _LAST)

    def _candidates(self, count: int) -> np.ndarray:
        """Positions (into ``docs``) of every document whose leading key is among the first *count*."""
        leading = self._leading_key()
        return np.flatnonzero(leading <= kth_smallest(leading, count))

    def _sort_all(self, at: np.ndarray) -> np.ndarray:
        docs, scores, ts, undated = self.docs[at], self._scores[at], self._ts[at], ~self._dated[at]
        tiers = -self._tiers[at].astype(np.int16)
        order = self._order[docs] if self._order is not None else np.zeros(docs.size, dtype=np.uint64)
        if self._sort == "relevance":
            keys = (docs, order, -ts, -scores, tiers)  # np.lexsort: the last key is the primary one
        elif self._sort == "newest":
            keys = (docs, order, -scores, tiers, -ts, undated)
        else:
            keys = (docs, order, -scores, tiers, ts, undated)
        return docs[np.lexsort(keys)]


def kth_smallest(values: np.ndarray, k: int) -> np.generic:
    """The *k*-th smallest of *values* (``1 <= k <= values.size``; equal values counted each),
    as ``np.partition(values, k - 1)[k - 1]`` gives it.

    As Floyd and Rivest's selection (1975): every value of a sample is one of *values*, so the
    sample's *k*-th smallest is at least the whole's, and every value up to the whole's is
    among those up to the sample's.  A strided sample of about ``sqrt(n k)`` values leaves
    about as many: two small partitions and one comparison over *values*, where numpy's
    introselect over all of them took 0.5-1.1 ms for the 60,000-100,000 matches of a reader's
    question on 100,000 articles (60-85 us so).  The sample only decides how many are left,
    never which value is found: a sample of the largest values leaves them all, as slow as
    partitioning the whole, and as exact.
    """
    step = math.isqrt(values.size // k)
    if step < 4:
        return np.partition(values, k - 1)[k - 1]
    upper = np.partition(values[::step], k - 1)[k - 1]
    few = values[values <= upper]
    if few.size < k:  # only where the sample's bound is NaN (no score is): numpy's order, NaN last
        few = values
    return np.partition(few, k - 1)[k - 1]
