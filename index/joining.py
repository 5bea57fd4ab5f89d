"""One segment from a build's processes: each writes its own, and the parent joins them block by block.

A full build analyses the articles in several processes (Whoosh's ``MpWriter``), and a
search reads every term's list once per segment, so a build leaves one segment (BENCHMARKS.md,
issue 16's fourth round).  Whoosh's own way to one segment sends each process's sorted
postings to the parent, which merges them and writes every posting again, one at a time in
Python, on one core: on 100,000 articles that was 20 of a build's 40 minutes, and on news-00
three of five.

Here each process finishes a segment of its own, in parallel (Whoosh's ``multisegment``), and
the parent joins them into one: the stored fields, lengths and columns document by document
(Whoosh's ``write_per_doc``), and each term's posting list as its lists in each segment one
after the other, their blocks copied as bytes.  A block of :mod:`index.codec` holds its ids
relative to its first, so moving a segment's documents after another's changes only the first
id and the block header's last; the positions are not read at all.  Only a term of one
document in some segment (its posting inlined in the term table) and found in another segment
too is written again posting by posting.

The joined segment holds the same postings, lengths and stored fields as Whoosh's merge
(``tests/test_joining.py`` compares them, ``bench/same_index.py`` two whole indexes).  Where two
processes' lists of a term meet, the last block of one and the first of the next become one block
when they fit in one and its ids take no more bytes than each block's did (2 bytes while a block
spans under 65,536 documents): news-00's index is then the size Whoosh's merge left (96.5 MB), and
100,000 articles' stays smaller than it (721 MiB against 803: a block of one process's segment
spans at most that segment's documents, so its ids fit in 2 bytes more often).  Other blocks are cut
where each process's list ended rather than every ``blocklimit`` postings, which the readers take
as they come.

The processes sort their postings through :mod:`index.runs` (Whoosh's external sort, its runs
written and read in batches).
"""

from __future__ import annotations

import heapq
import io
import pickle
import queue
from collections.abc import Iterator
from struct import Struct

from whoosh.codec import whoosh3
from whoosh.multiproc import MpWriter
from whoosh.system import pack_ushort, unpack_ushort

from index.codec import FLAT, CompactTermInfo, id_bytes, join_flat, unpack_flat
from index.runs import BatchedSubWriterTask
from index.whoosh_adapter import posting_extent

_SIZE = Struct("!i")  # a block's length, negative for a list's last block (as W3 writes it)
_FIRST_ID = Struct("<I")  # the first id at the start of a flat block's data (index.codec._FLAT_HEAD)
_MAGIC = whoosh3.WHOOSH3_HEADER_MAGIC


class JoiningWriter(MpWriter):
    """Whoosh's multi-process writer whose processes each finish a segment, joined at the commit."""

    def __init__(self, ix, procs: int, **kwargs):
        super().__init__(ix, procs=procs, multisegment=True, **kwargs)

    def _new_task(self) -> BatchedSubWriterTask:
        """Whoosh's process (as ``MpWriter`` starts it), its postings sorted in batches (index.runs)."""
        args = (self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment)
        task = BatchedSubWriterTask(*args)
        self.tasks.append(task)
        task.start()
        return task

    def _commit(self, mergetype, optimize, merge) -> None:
        if self._added:  # documents this process indexed itself: Whoosh's separate segments
            super()._commit(mergetype, optimize, merge)
            return
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self.jobqueue.put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        for task in self.tasks:
            task.join()
        parts = []
        for task in self.tasks:
            # Whoosh's own commit skips a process that sent nothing back, and its documents with
            # it: here the build fails instead, and the served index stays as it was.
            try:
                parts.append(self.resultqueue.get(timeout=5)[2])
            except queue.Empty:
                raise RuntimeError(f"a build process ended without its segment (exit code {task.exitcode})") from None
        join(self, parts)
        self._close_segment()
        self._assemble_segment()
        finalsegments.append(self.get_segment())
        self._commit_toc(finalsegments)  # and deletes the parts' files
        self._finish()


def join(writer, segments: list) -> None:
    """Write the documents and postings of *segments*, in order, into *writer*'s own segment."""
    storage, codec, schema = writer.storage, writer.codec, writer.schema
    names = set(schema.names())
    bases, documents = [], []  # each segment's first document number in the joined one; its per-document reader
    for segment in segments:
        bases.append(writer.docnum)
        documents.append(codec.per_document_reader(storage, segment))
        writer.write_per_doc(names, documents[-1])
    writer.perdocwriter.close()
    readers = [codec.terms_reader(storage, segment) for segment in segments]
    try:
        _join_postings(writer.fieldwriter, codec, schema, readers, bases, documents)
    finally:
        for reader in [*readers, *documents]:
            reader.close()


def _terms(reader, number: int) -> Iterator[tuple[str, bytes, int, CompactTermInfo]]:
    """``(field, term, segment number, term info)`` of a segment's term table, in order."""
    unmap = reader._fieldunmap  # the segment's field numbers (Whoosh's W3TermsReader)
    for key, value in reader._tindex.items():
        yield unmap[unpack_ushort(key[:2])[0]], key[2:], number, CompactTermInfo.from_bytes(value)


def _join_postings(fieldwriter, codec, schema, readers, bases: list[int], lengths) -> None:
    """Each term's lists in the segments of *readers*, one after the other, into *fieldwriter*."""
    # Each table is in the order of its field numbers, given in the order of the field names.
    merged = heapq.merge(*(_terms(reader, number) for number, reader in enumerate(readers)))
    field = None
    run: list[tuple[int, CompactTermInfo]] = []
    text = b""
    for name, btext, number, info in merged:
        if run and (name, btext) != (field, text):
            _write_term(fieldwriter, codec, schema[field], text, run, readers, bases, lengths)
            run = []
        if name != field:
            if field is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(name, schema[name])
            field = name
        text = btext
        run.append((number, info))
    if run:
        _write_term(fieldwriter, codec, schema[field], text, run, readers, bases, lengths)
    if field is not None:
        fieldwriter.finish_field()


def _write_term(fieldwriter, codec, fieldobj, btext: bytes, run, readers, bases, lengths) -> None:
    """One term's postings in the segments of *run* (``(segment number, term info)`` in order)."""
    if len(run) == 1 and run[0][1].is_inlined():  # one article's posting, in one segment
        number, info = run[0]
        if bases[number]:  # its id moved on
            ids, weights, values = info.inlined_postings()
            info._inlined = (tuple(i + bases[number] for i in ids), weights, values)
            info._minid += bases[number]
            info._maxid += bases[number]
        _add_term(fieldwriter, btext, info)
        return
    if any(info.is_inlined() for _, info in run):
        _rewrite(fieldwriter, codec, fieldobj, btext, run, readers, bases, lengths)
        return
    limit = fieldwriter._codec._blocklimit  # Whoosh's W3FieldWriter and W3Codec
    blocks: list[bytes] = []  # the joined list's blocks, each its header and data
    joined = CompactTermInfo()
    for number, info in run:
        offset, length = posting_extent(info)
        data = readers[number]._postfile.get(offset, length)
        if data[:4] != _MAGIC:
            raise ValueError(f"a posting list of a build's segment starts with {data[:4]!r}")
        moved = list(_blocks(data, bases[number]))
        if blocks:  # where two segments' lists meet, a short block and the next as one, if they fit
            both = _join_blocks(blocks[-1], moved[0], limit)
            if both is not None:
                blocks[-1] = both
                moved = moved[1:]
        blocks.extend(moved)
        _add_info(joined, info, bases[number])
    postfile = fieldwriter._postfile  # Whoosh's W3FieldWriter: the segment's postings file
    start = postfile.tell()
    postfile.write(_MAGIC)
    for at, block in enumerate(blocks):
        postfile.write(_SIZE.pack(-len(block) if at == len(blocks) - 1 else len(block)))
        postfile.write(block)
    joined.set_extent(start, postfile.tell() - start)
    _add_term(fieldwriter, btext, joined)


def _blocks(data: bytes, base: int) -> Iterator[bytes]:
    """The blocks of one posting list (after its magic number), each its header and data, their
    ids moved on by *base*."""
    position = 4
    while position < len(data):
        (size,) = _SIZE.unpack_from(data, position)
        end = position + 4 + abs(size)
        block = data[position + 4 : end]
        if base:
            header, body = _parts(block)
            count, last_id, *rest = header
            moved = bytearray(body)
            _FIRST_ID.pack_into(moved, 0, _FIRST_ID.unpack_from(moved, 0)[0] + base)
            block = pickle.dumps((count, last_id + base, *rest), 5) + bytes(moved)
        yield block
        position = end


def _parts(block: bytes) -> tuple[tuple, bytes]:
    """A block's header (count, last id, largest weight, packing, shortest and longest length as
    bytes: index.codec's CompactPostingsWriter) and its data."""
    stream = io.BytesIO(block)
    header = pickle.load(stream)  # written by this build's own processes a moment ago
    return header, block[stream.tell() :]


def _join_blocks(first: bytes, second: bytes, limit: int) -> bytes | None:
    """Two blocks of one list as one, as one process would have written it; None if they do not
    fit in a block, are not flat arrays, or would take wider ids than either.

    A block's ids are relative to its first, 2 bytes apiece while they span under 65,536
    documents: a joined boundary block spans both processes' documents, and on 100,000 articles
    most such blocks took 4 bytes an id for the header they saved (793 MB against 723)."""
    (count, _, weight, packing, shortest, longest), data = _parts(first)
    (more, last_id, other_weight, other_packing, other_shortest, other_longest), other = _parts(second)
    if count + more > limit or packing != FLAT or other_packing != FLAT:
        return None
    start, end = unpack_flat(data, count), unpack_flat(other, more)
    wider = id_bytes(start.ids[0], end.ids[-1])
    if wider > max(id_bytes(start.ids[0], start.ids[-1]), id_bytes(end.ids[0], end.ids[-1])):
        return None
    body = join_flat(start, end)
    if body is None:
        return None
    header = (
        count + more,
        last_id,
        max(weight, other_weight),
        FLAT,
        min(shortest, other_shortest),
        max(longest, other_longest),
    )
    return pickle.dumps(header, 5) + body


def _add_info(joined: CompactTermInfo, info: CompactTermInfo, base: int) -> None:
    """Count the statistics of one segment's list, its ids moved on by *base*, into *joined*."""
    joined._weight += info._weight
    joined._df += info._df
    if info._minlength is not None:
        joined._minlength = info._minlength if joined._minlength is None else min(joined._minlength, info._minlength)
    joined._maxlength = max(joined._maxlength, info._maxlength)
    joined._maxweight = max(joined._maxweight, info._maxweight)
    if joined._minid is None and info._minid is not None:
        joined._minid = info._minid + base
    if info._maxid is not None:
        joined._maxid = info._maxid + base


def _add_term(fieldwriter, btext: bytes, info: CompactTermInfo) -> None:
    """A term and its info into the term table (Whoosh's ``W3FieldWriter.finish_term``)."""
    key = pack_ushort(fieldwriter._fieldid) + btext
    fieldwriter._tindex.add(key, info.to_bytes())


def _rewrite(fieldwriter, codec, fieldobj, btext: bytes, run, readers, bases, lengths) -> None:
    """A term with inlined postings: every posting written again, as Whoosh's merge does."""
    fieldwriter.start_term(btext)
    name = fieldwriter._fieldname
    for number, info in run:
        matcher = codec.postings_reader(readers[number]._postfile, info, fieldobj.format)
        while matcher.is_active():
            docnum = matcher.id()
            length = lengths[number].doc_field_length(docnum, name)
            value = matcher.value()  # None in a block without values (a view of counts only)
            fieldwriter.add(docnum + bases[number], matcher.weight(), b"" if value is None else value, length)
            matcher.next()
    fieldwriter.finish_term()
