"""Whole posting lists as numpy arrays, read straight from the index's blocks.

Evaluating queries with Whoosh's matchers walks every posting in Python; a
broad query over 10,000 articles took 70-600 ms that way.  Here a term's
posting list in one segment is one read of the postings file, and its blocks
are flat little-endian arrays (:mod:`index.codec`, index format 3) that numpy
takes as they are: document numbers, frequencies and every posting's positions,
without inflating or decoding anything.  Lists are cached per segment: segments
never change once written, so a cached list stays valid until its segment is
merged away.
"""

from __future__ import annotations

import numpy as np
from whoosh.reading import CorruptIndexError

from index import varint
from index.codec import CompactCodec, read_blocks
from index.whoosh_adapter import codec_of, posting_extent, postings_file, term_info, terms_of
from search.lru import ByteLRU

# Python overhead of a cached list (its key, object and arrays' headers).
ENTRY_BYTES = 400
POSITION_BITS = 21  # positions below 2 million; a position key is doc << 21 | position
_FEW = 8  # postings below which frequencies are checked in Python
_EMPTY_I32 = np.zeros(0, dtype=np.int32)
_EMPTY_F32 = np.zeros(0, dtype=np.float32)
_EMPTY_I64 = np.zeros(0, dtype=np.int64)


class Postings:
    """One term's postings in one segment (document numbers local to the segment).

    Positions are joined into one array only when a phrase first asks for them
    (:meth:`keys`): most lists are read for BM25, which needs the documents and
    frequencies alone, and joining a common syllable's million positions and
    summing where each posting's start was a sixth of reading its list."""

    def __init__(
        self,
        docs: np.ndarray,  # int32, ascending
        freqs: np.ndarray,  # term frequencies: uint8 or uint16 (whole numbers), else float32
        positions: np.ndarray | None = None,  # uint16 / uint32, every posting's in order; None: a view without
        counts: np.ndarray | None = None,  # positions per posting, when not the frequencies
        blocks: list[np.ndarray] | None = None,  # instead of *positions*: each block's, joined on first use
    ):
        self.docs = docs
        self.freqs = freqs
        self._positions = positions
        self._counts = counts
        self._blocks = blocks
        self._starts: np.ndarray | None = None

    @property
    def size(self) -> int:
        return int(self.docs.size)

    @property
    def has_positions(self) -> bool:
        return self._positions is not None or self._blocks is not None

    @property
    def positions(self) -> np.ndarray | None:
        if self._blocks is not None:
            self._positions = self._blocks[0].copy() if len(self._blocks) == 1 else np.concatenate(self._blocks)
            self._blocks = None  # the list's bytes, which the block views held, can go
        return self._positions

    @property
    def starts(self) -> np.ndarray:
        """int32: where each posting's positions start in :attr:`positions`; one more at the end."""
        if self._starts is None:  # made whole before it is shown: a search may run beside another
            starts = np.zeros(self.docs.size + 1, dtype=np.int32)
            # Summed as int32, the type kept (a list's positions are counted in int32 throughout):
            # summing as int64 and converting took three times as long (0.94 against 0.30 ms for
            # 90,000 postings), and a search on 100,000 articles does it for every list it reads.
            np.cumsum(self.freqs if self._counts is None else self._counts, dtype=np.int32, out=starts[1:])
            self._starts = starts
        return self._starts

    def keys(self, select: np.ndarray | None = None) -> np.ndarray:
        """Sorted ``doc << POSITION_BITS | position`` of every occurrence in the postings
        *select* (a boolean mask over the postings; all when None)."""
        positions = self.positions
        if positions is None:
            return _EMPTY_I64
        if select is None:
            owners = np.repeat(self.docs.astype(np.int64), np.diff(self.starts))
            return (owners << POSITION_BITS) | positions
        return self.keys_at(np.flatnonzero(select))

    def keys_at(self, chosen: np.ndarray) -> np.ndarray:
        """:meth:`keys` of the postings at the ascending indices *chosen*."""
        positions = self.positions
        if positions is None or chosen.size == 0:
            return _EMPTY_I64
        starts = self.starts
        first = starts[chosen]
        lengths = starts[chosen + 1] - first
        # The positions of the chosen postings, gathered: each run starts at its posting's first.
        ends = np.cumsum(lengths)
        at = np.repeat(first - (ends - lengths), lengths) + np.arange(int(ends[-1]))
        owners = np.repeat(self.docs[chosen].astype(np.int64), lengths)
        return (owners << POSITION_BITS) | positions[at]

    def nbytes(self) -> int:
        """Bytes held, Python's object overhead included: counting arrays only let a cache
        of many small (or empty) lists outgrow its budget by half again.  Positions count
        as joined (the block views hold the list's bytes, about as many)."""
        size = ENTRY_BYTES + self.docs.nbytes + self.freqs.nbytes
        if self.has_positions:
            size += 4 * (self.docs.size + 1)
            blocks = self._blocks
            if blocks is not None:  # as joined: in the widest of the blocks' types
                size += sum(b.size for b in blocks) * max(b.itemsize for b in blocks)
            else:
                size += self._positions.nbytes
        return size


EMPTY = Postings(_EMPTY_I32, _EMPTY_F32)


def read_postings(leaf, field: str, text: str) -> Postings:
    """The postings of *text* in *field* of one segment reader *leaf*.

    Deleted documents are included: the view's ``live`` mask applies to every
    list alike (a cached list outlives later deletions in its segment).

    A segment of ours is read straight from its term table and postings file:
    one lookup of the term, and one read of the whole list.  Whoosh's own
    ``(field, text) in leaf`` then ``leaf.postings()`` looked the term up twice
    and read each block with three or four seeks.
    """
    schema = leaf.schema
    if field not in schema:
        return EMPTY
    terms = terms_of(leaf)
    if not isinstance(codec_of(terms), CompactCodec):
        raise CorruptIndexError("a segment not written by this project's codec: rebuild the index")
    terminfo = term_info(terms, field, schema[field].to_bytes(text))
    if terminfo is None:
        return EMPTY
    if terminfo.is_inlined():  # a term in a single document: its posting is in the term table
        ids, weights, values = terminfo.inlined_postings()
        return _inlined(ids, weights, values)
    return _from_blocks(list(read_blocks(postings_file(terms), *posting_extent(terminfo))))


def _inlined(ids, weights, values) -> Postings:
    """Postings kept in the term table: a few, with varint-delta positions (if any)."""
    docs = np.array(ids, dtype=np.int32)
    freqs = compact_freqs(np.array(weights, dtype=np.float32))
    if not any(values):
        return Postings(docs, freqs)
    found = [varint.decode_deltas(v) if v else [] for v in values]
    positions = np.array([p for f in found for p in f], dtype=np.uint32)
    return Postings(docs, freqs, positions, counts=np.array([len(f) for f in found], dtype=np.int64))


def _from_blocks(blocks) -> Postings:
    if len(blocks) == 1:
        docs = blocks[0].ids
        weights = _weights(blocks[0]).copy()  # not a view: the list's bytes may go
    else:
        docs = np.concatenate([b.ids for b in blocks])
        weights = np.concatenate([_weights(b) for b in blocks])
    if blocks[0].positions is None:
        return Postings(docs, weights)
    counts = None
    if any(b.counts is not None for b in blocks):
        counts = np.concatenate([_weights(b) if b.counts is None else b.counts for b in blocks])
    return Postings(docs, weights, counts=counts, blocks=[b.positions for b in blocks])


def _weights(block) -> np.ndarray:
    return np.ones(block.ids.size, dtype=np.uint8) if block.weights is None else block.weights


def compact_freqs(freqs: np.ndarray) -> np.ndarray:
    """Term frequencies in the smallest type that holds them exactly: nearly always whole
    numbers under 256, a byte each instead of a float's four, so the posting cache
    holds more lists."""
    if freqs.size == 0:
        return _EMPTY_F32
    if freqs.size <= _FEW:  # a term's one or two postings: numpy's reductions cost more than a loop
        values = freqs.tolist()
        whole = all(float(v).is_integer() for v in values)
        low, top = min(values), max(values)
    else:
        whole = freqs.dtype.kind in "iub" or bool(np.all(freqs == np.floor(freqs)))
        low, top = (freqs.min(), freqs.max()) if whole else (0, 0)
    if whole and low >= 0:
        if top < 1 << 8:
            return freqs.astype(np.uint8)
        if top < 1 << 16:
            return freqs.astype(np.uint16)
    return freqs.astype(np.float32)


class PostingCache:
    """Decoded posting lists keyed by segment, field and term, within a budget in bytes: they
    outlive index states (a segment never changes once written) until their segment is merged
    away (:meth:`forget_segments`)."""

    def __init__(self, max_bytes: int = 64 << 20):
        self.lists: ByteLRU[tuple[str, str, str], Postings] = ByteLRU(max_bytes, Postings.nbytes)

    def get(self, segment_key: str, leaf, field: str, text: str) -> Postings:
        key = (segment_key, field, text)
        found = self.lists.get(key)
        if found is None:
            found = read_postings(leaf, field, text)
            self.lists.put(key, found)
        return found

    def forget_segments(self, live: set[str]) -> None:
        self.lists.discard(lambda key: key[0] in live)
