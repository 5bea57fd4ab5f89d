"""index/joining.py: segments joined block by block read as one segment written whole."""

from __future__ import annotations

import pickle

from whoosh.writing import SegmentWriter

from index.article import Article
from index.codec import FLAT, CompactCodec, pack_flat
from index.joining import _join_blocks, join
from index.schema import to_document
from index.store import IndexStore
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
    codec = CompactCodec(blocklimit=4)
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
