"""The query language: operators as documented, and any string at all parses."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.query import parse_query


def shape(text):
    parsed = parse_query(text)
    return [[(c.syllables, c.field, c.exact, c.prefix) for c in group] for group in parsed.groups], [
        c.syllables for c in parsed.excluded
    ]


def test_words_phrases_exclusions_alternatives_fields_prefixes():
    assert shape("dân vận") == ([[(["dân"], None, False, False)], [(["vận"], None, False, False)]], [])
    assert shape('"Nguyễn Văn Phong"') == ([[(["nguyễn", "văn", "phong"], None, True, False)]], [])
    assert shape("name:nguyen van phong -covid") == ([[(["nguyen", "van", "phong"], None, True, False)]], [["covid"]])
    assert shape("hòa OR thuỷ bình") == (
        [[(["hòa"], None, False, False), (["thủy"], None, False, False)], [(["bình"], None, False, False)]],
        [],
    )
    assert shape('title:"dân vận" author:Huy Kiên') == (
        [[(["dân", "vận"], "title", True, False)], [(["huy", "kiên"], "author", False, False)]],
        [],
    )
    assert shape("dân*") == ([[(["dân"], None, False, True)]], [])
    assert shape('-"phòng chống"')[1] == [["phòng", "chống"]]


def test_tone_placement_eth_and_smart_quotes_are_normalised():
    assert shape("hoà thuý uỷ") == shape("hòa thúy ủy")
    assert shape("\u00d0à Nẵng") == shape("Đà Nẵng")
    assert shape("“dân vận”") == shape('"dân vận"')


@pytest.mark.parametrize("text", ['"unclosed', "title:", "-", "*", "OR OR", "🙂 🙂", "", "   ", '""', "author:", "-OR"])
def test_operators_with_nothing_to_apply_to_are_dropped_or_read_as_words(text):
    parsed = parse_query(text)
    assert all(c.syllables for c in parsed.clauses)
    if text in ("-", "*", "OR OR", "🙂 🙂", "", "   ", '""', "title:", "author:"):
        assert parsed.is_empty


def test_unclosed_quote_falls_back_to_words():
    assert shape('"dân vận') == ([[(["dân"], None, False, False)], [(["vận"], None, False, False)]], [])


def test_unknown_field_is_text():
    assert shape("http://hanoi.gov.vn")[0] == [[(["http", "hanoi", "gov", "vn"], None, False, False)]]


def test_long_queries_are_cut_at_a_word_boundary():
    parsed = parse_query("dân vận " * 2000, max_chars=1000)
    assert parsed.truncated and len(parsed.text) <= 1000 and parsed.text.endswith("vận")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_string_parses(text):
    parsed = parse_query(text)
    for clause in parsed.clauses + parsed.excluded:
        assert clause.syllables and all(s == s.lower() for s in clause.syllables)
