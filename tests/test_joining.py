"""index/joining.py: segments joined block by block read as one segment written whole."""

from __future__ import annotations

import pickle

from whoosh.filedb.filestore import RamStorage
from whoosh.formats import Frequency
from whoosh.writing import SegmentWriter

from index.article import Article
from index.codec import FLAT, CompactCodec, id_bytes, pack_flat, read_blocks
from index.joining import _join_blocks, join
from index.schema import to_document
from index.store import IndexStore
from index.whoosh_adapter import posting_extent
from tests.reliability import articles


def _documents() -> list[dict]:
    found = [to_document(Article.from_json(a)) for a in articles(60, prefix="j", sentences=3)]
    # A word of one article in the second part only (its posting inlined in the term table, its
    # id moved), and one of an article in each part (two inlined postings, written again).
    found[45] = to_document(Article.from_json({"id": "only", "title": "Tin riêng", "body": "Chữ xzqy ở đây."}))
    found[10] = to_document(Article.from_json({"id": "both-a", "title": "Tin", "body": "Chữ yqwz một."}))
    found[50] = to_document(Article.from_json({"id": "both-b", "title": "Tin", "body": "Chữ yqwz hai."}))
    return found


def _whole(tmp_path, documents: list[dict], codec: CompactCodec):
    _, ix = IndexStore(tmp_path / "whole").new_generation()
    writer = SegmentWriter(ix, codec=codec, compound=False)
    for document in documents:
        writer.add_document(**document)
    writer.commit()
    return ix


def _joined(tmp_path, parts: list[list[dict]], codec: CompactCodec):
    """As a build's processes and its commit do (index.joining.JoiningWriter), in one process."""
    _, ix = IndexStore(tmp_path / "joined").new_generation()
    segments = []
    for part in parts:
        writer = SegmentWriter(ix, _lk=False, codec=codec, compound=False)
        for document in part:
            writer.add_document(**document)
        segments.append(writer._finalize_segment())
    writer = SegmentWriter(ix, codec=codec, compound=False)
    join(writer, segments)
    writer._close_segment()
    writer._commit_toc([writer.get_segment()])
    writer._finish()
    return ix


def _term_info(reader, field: str, term: bytes) -> tuple:
    info = reader.term_info(field, term)
    return (
        info.doc_frequency(),
        info.weight(),
        info.max_weight(),
        info.min_length(),
        info.max_length(),
        info.min_id(),
        info.max_id(),
    )


def _postings(reader, field: str, term: bytes) -> list[tuple]:
    matcher = reader.postings(field, term)
    found = []
    while matcher.is_active():
        found.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    return found


def test_segments_joined_block_by_block_read_as_one_segment_written_whole(tmp_path):
    documents = _documents()
    # Four postings a block: long lists of many blocks, each of the second part's moved on.
    codec = CompactCodec(blocklimit=4, longest=4)
    whole = _whole(tmp_path, documents, codec).reader()
    joined_ix = _joined(tmp_path, [documents[:40], documents[40:]], codec)
    assert len(joined_ix._segments()) == 1
    joined = joined_ix.reader()
    assert joined.doc_count_all() == whole.doc_count_all() == len(documents)
    fields = sorted(whole.indexed_field_names())
    assert sorted(joined.indexed_field_names()) == fields
    blocks = 0
    for field in fields:
        terms = list(whole.lexicon(field))
        assert list(joined.lexicon(field)) == terms, field
        for term in terms:
            assert _term_info(joined, field, term) == _term_info(whole, field, term), (field, term)
            assert _postings(joined, field, term) == _postings(whole, field, term), (field, term)
            blocks += whole.doc_frequency(field, term) > 4
        lengths = [whole.doc_field_length(docnum, field) for docnum in range(len(documents))]
        assert [joined.doc_field_length(docnum, field) for docnum in range(len(documents))] == lengths
        # The field's total, as Whoosh's own merge counts it: of the lengths as stored (a byte each).
        assert joined.field_length(field) == sum(n or 0 for n in lengths), field
    assert blocks > 100  # lists of several blocks were joined
    for docnum in range(len(documents)):
        assert joined.stored_fields(docnum) == whole.stored_fields(docnum)
    assert (joined.doc_frequency("body", b"xzqy"), joined.doc_frequency("body", b"yqwz")) == (1, 2)


def _block(ids: list[int]) -> bytes:
    """A block as a build's process writes it: its header (index.codec's CompactPostingsWriter),
    then its flat arrays."""
    weights = [1.0] * len(ids)
    return pickle.dumps((len(ids), ids[-1], 1.0, FLAT, b"\x01", b"\x01"), 5) + pack_flat(ids, weights, None, False)


def test_boundary_blocks_are_joined_only_where_their_ids_keep_their_width():
    """Two processes' boundary blocks become one, but not where the one block's ids would take 4
    bytes where each block's took 2 (on 100,000 articles the index grew from 723 to 793 MB)."""
    joined = _join_blocks(_block([3, 9]), _block([40_000, 40_007]), limit=128)
    assert joined is not None
    assert _join_blocks(_block([3, 9]), _block([70_000, 70_007]), limit=128) is None
    assert _join_blocks(_block([3, 70_000]), _block([70_001, 70_007]), limit=128) is not None  # 4 bytes already
    assert _join_blocks(_block([3, 9]), _block([40_000, 40_007]), limit=3) is None  # over a block's postings


def _written_blocks(codec: CompactCodec, ids: list[int]) -> list[tuple[int, int]]:
    """``(postings, id bytes)`` of each block the codec's postings writer makes of *ids*."""
    storage = RamStorage()
    postfile = storage.create_file("postings")
    writer = codec.postings_writer(postfile)
    writer.start_postings(Frequency(), None)
    for id_ in ids:
        writer.add_posting(id_, 1, b"")
    offset, length = posting_extent(writer.finish_postings())
    postfile.close()
    read = storage.open_file("postings")
    blocks = [(block.ids.size, id_bytes(block.ids[0], block.ids[-1])) for block in read_blocks(read, offset, length)]
    assert [int(i) for block in read_blocks(read, offset, length) for i in block.ids] == ids
    return blocks


def test_a_block_goes_on_past_blocklimit_while_its_ids_keep_their_width():
    """A common term's blocks hold up to ``longest`` postings while their ids take 2 bytes; a block
    is cut at ``blocklimit`` or more where the next id would make them wider, and a block whose
    ids are wide already goes on."""
    codec = CompactCodec(blocklimit=4, longest=16)
    assert _written_blocks(codec, list(range(40))) == [(16, 2), (16, 2), (8, 2)]
    # 5 postings apart by 20,000: the fifth would widen the block's ids past 2 bytes.
    dense_then_far = [0, 1, 2, 3, 4, 70_000, 70_001]
    assert _written_blocks(codec, dense_then_far) == [(5, 2), (2, 2)]
    # Fewer than blocklimit postings are not cut for their width: 4 bytes, and the block goes on.
    sparse = [0, 70_000, 140_000, 210_000, 280_000, 280_001]
    assert _written_blocks(codec, sparse) == [(6, 4)]
    # An older codec's limit alone (longest = blocklimit): cut every blocklimit postings.
    assert _written_blocks(CompactCodec(blocklimit=4, longest=4), list(range(10))) == [(4, 2), (4, 2), (2, 2)]
