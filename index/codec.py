"""A Whoosh codec that stores posting blocks compactly.

Whoosh's W3 codec pickles each block of postings with pickle protocol 2, which
has no opcode for ``bytes``: every posting value (our positions) costs some
fifteen bytes of pickling boilerplate, and weights are pickled as eight-byte
floats.  On a syllable-level index of Vietnamese news (a posting for nearly
every word of the text) that made the index three times the size of the text.

:class:`CompactCodec` keeps the W3 file layout, term index and block headers
(the block's count, last id, largest weight and shortest field length), and
changes how the data of one block is packed: as little-endian arrays that numpy
reads in place (``np.frombuffer``), no pickle, no zlib, no varints (``FLAT``,
index format 3).  A search reads whole posting lists of syllables found in
most of 100,000 articles; inflating and decoding them was a third of its CPU,
and a flat array costs one copy from the page cache.  What a block holds, in
order (:func:`pack_flat`, :func:`unpack_flat`):

* a header: the first document id, the number of positions, and the width of
  each array below;
* document ids, less the first one: 2 bytes each when the block spans fewer
  than 65,536 documents, else 4;
* weights (term frequencies): absent when all are 1, else 1 or 2 bytes each
  when whole numbers, else 4-byte floats;
* positions (:class:`index.formats.VarintPositions` fields): every posting's
  positions in order, absolute, 2 bytes each when all are under 65,536, else
  4; a posting holds as many as its frequency (else a 4-byte count per
  posting follows the weights).  Values of any other format are kept as raw
  bytes with a 4-byte length each.

That is about 2 bytes a posting and 2 a position where the old blocks (varint
deltas, deflated) took about 1; the index grows by a half and needs no decoding.

Stored fields (the article text shown in results) are compressed one document
at a time, as in W3, but with a preset zlib dictionary of Vietnamese news text
(``index/zdict/stored-v1.bin``, taken from our own sample articles): a 2 KB
article shares little with itself, much with Vietnamese at large.  That takes
a fifth off the stored text.  The dictionary file is frozen; a new one would
be ``stored-v2.bin``, and the version is recorded with each segment.

Each segment records the codec that wrote it, so an index opens with the right
decoder; every writer of ours is created with this codec (see
:func:`index.store.open_writer`).
"""

from __future__ import annotations

import io
import itertools
import zlib
from functools import cache
from pathlib import Path
from pickle import dumps, load
from struct import Struct
from typing import NamedTuple

import numpy as np
from whoosh import columns
from whoosh.codec import whoosh3
from whoosh.matching import ListMatcher
from whoosh.reading import CorruptIndexError
from whoosh.util.numeric import length_to_byte

from index import varint
from index.formats import VarintPositions

_ZDICT_DIR = Path(__file__).resolve().parent / "zdict"
STORED_DICTIONARY = 1  # version of index/zdict/stored-v<N>.bin used by new segments

_INT = Struct("!i")  # block lengths, as Whoosh's StructFile writes them
# A block's "compression" header field: FLAT for the arrays of format 3.  (Format 2's
# deflated varint blocks, -1, are not read: such an index is refused, index/version.py.)
FLAT = -2
_FLAT_HEAD = Struct("<IIBBBB")  # first id, positions, id width, weight code, position code, counts
_ONES, _FLOATS = 0, 3  # weight codes besides 1 and 2 (bytes per whole number): all 1; 4-byte floats
_RAW = 255  # position code (else bytes per position) of raw values of another format
_WIDTHS = {1: "u1", 2: "<u2", 4: "<u4"}
_FEW = 16  # postings below which a block is packed in Python (numpy's fixed costs)


class FlatBlock(NamedTuple):
    """One block's postings as arrays (:func:`unpack_flat`)."""

    ids: np.ndarray  # int32 document numbers, ascending
    weights: np.ndarray | None  # uint8 / uint16 / float32; None: every weight 1
    counts: np.ndarray | None  # positions per posting, when they are not the weights
    positions: np.ndarray | None  # uint16 / uint32 positions of every posting in order; None: none
    raw: tuple[np.ndarray, bytes] | None  # (lengths, bytes) of values of another format


def _width(top: int) -> int:
    return 2 if top < 1 << 16 else 4


def id_bytes(first: int, last: int) -> int:
    """The bytes an id takes in a :data:`FLAT` block whose ids run from *first* to *last*."""
    return _width(int(last) - int(first))


def pack_flat(ids: list[int], weights: list[float], values: list | None, positional: bool) -> bytes:
    """A block's postings as :data:`FLAT` arrays; *positional*: values are varint position deltas."""
    counts = positions = raw = None
    if values and any(values):
        if positional:
            counts, positions = _decode_positions(values)
        else:
            raw = (np.array([len(v or b"") for v in values], dtype="<u4"), b"".join(v or b"" for v in values))
    return _pack_arrays(np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64), counts, positions, raw)


def join_flat(first: FlatBlock, second: FlatBlock) -> bytes | None:
    """Two blocks of one list (the *second*'s ids after the *first*'s) as the one block
    :func:`pack_flat` writes of their postings together; None for values of another format."""
    if first.raw is not None or second.raw is not None or (first.positions is None) != (second.positions is None):
        return None
    ids = np.concatenate((first.ids, second.ids)).astype(np.int64)
    weights = np.concatenate([_frequencies(b) for b in (first, second)])
    if first.positions is None:
        return _pack_arrays(ids, weights)
    counts = np.concatenate([b.counts if b.counts is not None else _frequencies(b) for b in (first, second)])
    positions = np.concatenate((first.positions, second.positions)).astype(np.int64)
    return _pack_arrays(ids, weights, counts, positions)


def _pack_arrays(
    ids: np.ndarray,
    weights: np.ndarray,
    counts: np.ndarray | None = None,
    positions: np.ndarray | None = None,
    raw: tuple[np.ndarray, bytes] | None = None,
) -> bytes:
    """A :data:`FLAT` block of *ids* (int64, ascending) and *weights* (float64), with every
    posting's *counts* and *positions*, or *raw* ``(lengths, bytes)`` of values of another format."""
    base = int(ids[0])
    id_width = _width(int(ids[-1]) - base)
    parts = [(ids - base).astype(_WIDTHS[id_width]).tobytes()]
    if bool(np.all(weights == 1.0)):
        weight_code = _ONES
    elif bool(np.all((weights == np.trunc(weights)) & (weights >= 0) & (weights < 1 << 16))):
        weight_code = 1 if weights.max() < 1 << 8 else 2
        parts.append(weights.astype(np.int64).astype(_WIDTHS[weight_code]).tobytes())
    else:
        weight_code = _FLOATS
        parts.append(weights.astype("<f4").tobytes())
    position_code, has_counts, count = 0, 0, 0
    if positions is not None and counts is not None:
        count = positions.size
        if not np.array_equal(counts.astype(np.int64), weights.astype(np.int64)):
            has_counts = 1
            parts.append(counts.astype("<u4").tobytes())
        position_code = _width(int(positions.max()) if count else 0)
        parts.append(positions.astype(_WIDTHS[position_code]).tobytes())
    elif raw is not None:
        position_code = _RAW
        parts += [raw[0].tobytes(), raw[1]]
    return _FLAT_HEAD.pack(base, count, id_width, weight_code, position_code, has_counts) + b"".join(parts)


def _frequencies(block: FlatBlock) -> np.ndarray:
    return np.ones(block.ids.size) if block.weights is None else block.weights.astype(np.float64)


def _decode_positions(values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(positions per posting, absolute positions) of varint-delta *values*."""
    if len(values) < _FEW or not all(values):
        counts, positions = [], []
        for value in values:
            found = varint.decode_deltas(value)
            counts.append(len(found))
            positions.extend(found)
        return np.array(counts, dtype=np.int64), np.array(positions, dtype=np.int64)
    raw = np.frombuffer(b"".join(values), dtype=np.uint8)
    deltas = varint.decode_array(raw)
    ends = np.cumsum(raw < 0x80)  # varints ended by each byte, running
    bounds = np.cumsum([len(v) for v in values])
    counts = np.diff(np.concatenate(([0], ends[bounds - 1]))) if bounds.size else np.zeros(0, dtype=np.int64)
    total = np.cumsum(deltas)
    restart = np.repeat(np.concatenate(([0], total[np.cumsum(counts)[:-1] - 1])), counts)
    return counts, total - restart


def unpack_flat(data: bytes | memoryview, count: int) -> FlatBlock:
    """The arrays of one :data:`FLAT` block of *count* postings (views into *data*)."""
    base, positions_count, id_width, weight_code, position_code, has_counts = _FLAT_HEAD.unpack_from(data, 0)
    at = _FLAT_HEAD.size
    ids = np.frombuffer(data, _WIDTHS[id_width], count, at).astype(np.int32) + np.int32(base)
    at += id_width * count
    weights = None
    if weight_code == _FLOATS:
        weights = np.frombuffer(data, "<f4", count, at).astype(np.float32)
        at += 4 * count
    elif weight_code != _ONES:
        weights = np.frombuffer(data, _WIDTHS[weight_code], count, at)
        at += weight_code * count
    counts = positions = raw = None
    if has_counts:
        counts = np.frombuffer(data, "<u4", count, at)
        at += 4 * count
    if position_code == _RAW:
        lengths = np.frombuffer(data, "<u4", count, at)
        raw = (lengths, bytes(data[at + 4 * count :]))
    elif position_code:
        positions = np.frombuffer(data, _WIDTHS[position_code], positions_count, at)
    return FlatBlock(ids, weights, counts, positions, raw)


class CompactCodec(whoosh3.W3Codec):
    """W3 layout with compactly packed posting blocks."""

    # inlinelimit=2: a term found in one document keeps its posting in the term
    # index instead of a block of its own (W3's default never inlines anything).
    # blocklimit=8192: the search reads whole posting lists into arrays
    # (search/postings.py), and each block costs a header to unpickle and a few
    # numpy views to make (~8 us): a syllable in 90,000 of 100,000 articles was
    # 90 blocks of 1,024 postings and is now 11.
    def __init__(self, blocklimit: int = 8192, compression: int = 3, inlinelimit: int = 2):
        super().__init__(blocklimit, compression, inlinelimit)
        self.stored_dictionary = STORED_DICTIONARY

    def per_document_writer(self, storage, segment):
        return CompactPerDocWriter(self, storage, segment)

    def per_document_reader(self, storage, segment):
        # Segments written before the dictionary existed have no version: plain zlib.
        return CompactPerDocReader(storage, segment, getattr(self, "stored_dictionary", None))

    def postings_writer(self, dbfile, byteids=False):
        if byteids:  # term vectors: not used by this project, keep W3's format
            return super().postings_writer(dbfile, byteids)
        return CompactPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=False,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            ids, weights, values = terminfo.inlined_postings()
            return _InlineMatcher(ids, weights, values, format_, scorer=scorer, term=term, terminfo=terminfo)
        offset, length = terminfo.extent()
        return CompactLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


class _InlineMatcher(ListMatcher):
    """Inlined postings; a posting without a value reads as ``b""``.

    whoosh3's ListMatcher answers ``""`` (a str) there, and merging segments
    (every few incremental commits) then fails on its ``vbytes`` bytes check.
    """

    def value(self):
        value = super().value()
        return b"" if value == "" else value


class CompactTermInfo(whoosh3.W3TermInfo):
    """W3's term info; inlined postings are pickled with protocol 5 (W3 reads any)."""

    def set_inline(self, ids, weights, values):
        # Frequencies are whole numbers: pickled as ints they take 2 bytes, not 9.
        weights = tuple(int(w) if w == int(w) else w for w in weights)
        self._inlined = (tuple(ids), weights, tuple(values))

    def to_bytes(self):
        if not self.is_inlined():
            return super().to_bytes()
        header = self._struct.pack(
            True,
            self._weight,
            self._df,
            0 if self._minlength is None else length_to_byte(self._minlength),
            length_to_byte(self._maxlength),
            self._maxweight,
            0xFFFFFFFF if self._minid is None else self._minid,
            0xFFFFFFFF if self._maxid is None else self._maxid,
        )
        return header + dumps(self._inlined, 5)


class CompactPostingsWriter(whoosh3.W3PostingsWriter):
    def start_postings(self, format_, terminfo):
        super().start_postings(format_, CompactTermInfo())

    def _write_block(self, last=False):
        if not self._blockcount:
            self._postfile.write(whoosh3.WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)

        values = self._values
        fixed = self._format.fixed_value_size()
        databytes = pack_flat(
            self._ids, self._weights, values if fixed != 0 else None, isinstance(self._format, VarintPositions)
        )
        comp = FLAT
        infobytes = dumps(
            (
                len(self._ids),
                self._ids[-1],
                self._maxweight,
                comp,
                length_to_byte(self._minlength),
                length_to_byte(self._maxlength),
            ),
            5,
        )
        blocklength = len(infobytes) + len(databytes)
        self._postfile.write_int(-blocklength if last else blocklength)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


def read_blocks(postfile, offset: int, length: int):
    """:class:`FlatBlock` of every block of the posting list at *offset* (*length* bytes,
    header included), from one read of the file.

    Reading the list whole spares the three or four seeks and reads per block of
    Whoosh's matcher, which were most of the cost of a long list on 100,000 articles.
    """
    data = postfile.get(offset, length)
    if data[:4] != whoosh3.WHOOSH3_HEADER_MAGIC:
        raise CorruptIndexError(f"bad postings header {data[:4]!r} at offset {offset}: rebuild the index")
    stream = io.BytesIO(data)
    position = 4
    while True:
        (size,) = _INT.unpack_from(data, position)
        last = size < 0
        end = position + 4 + abs(size)
        stream.seek(position + 4)
        info = load(stream)  # the block header W3 writes: pickled by this codec, in our own index
        if info[3] != FLAT:
            raise CorruptIndexError(f"posting block of an older format at offset {offset}: rebuild the index")
        yield unpack_flat(memoryview(data)[stream.tell() : end], info[0])
        if last or end >= len(data):
            return
        position = end


class CompactLeafMatcher(whoosh3.W3LeafMatcher):
    """Whoosh's matcher over :data:`FLAT` blocks: what merging segments reads."""

    def _read_data(self):
        if self._compression != FLAT:
            raise CorruptIndexError("posting block of an older format: rebuild the index")
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        self._data = unpack_flat(data, self._blocklength)

    def _read_ids(self):
        if self._data is None:
            self._read_data()
        self._ids = self._data.ids.tolist()

    def _read_weights(self):
        if self._data is None:
            self._read_data()
        weights = self._data.weights
        self._weights = [1.0] * self._blocklength if weights is None else weights.astype(float).tolist()

    def _read_values(self):
        if self._data is None:
            self._read_data()
        block = self._data
        if block.raw is not None:
            lengths, data = block.raw
            ends = np.cumsum(lengths).tolist()
            self._values = [data[end - size : end] for end, size in zip(ends, lengths.tolist(), strict=True)]
        elif block.positions is None:
            self._values = (None,) * self._blocklength
        else:
            self._values = _varint_values(block)


def _varint_values(block: FlatBlock) -> list[bytes]:
    """Each posting's positions as :class:`index.formats.VarintPositions` bytes (varint deltas)."""
    counts = block.counts if block.counts is not None else block.weights
    counts = np.ones(block.ids.size, dtype=np.int64) if counts is None else counts.astype(np.int64)
    positions = block.positions.astype(np.int64)
    firsts = np.cumsum(counts) - counts
    deltas = np.diff(positions, prepend=0)
    deltas[firsts[counts > 0]] = positions[firsts[counts > 0]]  # each posting starts from 0
    data, sizes = varint.encode_array(deltas)
    ends = np.concatenate(([0], np.cumsum(sizes)))
    bounds = [0, *ends[np.cumsum(counts)].tolist()]
    return [data[start:end] for start, end in itertools.pairwise(bounds)]


# --- stored fields -----------------------------------------------------------------


@cache
def stored_zdict(version: int) -> bytes:
    return (_ZDICT_DIR / f"stored-v{version}.bin").read_bytes()


class DictionaryCompressedColumn(columns.CompressedBytesColumn):
    """Variable-length bytes, each value deflated with a preset dictionary."""

    def __init__(self, version: int, level: int = 9):
        super().__init__(level=level)
        self._version = version

    def writer(self, dbfile):
        return self.Writer(dbfile, self._level, stored_zdict(self._version))

    def reader(self, dbfile, basepos, length, doccount):
        return self.Reader(dbfile, basepos, length, doccount, stored_zdict(self._version))

    class Writer(columns.VarBytesColumn.Writer):
        def __init__(self, dbfile, level: int, zdict: bytes):
            columns.VarBytesColumn.Writer.__init__(self, dbfile)
            self._level = level
            self._zdict = zdict

        def add(self, docnum, value):
            packer = zlib.compressobj(self._level, zdict=self._zdict)
            columns.VarBytesColumn.Writer.add(self, docnum, packer.compress(value) + packer.flush())

    class Reader(columns.VarBytesColumn.Reader):
        def __init__(self, dbfile, basepos, length, doccount, zdict: bytes):
            columns.VarBytesColumn.Reader.__init__(self, dbfile, basepos, length, doccount)
            self._zdict = zdict

        def __getitem__(self, docnum):
            value = columns.VarBytesColumn.Reader.__getitem__(self, docnum)
            return zlib.decompressobj(zdict=self._zdict).decompress(value) if value else value

        def __iter__(self):
            for docnum in range(self._doccount):
                yield self[docnum]


def _stored_column(version: int | None):
    if version is None:
        return whoosh3.STORED_COLUMN
    return columns.PickleColumn(DictionaryCompressedColumn(version))


class CompactPerDocWriter(whoosh3.W3PerDocWriter):
    def _create_column(self, fieldname, column):
        if fieldname == "_stored":
            column = _stored_column(self._codec.stored_dictionary)
        super()._create_column(fieldname, column)


class CompactPerDocReader(whoosh3.W3PerDocReader):
    def __init__(self, storage, segment, version: int | None):
        super().__init__(storage, segment)
        self._stored = _stored_column(version)

    def stored_fields(self, docnum):
        return self._cached_reader("_stored", self._stored)[docnum] or {}
