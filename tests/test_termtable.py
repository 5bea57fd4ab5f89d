"""Term lookups with positioned reads (search/termtable.py) against Whoosh's own HashReader."""

from __future__ import annotations

import pytest

from index.settings import load_config
from search.searcher import Searcher
from search.termtable import TermTable, doc_frequency, term_info


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
