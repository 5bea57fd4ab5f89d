"""Whole posting lists as numpy arrays, read straight from the index's blocks.

Evaluating queries with Whoosh's matchers walks every posting in Python; a
broad query over 10,000 articles took 70-600 ms that way.  Here a term's
posting list is decoded in a handful of vectorised steps (the block format is
our own, :mod:`index.codec`) into document numbers, frequencies and, on
demand, positions, and cached per segment: segments never change once
written, so a cached list stays valid until its segment is merged away.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index.codec import (
    _WEIGHTS_FLOATS,
    _WEIGHTS_INTS,
    _WEIGHTS_ONES,
    CompactCodec,
    Deflated,
    read_blocks,
)
from search.termtable import term_info

# Python overhead of a cached list (its key, object and arrays' headers) and of each raw block.
ENTRY_BYTES = 400
BLOCK_BYTES = 120
_FEW = 8  # postings below which a list's frequencies are checked in Python
POSITION_BITS = 21  # positions below 2 million; a position key is doc << 21 | position
# A list with at most this many positions keeps them decoded once asked (8 bytes each): the
# syllables of titles and names come back query after query, and gathering and decoding the
# same postings again was most of the phrase tiers' time.  Longer lists (a common syllable in
# the bodies of 100,000 articles) are decoded for the documents asked about only.
KEEP_POSITIONS = 16_384
_FEW_POSITIONS = 64  # positions below which a list's keys are decoded in Python
_FEW_BYTES = 48  # varint bytes below which they are decoded in Python
_EMPTY_I32 = np.zeros(0, dtype=np.int32)
_EMPTY_F32 = np.zeros(0, dtype=np.float32)
_EMPTY_I64 = np.zeros(0, dtype=np.int64)
_EMPTY_U8 = np.zeros(0, dtype=np.uint8)


def decode_varints(data: bytes | np.ndarray) -> np.ndarray:
    """LEB128 varints to an int64 array, vectorised.

    Most values (position and document gaps) fit one byte, so the work is one
    pass over the bytes and then a few rounds over the continuation bytes only,
    folding each into its varint from the last byte back; that keeps the
    temporaries to about 9 bytes per input byte (a broad query on 100,000
    articles decodes megabytes of positions).
    """
    if isinstance(data, bytes | bytearray | memoryview):
        if len(data) <= _FEW_BYTES:  # a short list's ids: a loop beats numpy's fixed costs
            return _decode_few_varints(data)
        raw = np.frombuffer(data, dtype=np.uint8)
    else:
        raw = data
    if raw.size == 0:
        return np.zeros(0, dtype=np.int64)
    continued = np.flatnonzero(raw >= 0x80)
    values = raw.astype(np.int64)
    if continued.size == 0:
        return values
    values[continued] &= 0x7F
    # A continuation byte takes in the (already folded) value of the byte after it, shifted.
    # Rounds go from the bytes nearest a varint's end to its first byte.
    unfolded = np.zeros(raw.size + 1, dtype=bool)
    unfolded[continued] = True
    pending = continued
    while pending.size:
        last = ~unfolded[pending + 1]  # the byte after it is folded (or ends the varint)
        done = pending[last]
        values[done] += values[done + 1] << 7
        unfolded[done] = False
        pending = pending[~last]
    unfolded[continued + 1] = True  # reused: a byte after a continuation byte starts no varint
    return values[~unfolded[:-1]]


def _decode_few_varints(data: bytes | bytearray | memoryview) -> np.ndarray:
    values = []
    value = shift = 0
    for byte in bytes(data):
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            values.append(value)
            value = shift = 0
        else:
            shift += 7
    return np.array(values, dtype=np.int64)


def _segmented_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sums restarted at each segment of *counts* elements."""
    total = np.cumsum(values)
    if counts.size <= 1:
        return total
    ends = np.cumsum(counts)[:-1]
    base = np.zeros(counts.size, dtype=total.dtype)
    base[1:] = total[ends - 1]
    return total - np.repeat(base, counts)


def decode_positions(
    raw: np.ndarray, lengths: np.ndarray, docs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(document, position)`` of each occurrence, int64, and the number of
    occurrences of each posting, from delta-coded position bytes: *lengths*
    bytes per posting, *docs* its document (any numbering).

    Postings of several terms and segments may be concatenated and decoded in
    one call: positions restart at each posting, and the work is a fixed number
    of array operations however many lists go in.
    """
    deltas = decode_varints(raw)
    # How many varints each posting holds: its terminator bytes.
    firsts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    per_posting = np.add.reduceat(raw < 0x80, firsts, dtype=np.int64)
    return np.repeat(docs.astype(np.int64), per_posting), _segmented_cumsum(deltas, per_posting), per_posting


@dataclass
class Postings:
    """One term's postings in one segment (document numbers local to the segment).

    Positions stay encoded (about a byte each) and only the postings a phrase asks
    about are decoded: on 100,000 articles a syllable such as ``van`` has millions
    of positions, and a query needs those of a few hundred matched documents.
    """

    docs: np.ndarray  # int32, ascending
    freqs: np.ndarray  # term frequencies: uint8 or uint16 (whole numbers), else float32
    _values: list  # raw encoded values (positions), per block, until indexed
    _index: tuple[np.ndarray, np.ndarray] | None = None  # (value bytes, byte offset of each posting; len+1)
    on_grow: Callable[[int], None] | None = None  # called with the bytes added by indexing (the cache's accounting)
    _keys: np.ndarray | None = None  # every position key (local documents), once kept

    @property
    def size(self) -> int:
        return int(self.docs.size)

    def positions(self, select: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(document, position)`` of every occurrence in the postings *select*
        (a boolean mask over the postings; all when None): int64 and int32 arrays."""
        raw, lengths, docs = self.encoded(select)
        if raw.size == 0:
            return _EMPTY_I64, _EMPTY_I32
        owners, positions, _ = decode_positions(raw, lengths, docs)
        return owners, positions.astype(np.int32)

    def encoded(self, select: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(position bytes, bytes per posting, document of each posting)`` of the
        postings *select*, still encoded, for :func:`decode_positions`."""
        if select is not None and self._index is None:
            few = self._from_few_blocks(select)
            if few is not None:
                return few
        data, offsets = self._value_index()
        if data.size == 0:
            return _EMPTY_U8, _EMPTY_I64, _EMPTY_I32
        if select is None:
            return data, np.diff(offsets), self.docs
        chosen = np.flatnonzero(select)
        if chosen.size == 0:
            return _EMPTY_U8, _EMPTY_I64, _EMPTY_I32
        return *_gather(data, offsets, chosen), self.docs[chosen]

    def _from_few_blocks(self, select: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """:meth:`encoded` for postings that lie in at most half of the list's blocks:
        only those blocks are inflated, and nothing is kept.  A phrase with diacritics
        needs the positions of a common syllable in a few articles (those holding the
        phrase without them), and inflating all of its blocks cost more than the rest
        of the phrase.  None when most blocks are needed (index them all, once)."""
        values = self._values
        if len(values) < 4 or any(v[0] != "block" for v in values):
            return None
        wanted = int(np.count_nonzero(select))
        if wanted == 0:
            return _EMPTY_U8, _EMPTY_I64, _EMPTY_I32
        if wanted * 4 > self.size:
            return None  # a large share of the postings (all of them, for a whole list): most blocks
        chosen = np.flatnonzero(select)
        starts = np.cumsum([0] + [v[1] for v in values])
        if starts[-1] != self.size:
            return None  # some block without positions: blocks and postings do not line up
        owner = np.searchsorted(starts, chosen, side="right") - 1
        blocks = np.unique(owner)
        if blocks.size * 2 > len(values):
            return None
        parts = [_block_values(values[block][1], values[block][2]) for block in blocks.tolist()]
        sizes = np.concatenate([part[0] for part in parts])
        data = np.concatenate([part[1] for part in parts])
        # Each chosen posting's place among the postings of the inflated blocks.
        counts = np.diff(starts)[blocks]
        first_of_block = np.cumsum(counts) - counts
        local = chosen - starts[owner] + first_of_block[np.searchsorted(blocks, owner)]
        return *_gather(data, np.concatenate(([0], np.cumsum(sizes))), local), self.docs[chosen]

    def kept_keys(self) -> np.ndarray | None:
        """:meth:`keys` if already decoded, else None."""
        return self._keys

    def keys(self) -> np.ndarray | None:
        """Sorted ``doc << POSITION_BITS | position`` of every occurrence (documents local to
        the segment), decoded once and kept; None for a list too long to keep
        (:data:`KEEP_POSITIONS`), or whose frequencies do not count its positions."""
        if self._keys is None:
            if self.freqs.dtype.kind != "u":
                return None
            count = int(self.freqs.sum(dtype=np.int64))
            if count > KEEP_POSITIONS:
                return None
            self._keys = _few_keys(self._values, self.docs) if count <= _FEW_POSITIONS and self._index is None else None
            if self._keys is None:
                data, offsets = self._value_index()
                if data.size == 0:
                    self._keys = _EMPTY_I64
                else:
                    owners, positions, _ = decode_positions(data, np.diff(offsets), self.docs)
                    self._keys = (owners << POSITION_BITS) | positions
            if self.on_grow is not None:
                self.on_grow(self._keys.nbytes)
        return self._keys

    def _value_index(self) -> tuple[np.ndarray, np.ndarray]:
        if self._index is None:
            before = self.nbytes()
            self._index = _index_values(self._values, self.size)
            self._values = []
            if self.on_grow is not None:
                self.on_grow(self.nbytes() - before)
        return self._index

    def nbytes(self) -> int:
        """Bytes held, Python's object overhead included: counting arrays only let a cache
        of many small (or empty) lists outgrow its budget by half again."""
        size = ENTRY_BYTES + self.docs.nbytes + self.freqs.nbytes
        if self._index is not None:
            size += self._index[0].nbytes + self._index[1].nbytes
        if self._keys is not None:
            size += self._keys.nbytes
        return size + sum(BLOCK_BYTES + len(v[-1]) for v in self._values)


EMPTY = Postings(_EMPTY_I32, _EMPTY_F32, [])


def read_postings(leaf, field: str, text: str) -> Postings:
    """Decode the postings of *text* in *field* of one segment reader *leaf*.

    Deleted documents are included: the view's ``live`` mask applies to every
    list alike (a cached list outlives later deletions in its segment).

    A segment of ours is read straight from its term table and postings file:
    one lookup of the term, and one read of the whole list.  Whoosh's own
    ``(field, text) in leaf`` then ``leaf.postings()`` looked the term up twice,
    read each block with three or four seeks, and wrapped the matcher of a
    segment with deletions in a filter that hid the raw blocks, which sent every
    list of an updated index down a posting-by-posting path.
    """
    schema = leaf.schema
    if field not in schema:
        return EMPTY
    terms = getattr(leaf, "_terms", None)
    if not isinstance(getattr(terms, "_codec", None), CompactCodec):
        return _from_matcher(leaf.postings(field, text)) if (field, text) in leaf else EMPTY
    terminfo = term_info(terms, field, schema[field].to_bytes(text))
    if terminfo is None:
        return EMPTY
    if terminfo.is_inlined():  # a term in a single document: its posting is in the term table
        ids, weights, values = terminfo.inlined_postings()
        encoded = [v for v in values if v]
        return Postings(
            np.array(ids, dtype=np.int32),
            compact_freqs(np.array(weights, dtype=np.float32)),
            [("list", [len(v) for v in encoded], b"".join(encoded))] if encoded else [],
        )
    # whoosh3's W3TermInfo.from_bytes leaves the length as a 1-tuple (its matcher never reads it).
    offset, length = (v[0] if isinstance(v, tuple) else v for v in terminfo.extent())
    return _from_blocks(read_blocks(terms._postfile, offset, length))


def _from_matcher(matcher) -> Postings:
    """Postings of another codec's segment, walked through its matcher."""
    docs, freqs, values = [], [], []
    while matcher.is_active():
        docs.append(matcher.id())
        freqs.append(matcher.weight())
        values.append(matcher.value() if matcher.supports("positions") else None)
        matcher.next()
    encoded = [v for v in values if v]
    return Postings(
        np.array(docs, dtype=np.int32),
        compact_freqs(np.array(freqs, dtype=np.float32)),
        [("list", [len(v) for v in encoded], b"".join(encoded))] if encoded else [],
    )


def _from_blocks(blocks) -> Postings:
    blocks = list(blocks)
    if len(blocks) == 1 and blocks[0][0] <= _FEW:
        return _from_one_small_block(*blocks[0])
    counts, id_bytes, weight_parts, values = [], [], [], []
    for count, ids, (kind, packed), block_values in blocks:
        counts.append(count)
        id_bytes.append(ids)
        if kind == _WEIGHTS_ONES:
            weight_parts.append(np.ones(count, dtype=np.uint8))
        elif kind == _WEIGHTS_INTS:
            weight_parts.append(decode_varints(packed))
        elif kind == _WEIGHTS_FLOATS:
            weight_parts.append(np.frombuffer(packed, dtype=np.float32))
        if block_values is not None:
            values.append(("block", count, block_values))
    deltas = decode_varints(b"".join(id_bytes))
    docs = _segmented_cumsum(deltas, np.array(counts, dtype=np.int64)).astype(np.int32)
    freqs = compact_freqs(np.concatenate(weight_parts)) if weight_parts else _EMPTY_F32
    return Postings(docs, freqs, values)


def _from_one_small_block(count: int, ids: bytes, weights: tuple, block_values) -> Postings:
    """:func:`_from_blocks` of a list of a few postings, in Python: the lists a query first
    meets are mostly of this kind, and numpy's fixed costs were three quarters of reading one."""
    docs, doc, at = [], 0, 0
    for _ in range(count):
        delta, at = _varint(ids, at)
        doc += delta
        docs.append(doc)
    kind, packed = weights
    if kind == _WEIGHTS_ONES:
        freqs = np.ones(count, dtype=np.uint8)
    elif kind == _WEIGHTS_INTS:
        freqs = compact_freqs(_decode_few_varints(packed))
    elif kind == _WEIGHTS_FLOATS:
        freqs = compact_freqs(np.frombuffer(packed, dtype=np.float32))
    else:
        freqs = _EMPTY_F32
    values = [("block", count, block_values)] if block_values is not None else []
    return Postings(np.array(docs, dtype=np.int32), freqs, values)


def compact_freqs(freqs: np.ndarray) -> np.ndarray:
    """Term frequencies in the smallest type that holds them exactly: nearly always whole
    numbers under 256, a byte each instead of a float's four, so the posting cache
    holds more lists (on 100,000 articles a query's lists outgrew it)."""
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


def _few_keys(values: list, docs: np.ndarray) -> np.ndarray | None:
    """:meth:`Postings.keys` of a list of a few positions, walked in Python: most lists a query
    meets for the first time hold a handful, and numpy's twenty calls cost 130 us where this
    costs a tenth.  None when the blocks do not line up with the postings."""
    owners = docs.tolist()
    keys: list[int] = []
    posting = 0
    for value in values:
        if value[0] == "block":
            _, count, packed = value
            data = packed.inflate() if isinstance(packed, Deflated) else bytes(packed)
            lengths, at = [], 0
            for _ in range(count):
                length, at = _varint(data, at)
                lengths.append(length)
        else:
            _, lengths, data = value
            data, at = bytes(data), 0
        for length in lengths:
            if posting == len(owners):
                return None
            base, end, position = owners[posting] << POSITION_BITS, at + length, 0
            while at < end:
                delta, at = _varint(data, at)
                position += delta
                keys.append(base | position)
            posting += 1
    return np.array(keys, dtype=np.int64) if posting == len(owners) else None


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """The LEB128 varint at *at* of *data*, and where the next one starts."""
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def _index_values(values: list, count: int) -> tuple[np.ndarray, np.ndarray]:
    """All position bytes of a posting list in one array, and each posting's byte offset."""
    lengths_parts, data_parts = [], []
    for value in values:
        if value[0] == "block":
            _, block_count, packed = value
            sizes, data = _block_values(block_count, packed)
            lengths_parts.append(sizes)
            data_parts.append(data)
        else:
            _, lengths, packed = value
            lengths_parts.append(np.array(lengths, dtype=np.int64))
            data_parts.append(np.frombuffer(packed, dtype=np.uint8))
    if not data_parts:
        return np.zeros(0, dtype=np.uint8), np.zeros(count + 1, dtype=np.int32)
    offsets = np.concatenate(([0], np.cumsum(np.concatenate(lengths_parts)))).astype(np.int32)
    return np.concatenate(data_parts), offsets


def _gather(data: np.ndarray, offsets: np.ndarray, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The position bytes of the postings *chosen* in one run, and how many each has: posting
    ``i``'s bytes are ``data[offsets[i]:offsets[i + 1]]``."""
    starts = offsets[chosen]
    lengths = offsets[chosen + 1] - starts
    shift = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return data[np.arange(int(lengths.sum())) + shift], lengths


def _block_values(count: int, packed) -> tuple[np.ndarray, np.ndarray]:
    """``(position bytes of each posting, the position bytes)`` of one block of *count* postings."""
    if isinstance(packed, Deflated):
        packed = packed.inflate()
    raw = np.frombuffer(packed, dtype=np.uint8)
    # A block's values start with one varint length per posting.
    ends = np.flatnonzero(raw < 0x80)[:count]
    return decode_varints(raw[: ends[-1] + 1]), raw[ends[-1] + 1 :]


class PostingCache:
    """An LRU of decoded posting lists, keyed by segment, field and term, bounded in bytes.

    A list grows a little when its positions are first indexed; it reports that,
    and the cache evicts to stay within bounds.
    """

    def __init__(self, max_bytes: int = 64 << 20):
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, Postings] = OrderedDict()
        self._bytes = 0

    def get(self, segment_key: str, leaf, field: str, text: str) -> Postings:
        key = (segment_key, field, text)
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
            return found
        postings = read_postings(leaf, field, text)
        if postings is not EMPTY:
            postings.on_grow = self._grew
        self._items[key] = postings
        self._grew(postings.nbytes())
        return postings

    def _grew(self, size: int) -> None:
        self._bytes += size
        while self._bytes > self.max_bytes and len(self._items) > 1:
            _, evicted = self._items.popitem(last=False)
            self._bytes -= evicted.nbytes()

    def forget_segments(self, live: set[str]) -> None:
        for key in [k for k in self._items if k[0] not in live]:
            self._bytes -= self._items.pop(key).nbytes()
