"""Per-document values as numpy arrays, for facets, filters and sorting.

Whoosh computes facets by scoring and grouping every match, which took a
minute on a broad query (see the project notes).  Here the keys are read once
per index segment from the columns written at index time (``index/schema.py``)
into integer-coded arrays, and a facet count over any set of matched
documents is one ``numpy.bincount``: over the matched documents, or, where they are
most of the archive (a reader's question matches nine in ten articles), over the live
documents they leave out, taken from the counts of all live ones (a :class:`Selection`,
its smaller side: five facets of a question on 100,000 articles counted a fifth as many
documents).  Segments never change once written
(deletions are applied by Whoosh's matchers), so the arrays of a segment are
cached by its id and reused across searcher refreshes.

Articles that tie on every sort key are put in the order of a hash of their ids
(:func:`article_order`), not in the index's order: two indexes of the same articles
(two cluster nodes that committed and merged at other moments, a rebuild whose build
processes took the articles in another order) can number them differently, and a reader whose
second page came from the other one would see a tied article twice or not at all (two
builds of the 100,000 articles listed 18 of the 4,229 dev queries' first 20 in another
order; BENCHMARKS.md, issue 16's twenty-fourth round).  Elasticsearch's answer is a
tiebreaker field for ``search_after``; an id's hash is one every node computes alike.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from index import whoosh_adapter
from index.schema import UNDATED

CODED = ("year", "month", "day", "author_key", "source", "category")


@dataclass
class SegmentColumns:
    ts: np.ndarray  # int64 epoch seconds, 0 when undated
    dated: np.ndarray  # bool
    codes: dict[str, np.ndarray]  # field -> int32 codes into that segment's values
    values: dict[str, list[str]]  # field -> code -> value ("" for a missing value)
    order: np.ndarray  # uint64 :func:`article_order` of each article's id: the last sort key


class Selection(NamedTuple):
    """A set of documents to count, by its smaller side (:meth:`Columns.select`)."""

    docs: np.ndarray  # ascending document numbers: the set's, or the live ones outside it
    outside: bool  # docs are the live documents *not* in the set


class Columns:
    """Arrays over the global document numbers of one searcher."""

    def __init__(
        self,
        ts: np.ndarray,
        dated: np.ndarray,
        codes: dict[str, np.ndarray],
        values: dict[str, list[str]],
        live: np.ndarray | None = None,
        order: np.ndarray | None = None,
    ):
        self.ts = ts
        self.dated = dated
        self.codes = codes
        self.values = values
        self.size = len(ts)
        # Ties' order (:func:`article_order`); none given (a test's columns): the index's.
        self.order = np.arange(self.size, dtype=np.uint64) if order is None else order
        self.live = np.ones(self.size, dtype=bool) if live is None else live  # not deleted
        self.live_count = int(np.count_nonzero(self.live))
        self._code_of: dict[str, dict[str, int]] = {}
        self._live_counts: dict[str, np.ndarray] = {}  # per field: the counts over every live document
        self._first: dict[str, np.ndarray] = {}  # per field: each code's first live document, -1 if none

    def code(self, field: str, value: str) -> int:
        """The code of *value* in *field* (a dictionary built on first use)."""
        if field not in self._code_of:
            self._code_of[field] = {v: c for c, v in enumerate(self.values[field])}
        return self._code_of[field][value]

    def select(self, matched: np.ndarray) -> Selection:
        """The live documents of the mask *matched*, to count, by its smaller side."""
        inside = int(np.count_nonzero(matched))
        if 2 * inside <= self.live_count:
            return Selection(np.flatnonzero(matched), False)
        return Selection(np.flatnonzero(self.live & ~matched), True)

    def count(self, field: str, selection: Selection) -> list[tuple[str, int]]:
        """``(value, count)`` of *field* over *selection*, most frequent first, missing values left out."""
        size = len(self.values[field])
        counts = np.bincount(self.codes[field][selection.docs], minlength=size)
        if selection.outside:
            every = self._live_counts.get(field)
            if every is None:
                every = self._live_counts[field] = np.bincount(self.codes[field][self.live], minlength=size)
            counts = every - counts
        order = np.argsort(-counts, kind="stable")
        return [(self.values[field][i], int(counts[i])) for i in order if counts[i] and self.values[field][i]]

    def first(self, field: str, value: str) -> int:
        """The first live document whose *field* is *value* (-1 if none)."""
        found = self._first.get(field)
        if found is None:
            codes = self.codes[field]
            found = np.full(len(self.values[field]), -1, dtype=np.int64)
            # np.unique's indexes are of each value's first occurrence.
            docs = np.flatnonzero(self.live)
            present, at = np.unique(codes[docs], return_index=True)
            found[present] = docs[at]
            self._first[field] = found
        return int(found[self.code(field, value)])

    def mask(self, field: str, accepted: set[str]) -> np.ndarray:
        """Boolean mask of documents whose *field* is one of *accepted*."""
        wanted = np.array([v in accepted for v in self.values[field]], dtype=bool)
        return wanted[self.codes[field]]


class ColumnCache:
    """Builds :class:`Columns` for a searcher, reusing the arrays of unchanged segments."""

    def __init__(self) -> None:
        self._segments: dict[str, SegmentColumns] = {}

    def columns(self, searcher, live: np.ndarray | None = None) -> Columns:
        """The columns of *searcher*'s documents; *live*: the mask of those not deleted."""
        reader = searcher.reader()
        leaves = whoosh_adapter.leaves(reader)
        parts = []
        current = set()
        for leaf, _offset in leaves:
            key = whoosh_adapter.segment_id(leaf)
            current.add(key)
            if key not in self._segments:
                self._segments[key] = _read_segment(leaf)
            parts.append(self._segments[key])
        for stale in set(self._segments) - current:
            del self._segments[stale]
        return _concatenate(parts, live)


def _read_segment(leaf) -> SegmentColumns:
    count = leaf.doc_count_all()
    ts = np.zeros(count, dtype=np.int64)
    if leaf.has_column("ts"):
        ts = np.fromiter((v or 0 for v in leaf.column_reader("ts")), dtype=np.int64, count=count)
    codes: dict[str, np.ndarray] = {}
    values: dict[str, list[str]] = {}
    for field in CODED:
        if not leaf.has_column(field):
            codes[field] = np.zeros(count, dtype=np.int32)
            values[field] = [""]
            continue
        table: dict[str, int] = {"": 0}
        raw = leaf.column_reader(field)
        column = np.fromiter((table.setdefault(_text(v), len(table)) for v in raw), dtype=np.int32, count=count)
        codes[field] = column
        values[field] = list(table)
    year_values = values["year"]
    dated = np.array([v not in ("", UNDATED) for v in year_values], dtype=bool)[codes["year"]]
    # About 130 ms for a segment of 100,000 articles, once per segment (its id column read and hashed).
    order = np.zeros(count, dtype=np.uint64)
    if leaf.has_column("id"):
        order = np.fromiter((article_order(_text(v)) for v in leaf.column_reader("id")), dtype=np.uint64, count=count)
    return SegmentColumns(ts=ts, dated=dated, codes=codes, values=values, order=order)


def article_order(article_id: str) -> int:
    """Where an article goes among those tied on every sort key: its id's hash, the same in
    every process and on every node (Python's own ``hash`` of a string changes with each)."""
    return int.from_bytes(hashlib.blake2b(article_id.encode("utf-8"), digest_size=8).digest(), "little")


def _text(value) -> str:
    if value is None:
        return ""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _concatenate(parts: list[SegmentColumns], live: np.ndarray | None) -> Columns:
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Columns(
            empty, empty.astype(bool), {f: empty.astype(np.int32) for f in CODED}, {f: [""] for f in CODED}, live
        )
    ts = np.concatenate([p.ts for p in parts])
    dated = np.concatenate([p.dated for p in parts])
    codes: dict[str, np.ndarray] = {}
    values: dict[str, list[str]] = {}
    for field in CODED:
        # Re-code each segment's values into one shared table.
        table: dict[str, int] = {"": 0}
        recoded = []
        for part in parts:
            mapping = np.array([table.setdefault(v, len(table)) for v in part.values[field]], dtype=np.int32)
            recoded.append(mapping[part.codes[field]])
        codes[field] = np.concatenate(recoded)
        values[field] = list(table)
    return Columns(ts, dated, codes, values, live, np.concatenate([p.order for p in parts]))
