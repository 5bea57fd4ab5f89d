"""Term lookups with positioned reads (search/termtable.py) against Whoosh's own HashReader."""

from __future__ import annotations

import pytest

from index.settings import load_config
from search.searcher import Searcher
from search.termtable import term_table


def _segments(searcher):
    reader = searcher.reader()
    return [leaf for leaf, _ in reader.leaf_readers()] if reader.is_atomic() is False else [reader]


def test_every_term_and_some_absent_ones_read_as_whoosh_reads_them(sample_index):
    searcher = Searcher(load_config(sample_index))
    searcher.search("dan van")
    checked = 0
    for leaf in _segments(searcher._searcher):
        terms = leaf._terms
        table = term_table(terms)
        assert table is not None
        for field, text in leaf.all_terms():
            assert table.value(field, text) == terms._tindex[terms._keycoder(field, text)]
            checked += 1
            # A neighbour that is no term: a byte more, or another field's number.
            longer = text + b"\xff"
            if (field, longer) not in leaf:
                assert table.value(field, longer) is None
        assert table.value("no such field", b"dan") is None
    assert checked > 1_000


def test_a_closed_terms_file_is_refused_not_read(sample_index):
    searcher = Searcher(load_config(sample_index))
    searcher.search("dan van")
    leaf = _segments(searcher._searcher)[0]
    table = term_table(leaf._terms)
    leaf._terms._dbfile.close()
    with pytest.raises(ValueError, match="closed"):
        table.value("title_f", b"dan")
