"""The index's folded syllables and how many articles hold each, per segment.

Spelling asks "is this a syllable of the index?" for a few hundred near
misses, and suggestions ask "which syllables start with ``ng``, the most common
first?" on every keystroke.  Both are answered from a sorted array of the
folded terms of titles, summaries and captions, with their document
frequencies, read once per index segment from Whoosh's term index (segments
never change once written, so a refresh after a write reads only the new,
small segment).

Bodies are left out on purpose: they hold four times the distinct terms
(mostly names, numbers and typos), and reading Whoosh's term index costs some
12 microseconds a term, so a 100,000-article index would take seconds on the
first suggestion of every worker.  Titles and summaries hold the words people
search for.  Measured on news-00 (10,000 articles, two segments): ~0.1 s,
~10,000 terms, under 1 MB.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

FIELDS = ("title_f", "summary_f", "captions_f")


@dataclass
class SegmentTerms:
    terms: list[str]  # sorted
    frequencies: np.ndarray  # int32, articles holding the term in any of FIELDS (an upper bound)

    def __contains__(self, term: str) -> bool:
        at = bisect.bisect_left(self.terms, term)
        return at < len(self.terms) and self.terms[at] == term

    def prefixed(self, prefix: str) -> tuple[int, int]:
        """The range of terms that start with *prefix*."""
        low = bisect.bisect_left(self.terms, prefix)
        high = bisect.bisect_left(self.terms, prefix + "\U0010ffff", low)
        return low, high


class Vocabulary:
    """:class:`SegmentTerms` of each segment of an index view, built on first use."""

    def __init__(self) -> None:
        self._segments: dict[str, SegmentTerms] = {}

    def segments(self, view) -> list[SegmentTerms]:
        found = []
        for leaf in view.leaves:
            terms = self._segments.get(leaf.key)
            if terms is None:
                terms = _read(leaf.reader)
                self._segments[leaf.key] = terms
            found.append(terms)
        live = {leaf.key for leaf in view.leaves}
        for stale in [k for k in self._segments if k not in live]:
            del self._segments[stale]
        return found

    def known(self, view, term: str) -> bool:
        return any(term in segment for segment in self.segments(view))

    def completions(self, view, prefix: str, limit: int) -> list[tuple[str, int]]:
        """The *limit* most frequent terms starting with *prefix*, with their frequencies."""
        totals: dict[str, int] = {}
        for segment in self.segments(view):
            low, high = segment.prefixed(prefix)
            if low == high:
                continue
            frequencies = segment.frequencies[low:high]
            top = np.argsort(-frequencies, kind="stable")[: limit * 4]
            for i in top.tolist():
                term = segment.terms[low + i]
                totals[term] = totals.get(term, 0) + int(frequencies[i])
        return sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:limit]


def _read(reader) -> SegmentTerms:
    counts: dict[str, int] = {}
    for field in FIELDS:
        for term, info in reader.iter_field(field):
            text = term.decode("utf-8") if isinstance(term, bytes) else term
            # The same article counted in several fields: fine for ranking and thresholds.
            counts[text] = counts.get(text, 0) + info.doc_frequency()
    terms = sorted(counts)
    return SegmentTerms(terms, np.array([counts[t] for t in terms], dtype=np.int32))
