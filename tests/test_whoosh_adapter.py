"""index/whoosh_adapter.py, the reads of Whoosh's internals, against what Whoosh's own API answers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index import whoosh_adapter
from index.settings import load_config
from index.whoosh_adapter import TermTable, doc_frequency, term_info
from search.searcher import Searcher

ROOT = Path(__file__).resolve().parent.parent


def _segments(searcher):
    return [leaf for leaf, _ in searcher.reader().leaf_readers()]


def test_every_term_and_some_absent_ones_read_as_whoosh_reads_them(sample_index):
    searcher = Searcher(load_config(sample_index))
    searcher.search("dan van")
    checked = 0
    for leaf in _segments(searcher._searcher):
        terms = leaf._terms
        table = TermTable(terms)
        for field, text in leaf.all_terms():
            assert table.value(field, text) == terms._tindex[terms._keycoder(field, text)]
            found = term_info(terms, field, text)
            assert found.doc_frequency() == terms.term_info(field, text).doc_frequency()
            checked += 1
            # A neighbour that is no term: a byte more.
            longer = text + b"\xff"
            if (field, longer) not in leaf:
                assert table.value(field, longer) is None
                assert term_info(terms, field, longer) is None
        assert table.value("no such field", b"dan") is None
    assert checked > 1_000


def test_document_frequencies_are_whooshs_for_every_term_and_absent_ones(sample_index):
    searcher = Searcher(load_config(sample_index))
    searcher.search("dan van")
    checked = 0
    for leaf in _segments(searcher._searcher):
        for field, text in leaf.all_terms():
            word = leaf.schema[field].from_bytes(text)
            if not isinstance(word, str):
                continue  # numbers and dates: asked about as text only
            assert doc_frequency(leaf, field, word) == leaf.doc_frequency(field, word) > 0
            checked += 1
        assert doc_frequency(leaf, "body_f", "khongcotu") == leaf.doc_frequency("body_f", "khongcotu") == 0
        assert doc_frequency(leaf, "no such field", "dan") == 0
    assert checked > 1_000


def test_a_closed_terms_file_is_refused_not_read(sample_index):
    searcher = Searcher(load_config(sample_index))
    searcher.search("dan van")
    leaf = _segments(searcher._searcher)[0]
    table = TermTable(leaf._terms)
    leaf._terms._dbfile.close()
    with pytest.raises(ValueError, match="closed"):
        table.value("title_f", b"dan")


def test_lengths_deletions_and_segments_are_whooshs(sample_index, tmp_path):
    import shutil

    from whoosh.util.numeric import byte_to_length, length_to_byte

    from index.store import IndexStore
    from index.writer import delete_entry, write

    copy = tmp_path / "index"
    shutil.copytree(load_config(sample_index).path("index.path"), copy)
    store = IndexStore(copy)
    searcher = Searcher(load_config(sample_index).with_overrides(index__path=str(copy)))
    first = searcher.search("", per_page=3).hits[0].id
    write(store, [delete_entry(first)])  # a deletion
    searcher.search("")
    reader = searcher._searcher.reader()
    leaves = whoosh_adapter.leaves(reader)
    assert sum(leaf.doc_count_all() for leaf, _ in leaves) == reader.doc_count_all()
    deleted = []
    for leaf, offset in leaves:
        lengths = whoosh_adapter.length_bytes(leaf, "body")
        expected = [length_to_byte(leaf.doc_field_length(d, "body", 0)) for d in range(leaf.doc_count_all())]
        assert lengths.tolist() == expected
        assert byte_to_length(int(lengths.max())) > 0
        assert whoosh_adapter.length_bytes(leaf, "no such field") is None
        deleted += (whoosh_adapter.deleted_docs(leaf) + offset).tolist()
        assert whoosh_adapter.segment_id(leaf) == whoosh_adapter.segment_id(leaf)
    assert deleted == [d for d in range(reader.doc_count_all()) if reader.is_deleted(d)] and len(deleted) == 1
    ix = store.open()
    assert whoosh_adapter.segment_count(ix) == len(leaves)
    toc = whoosh_adapter.toc_path(str(ix.storage.folder), ix.indexname, ix.latest_generation())
    assert os.path.exists(toc) and not os.path.exists(
        whoosh_adapter.toc_path(str(ix.storage.folder), ix.indexname, ix.latest_generation() + 1)
    )


def test_another_whoosh_release_is_refused_with_the_pin_to_restore():
    import subprocess
    import sys

    script = "import whoosh; whoosh.__version__ = (3, 99, 0); import index.whoosh_adapter"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0 and "constraints.txt" in result.stderr and "3.54" in result.stderr
