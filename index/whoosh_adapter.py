"""Every use of Whoosh's private state and file formats, in one place, for one version.

The search reads the index's files more directly than Whoosh's public API lets it
(whole posting lists as arrays, field lengths as one byte array, term lookups with
two reads): each such reach into whoosh3's internals is a function here, so a new
Whoosh release is checked against this module and its tests
(``tests/test_whoosh_adapter.py``) alone.  :data:`TESTED` names the release
they were written for; another one is refused at import, with the pin to restore
(``constraints.txt``), rather than misread.  (The codec, :mod:`index.codec`,
extends whoosh3's W3 codec classes: it is the other module to check.)

**Term lookups** in a segment's term table, with two positioned reads each.  A
segment's terms live in Whoosh's on-disk hash file (``.trm``).  Whoosh's
``HashReader`` looks a term up through its ``StructFile``: a seek and a read
for each slot probed, again for the key's lengths, for the key, for the value
-- about nine system calls and as many layers of Python per term.  A question
on 100,000 articles looks up some 120 terms that are not in the posting cache,
and a worker that has just started looks up dozens per request, so the lookup
was most of the cost of reading a short posting list.  Here the same file is
read with ``os.pread`` (no seek, no buffer to invalidate, safe to share between
threads): one read for the slot, one for the key and its value together.  The
file is not memory-mapped: on 100,000 articles the term tables are some 80 MB
that would count, page by page, towards a worker's RSS.
"""

from __future__ import annotations

import os
import struct
from typing import Any

import numpy as np
import whoosh
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3TermInfo
from whoosh.filedb.filetables import HashReader
from whoosh.index import TOC
from whoosh.reading import TermNotFound

TESTED = (3, 54)  # whoosh3's release (major, minor) this module reads the internals of
if tuple(whoosh.__version__[:2]) != TESTED:
    raise ImportError(
        f"whoosh3 {whoosh.versionstring()} is installed; this project reads the internals of "
        f"whoosh3 {TESTED[0]}.{TESTED[1]} (index/whoosh_adapter.py): install the version "
        "pinned in constraints.txt (bin/setup)"
    )

_LENGTHS = struct.Struct("!ii")  # key length, value length (whoosh.filedb.filetables._lengths)
_POINTER = struct.Struct("!Iq")  # key hash, item position (whoosh.filedb.filetables._pointer)
_USHORT = struct.Struct("!H")  # a term's field number, before its bytes (W3TermsReader._keycoder)
_READ_AHEAD = 256  # bytes read with the lengths: most keys and values fit


class TermTable:
    """Values of one segment's terms file, looked up like ``W3TermsReader._tindex[key]``."""

    def __init__(self, terms_reader) -> None:
        index: HashReader = terms_reader._tindex
        self._file = terms_reader._dbfile
        self._fd = self._file.file.fileno()
        self._tables = index.tables
        self._hash = index.hashfn
        self._fields = terms_reader._fieldmap

    def value(self, field: str, text: bytes) -> bytes | None:
        """The stored term info of *text* in *field*, or None when the segment lacks it."""
        if self._file.is_closed:  # its descriptor's number may belong to another file by now
            raise ValueError(f"the terms file {self._file} is closed")
        number = self._fields.get(field)
        if number is None:
            return None
        key = _USHORT.pack(number) + text
        keyhash = self._hash(key)
        start, slots = self._tables[keyhash & 255]
        if not slots:
            return None
        fd = self._fd
        end = start + slots * _POINTER.size
        slot = start + ((keyhash >> 8) % slots) * _POINTER.size
        for _ in range(slots):
            slothash, position = _POINTER.unpack(os.pread(fd, _POINTER.size, slot))
            if not position:
                return None
            if slothash == keyhash:
                head = os.pread(fd, _READ_AHEAD, position)
                keylength, valuelength = _LENGTHS.unpack_from(head)
                if keylength == len(key):
                    needed = _LENGTHS.size + keylength + valuelength
                    if len(head) < needed:
                        head = os.pread(fd, needed, position)
                    if head[_LENGTHS.size : _LENGTHS.size + keylength] == key:
                        return head[_LENGTHS.size + keylength : needed]
            slot += _POINTER.size
            if slot == end:
                slot = start
        return None


def term_info(terms_reader, field: str, text: bytes) -> W3TermInfo | None:
    """The term info of *text* in *field* of one segment's terms reader, or None when the
    segment lacks it.  A file that is not a real one (an index in memory) is looked up
    through Whoosh."""
    table = getattr(terms_reader, "_hnp_table", None)
    if table is None:
        try:
            table = terms_reader._hnp_table = TermTable(terms_reader)
        except (AttributeError, OSError, ValueError):  # io.BytesIO and the like have no descriptor
            try:
                return terms_reader.term_info(field, text)
            except (KeyError, TermNotFound):
                return None
    value = table.value(field, text)
    return None if value is None else W3TermInfo.from_bytes(value)


def doc_frequency(reader, field: str, text: str) -> int:
    """How many documents of one segment *reader* hold *text* in *field*, deleted ones
    included, as ``reader.doc_frequency`` counts them: read from the term table with two
    reads instead of Whoosh's nine (accent restoration asks for hundreds a query)."""
    terms = getattr(reader, "_terms", None)
    schema = getattr(reader, "schema", None)
    if schema is not None and field not in schema:
        return 0
    if terms is None or schema is None:
        return reader.doc_frequency(field, text)
    found = term_info(terms, field, schema[field].to_bytes(text))
    return 0 if found is None else found.doc_frequency()


def leaves(reader) -> list[tuple[Any, int]]:
    """``(segment reader, first document number)`` of each segment of *reader*."""
    return reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]


def deleted_docs(reader) -> np.ndarray:
    """The deleted document numbers of one segment reader (int64, local to the segment)."""
    if not reader.has_deletions():
        return np.zeros(0, dtype=np.int64)
    # whoosh3 made deleted_docs_set a cached property (a method in Whoosh 2.7).
    found = reader.deleted_docs_set
    return np.fromiter(found() if callable(found) else found, dtype=np.int64)


def segment_id(reader) -> str:
    """A name of one segment reader's segment, the same for every reader of that segment."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    return segment.segment_id() if segment is not None else str(id(reader))


def length_bytes(reader, field: str) -> np.ndarray | None:
    """Each document's length of *field* in one segment, as Whoosh stores it (one lossy byte,
    ``whoosh.util.numeric.byte_to_length``), read in one piece; None when the segment has
    no lengths of *field*."""
    column = reader._perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)
    if column is None:
        return None
    try:
        return np.frombuffer(column._dbfile.get(column._basepos, column._count), dtype=np.uint8)
    except AttributeError:  # another column implementation: read it value by value
        count = reader.doc_count_all()
        return np.fromiter((column[i] for i in range(count)), dtype=np.uint8, count=count)


def terms_of(reader):
    """One segment reader's terms reader, or None (a reader of another kind)."""
    return getattr(reader, "_terms", None)


def codec_of(terms_reader):
    """The codec that wrote a segment, from its terms reader."""
    return getattr(terms_reader, "_codec", None)


def postings_file(terms_reader):
    """The postings file (a Whoosh ``StructFile``) of one segment's terms reader."""
    return terms_reader._postfile


def posting_extent(terminfo: W3TermInfo) -> tuple[int, int]:
    """``(offset, length)`` of a term's postings in its segment's postings file."""
    # whoosh3's W3TermInfo.from_bytes leaves the length as a 1-tuple (its matcher never reads it).
    offset, length = (v[0] if isinstance(v, tuple) else v for v in terminfo.extent())
    return offset, length


def toc_path(folder: str, indexname: str, generation: int) -> str:
    """The file of the table of contents of commit *generation* (which may not exist yet)."""
    return os.path.join(folder, TOC._filename(indexname, generation))


def segment_count(ix) -> int:
    """How many segments the newest commit of index *ix* has."""
    return len(ix._segments()) if hasattr(ix, "_segments") else 1
