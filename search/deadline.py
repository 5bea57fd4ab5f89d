"""A deadline for one search: the backstop of the per-query work budget.

The limits at a query's entry (:mod:`search.query`: syllables, prefixes; the
prefix expansion; spelling) bound what a query can ask for.  A deadline bounds
what it may cost whatever slips through them: the evaluation checks it before
each term or phrase it reads, and past it the search stops with
:class:`OverBudget` (a 400 for the caller) instead of holding its worker, whose
other requests (``/api/health`` too) wait behind the searcher's lock.  What
comes after the results (a spelling suggestion) is skipped past it instead.
"""

from __future__ import annotations

import time


class OverBudget(Exception):
    """A search ran past its deadline."""


class Deadline:
    """Raises :class:`OverBudget` from :meth:`check` once *seconds* have passed since it was made."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def expired(self) -> bool:
        return time.monotonic() >= self._end

    def check(self) -> None:
        if self.expired():
            raise OverBudget(f"the query needs more than {self.seconds * 1000:.0f} ms of work")


NONE = Deadline(float("inf"))  # for callers without a deadline
