"""A Whoosh codec that stores posting blocks compactly.

Whoosh's W3 codec pickles each block of postings with pickle protocol 2, which
has no opcode for ``bytes``: every posting value (our positions) costs some
fifteen bytes of pickling boilerplate, and weights are pickled as eight-byte
floats.  On a syllable-level index of Vietnamese news (a posting for nearly
every word of the text) that made the index three times the size of the text.

:class:`CompactCodec` keeps the W3 file layout, term index and block headers,
and changes only how the data of one block is packed:

* document ids: varint-encoded deltas;
* weights: absent when all are 1, else varints when all are whole numbers
  (they are term frequencies here), else a float array;
* values: a varint length per posting followed by the concatenated values;
* ids and weights are deflated apart from the values (``SPLIT``), so a reader
  that ranks by frequencies never inflates positions (search/postings.py).

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
import zlib
from array import array
from functools import cache
from pathlib import Path
from pickle import dumps, load, loads
from struct import Struct

from whoosh import columns
from whoosh.codec import whoosh3
from whoosh.matching import ListMatcher
from whoosh.reading import CorruptIndexError
from whoosh.util.numeric import length_to_byte

from index import varint

_ZDICT_DIR = Path(__file__).resolve().parent / "zdict"
STORED_DICTIONARY = 1  # version of index/zdict/stored-v<N>.bin used by new segments

_INT = Struct("!i")  # block lengths, as Whoosh's StructFile writes them
# Below this size zlib only adds its header (W3 uses the same threshold).
_COMPRESS_MIN = 80
_WEIGHTS_ONES, _WEIGHTS_INTS, _WEIGHTS_FLOATS = 0, 1, 2
# A block's "compression" header field: -1 for blocks with ids/weights and positions deflated
# apart (new segments); a zlib level or 0 for one stream (segments written before).
SPLIT = -1


class Deflated:
    """Still-deflated position bytes of a block, from :func:`read_blocks`
    (a wrapper, not a bytes subclass: that would copy every block once more)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def inflate(self) -> bytes:
        return zlib.decompress(self.data)


def _deflate(data: bytes, level: int) -> tuple[bytes, bool]:
    """*data* deflated at *level* when that is worth it, and whether it was."""
    if level and len(data) >= _COMPRESS_MIN:
        return zlib.compress(data, level), True
    return data, False


class CompactCodec(whoosh3.W3Codec):
    """W3 layout with compactly packed posting blocks."""

    # inlinelimit=2: a term found in one document keeps its posting in the term
    # index instead of a block of its own (W3's default never inlines anything).
    # blocklimit=1024: the search reads whole posting lists into arrays
    # (search/postings.py), so big blocks mean fewer headers and better compression.
    def __init__(self, blocklimit: int = 1024, compression: int = 3, inlinelimit: int = 2):
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

        ids = self._ids
        previous = 0
        deltas = []
        for docnum in ids:
            deltas.append(docnum - previous)
            previous = docnum
        weights = self._weights
        if all(w == 1.0 for w in weights):
            packed_weights = (_WEIGHTS_ONES, b"")
        elif all(w == int(w) and w >= 0 for w in weights):
            packed_weights = (_WEIGHTS_INTS, varint.encode(int(w) for w in weights))
        else:
            packed_weights = (_WEIGHTS_FLOATS, array("f", weights).tobytes())
        values = self._values
        fixed = self._format.fixed_value_size()
        if not values:
            packed_values = None
        elif fixed is None:
            packed_values = varint.encode(len(v) for v in values) + b"".join(values)
        else:
            packed_values = b"".join(values)
        # Ids and weights, and the positions, are deflated separately (SPLIT): ranking reads
        # only the first part of most lists, and positions stay deflated until a phrase needs them.
        head, head_deflated = _deflate(dumps((varint.encode(deltas), packed_weights), 5), self._compression)
        if packed_values is not None:
            packed_values, values_deflated = _deflate(packed_values, self._compression)
        else:
            values_deflated = False
        databytes = dumps((head, head_deflated, packed_values, values_deflated), 5)
        comp = SPLIT
        infobytes = dumps(
            (
                len(ids),
                ids[-1],
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
    """``(count, id_deltas, (weight_kind, weights), values)`` of every block of the posting
    list at *offset* (*length* bytes, header included), from one read of the file.

    Positions of SPLIT blocks come as :class:`Deflated` bytes.  Reading the list
    whole spares the three or four seeks and reads per block of Whoosh's matcher,
    which were most of the cost of a long list on 100,000 articles.
    """
    data = memoryview(postfile.get(offset, length))  # blocks are sliced out without copies
    if data[:4] != whoosh3.WHOOSH3_HEADER_MAGIC:
        raise CorruptIndexError(f"bad postings header {data[:4]!r} at offset {offset}: rebuild the index")
    stream = io.BytesIO(data)
    position = 4
    while True:
        (size,) = _INT.unpack_from(data, position)
        last = size < 0
        end = position + 4 + abs(size)
        stream.seek(position + 4)
        info = load(stream)
        block = data[stream.tell() : end]
        if info[3] == SPLIT:
            head, head_deflated, values, values_deflated = loads(block)
            ids, weights = loads(zlib.decompress(head) if head_deflated else head)
            if values_deflated:
                values = Deflated(values)
        else:
            ids, weights, values = loads(zlib.decompress(block) if info[3] else block)
        yield info[0], ids, weights, values
        if last or end >= len(data):
            return
        position = end


class CompactLeafMatcher(whoosh3.W3LeafMatcher):
    def _read_data(self):
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        if self._compression == SPLIT:
            head, head_deflated, values, values_deflated = loads(data)
            ids, weights = loads(zlib.decompress(head) if head_deflated else head)
            self._data = (ids, weights, zlib.decompress(values) if values_deflated else values)
            return
        if self._compression:
            data = zlib.decompress(data)
        self._data = loads(data)

    def _read_ids(self):
        if self._data is None:
            self._read_data()
        ids = []
        docnum = 0
        for delta in varint.decode(self._data[0])[0]:
            docnum += delta
            ids.append(docnum)
        self._ids = ids

    def _read_weights(self):
        if self._data is None:
            self._read_data()
        kind, packed = self._data[1]
        if kind == _WEIGHTS_ONES:
            self._weights = [1.0] * self._blocklength
        elif kind == _WEIGHTS_INTS:
            self._weights = [float(w) for w in varint.decode(packed)[0]]
        else:
            self._weights = array("f", packed)

    def _read_values(self):
        if self._data is None:
            self._read_data()
        packed = self._data[2]
        count = self._blocklength
        fixed = self._fixedsize
        if fixed == 0 or packed is None:
            self._values = (None,) * count
        elif fixed is None or fixed < 0:
            # The first `count` varints are the lengths, the values follow them.
            lengths, offset = varint.decode(packed, count)
            values = []
            for length in lengths:
                values.append(packed[offset : offset + length])
                offset += length
            self._values = values
        else:
            self._values = [packed[i : i + fixed] for i in range(0, len(packed), fixed)]


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
