"""Abbreviations and i/y spellings as query alternatives (no index needed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from index.analysis import fold
from index.settings import load_config
from search.abbreviations import AbbreviationFileError, Abbreviations
from search.helpers import Helpers, load_abbreviations, render
from search.query import parse_query
from search.variants import other_spelling, spellings
from tests.conftest import ROOT, write_config

SHIPPED = ROOT / "data" / "abbreviations.tsv"


@pytest.fixture(scope="module")
def shipped() -> Abbreviations:
    return Abbreviations.load(SHIPPED)


def folded_forms(forms: list[list[str]]) -> set[tuple[str, ...]]:
    return {tuple(fold(s) for s in form) for form in forms}


@pytest.mark.parametrize(
    ("short", "long"),
    [
        ("UBND", "Ủy ban nhân dân"),
        ("HĐND", "Hội đồng nhân dân"),
        ("MTTQ", "Mặt trận Tổ quốc"),
        ("TP.HCM", "Thành phố Hồ Chí Minh"),
        ("TP.HCM", "TP Hồ Chí Minh"),
        ("TP", "thành phố"),
        ("CCHC", "cải cách hành chính"),
        ("QCDC", "quy chế dân chủ"),
        ("THPT", "trung học phổ thông"),
        ("THCS", "trung học cơ sở"),
        ("CSGT", "cảnh sát giao thông"),
        ("BHXH", "bảo hiểm xã hội"),
        ("BHYT", "bảo hiểm y tế"),
        ("ĐBQH", "đại biểu Quốc hội"),
        ("KT-XH", "kinh tế - xã hội"),
        ("ATGT", "an toàn giao thông"),
        ("PCCC", "phòng cháy chữa cháy"),
        ("NXB", "nhà xuất bản"),
        ("ĐH", "đại học"),
        ("GD-ĐT", "giáo dục và đào tạo"),
        ("TTHC", "thủ tục hành chính"),
        ("CNTT", "công nghệ thông tin"),
    ],
)
def test_shipped_list_matches_both_ways(shipped, short, long):
    from index.analysis import syllables

    assert tuple(fold(s) for s in syllables(long)) in folded_forms(shipped.others(syllables(short)))
    assert tuple(fold(s) for s in syllables(short)) in folded_forms(shipped.others(syllables(long)))


# The shape of a Vietnamese syllable without its marks: initial, vowels, final.
SYLLABLE_SHAPE = re.compile(
    r"(?:b|c|ch|d|g|gh|gi|h|k|kh|l|m|n|ng|ngh|nh|p|ph|qu|r|s|t|th|tr|v|x)?[aeiouy]{1,3}(?:c|ch|m|n|ng|nh|p|t)?"
)


def test_no_short_form_spells_an_ordinary_syllable(shipped):
    """A short form that folds to a Vietnamese syllable would hijack every such word (TƯ: tu, tư, từ)."""
    for forms in shipped.lines:
        short = forms[0]
        if len(short.syllables) == 1:
            assert not SYLLABLE_SHAPE.fullmatch(short.key[0]), short.text


def test_abbreviation_clause_gets_the_long_form():
    parsed = parse_query("CCHC")
    Abbreviations.load(SHIPPED).expand(parsed)
    assert parsed.groups[0][0].alternatives == [["cải", "cách", "hành", "chính"]]


def test_long_form_typed_as_words_becomes_one_phrase_clause_with_the_short_form():
    parsed = parse_query("ket qua cai cach hanh chinh 2022")
    Abbreviations.load(SHIPPED).expand(parsed)
    clauses = parsed.clauses
    assert [c.syllables for c in clauses] == [["ket"], ["qua"], ["cai", "cach", "hanh", "chinh"], ["2022"]]
    merged = clauses[2]
    assert merged.phrase and ["cchc"] in merged.alternatives
    # The reading stays aligned with what was typed.
    assert parsed.positive_syllables() == ["ket", "qua", "cai", "cach", "hanh", "chinh", "2022"]


def test_longest_form_wins():
    parsed = parse_query("thành phố Hồ Chí Minh")
    Abbreviations.load(SHIPPED).expand(parsed)
    assert len(parsed.groups) == 1
    assert ["tp", "hcm"] in parsed.groups[0][0].alternatives


def test_exact_and_prefix_clauses_are_not_expanded_but_exclusions_are():
    parsed = parse_query('"cải cách hành chính" ubnd* -CCHC')
    Abbreviations.load(SHIPPED).expand(parsed)
    assert all(not c.alternatives for c in parsed.clauses)
    assert parsed.excluded[0].alternatives == [["cải", "cách", "hành", "chính"]]


def test_or_groups_and_fields_keep_their_shape():
    parsed = parse_query("title:cchc hđnd OR ubnd")
    Abbreviations.load(SHIPPED).expand(parsed)
    assert parsed.groups[0][0].field == "title" and parsed.groups[0][0].alternatives
    assert [len(g) for g in parsed.groups] == [1, 2]
    assert all(c.alternatives for c in parsed.groups[1])


def test_bad_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "abbr.tsv"
    bad.write_text("# comment\nUBND\tỦy ban nhân dân\nlonely\n", encoding="utf-8")
    with pytest.raises(AbbreviationFileError, match=r"abbr.tsv:3"):
        Abbreviations.load(bad)
    with pytest.raises(AbbreviationFileError, match="cannot read"):
        Abbreviations.load(tmp_path / "missing.tsv")


def test_config_points_at_the_file(tmp_path):
    own = tmp_path / "mine.tsv"
    own.write_text("HN\tHà Nội\n", encoding="utf-8")
    config = load_config(write_config(tmp_path, search={"abbreviations": "mine.tsv"}))
    assert load_abbreviations(config).others(["hn"]) == [["hà", "nội"]]
    # A config elsewhere that keeps the default means the list that ships with the project.
    other = tmp_path / "other"
    other.mkdir()
    elsewhere = load_config(write_config(other))
    assert load_abbreviations(elsewhere).others(["ubnd"]) == [["ủy", "ban", "nhân", "dân"]]
    # A broken file does not stop the search: no abbreviations, a warning in the log.
    own.write_text("no tab here\n", encoding="utf-8")
    assert load_abbreviations(config).lines == []


@pytest.mark.parametrize(
    ("one", "other"),
    [("kỹ", "kĩ"), ("lý", "lí"), ("quy", "qui"), ("tỷ", "tỉ"), ("mỹ", "mĩ"), ("sỹ", "sĩ"), ("hy", "hi"), ("ty", "ti")],
)
def test_i_y_spellings_are_one(one, other):
    assert other_spelling(one) == other
    assert other_spelling(other) == one


@pytest.mark.parametrize("syllable", ["vy", "đi", "kiểm", "thi", "chi", "nghĩ", "tuy", "phí"])
def test_other_i_y_are_different_words(syllable):
    assert other_spelling(syllable) is None


def test_spellings_of_a_phrase():
    assert spellings(["kỹ", "thuật"]) == [["kĩ", "thuật"]]
    assert spellings(["dân", "vận"]) == []


def test_expand_adds_i_y_spellings_even_to_exact_clauses(tmp_path):
    helpers = Helpers(load_config(write_config(tmp_path)))
    parsed = parse_query('kỹ thuật "lí do" quy chế dân chủ')
    helpers.expand(parsed)
    by_text = {c.raw: c.alternatives for c in parsed.clauses}
    assert ["kĩ"] in by_text["kỹ"]
    assert ["lý", "do"] in by_text["lí do"]
    merged = next(alts for raw, alts in by_text.items() if raw.startswith("quy"))
    assert ["qcdc"] in merged and ["qui", "chế", "dân", "chủ"] in merged


def test_render_keeps_the_query_shape():
    parsed = parse_query('title:ha noi -covid "dan van" tp.hcm nguy*')
    words = ["Hà", "Nội", "dân", "vận", "tp", "hcm", "nguy"]
    assert render(parsed, words) == 'title:Hà Nội "dân vận" tp.hcm nguy* -covid'
    assert render(parsed, parsed.positive_syllables()) is None  # nothing changed: nothing to offer


def test_helpers_without_an_index_do_nothing(tmp_path):
    helpers = Helpers(load_config(write_config(tmp_path)))
    parsed = parse_query("dan van")
    assert helpers.reading(parsed) is None


def test_shipped_file_documents_its_format():
    head = Path(SHIPPED).read_text(encoding="utf-8").splitlines()[:10]
    assert head[0].startswith("#") and any("TAB" in line for line in head)
