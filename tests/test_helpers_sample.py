"""Search helpers on the sample index (data/sample/README.md says what each article holds)."""

from __future__ import annotations

import shutil

import pytest

from index.analysis import syllables
from index.article import Article
from index.settings import load_config
from index.store import IndexStore
from index.writer import delete_entry, upsert_entry, write
from search.searcher import Searcher
from search.spelling import _windows
from tests.conftest import write_config


@pytest.fixture(scope="module")
def searcher(sample_index) -> Searcher:
    return Searcher(load_config(sample_index))


def files(result) -> set[str]:
    """Sample file numbers (``000``...) of a search result's hits."""
    return {hit.id[:3] for hit in result.hits}


def search(searcher: Searcher, query: str):
    return searcher.search(query, per_page=100)


# --- abbreviations, both ways -------------------------------------------------------------


@pytest.mark.parametrize(
    ("short", "long", "expected"),
    [
        ("CCHC", "cải cách hành chính", {"000", "001", "009", "012", "020"}),
        ("QCDC", "quy chế dân chủ", {"000", "009", "012", "018"}),
        ("THPT", "trung học phổ thông", {"003", "010", "023"}),
        ("TP.HCM", "Thành phố Hồ Chí Minh", {"007", "014"}),
        ("HĐND", "Hội đồng nhân dân", {"000", "002", "006", "016", "021"}),
        ("MTTQ", "Mặt trận Tổ quốc", {"000", "004", "006", "012", "018"}),
    ],
)
def test_short_and_long_forms_find_each_other(searcher, short, long, expected):
    for query in (short, long, short.lower(), "cai cach hanh chinh" if short == "CCHC" else long.lower()):
        assert expected <= files(search(searcher, query)), query


def test_ubnd_finds_the_long_form_in_either_tone_style(searcher):
    found = files(search(searcher, "UBND"))
    # 004 writes "Uỷ ban nhân dân" (mark on the second vowel), 016 and 020 "Ủy ban nhân dân".
    assert {"001", "004", "016", "020"} <= found


def test_excluding_an_abbreviation_excludes_its_long_form(searcher):
    found = files(search(searcher, "-UBND Hà Nội"))
    assert found and not found & {"001", "002", "004", "016", "020", "022"}


def test_i_y_spellings_match_each_other(searcher):
    # 010 writes "kỹ"; a reader may type "kĩ", and a quoted "kĩ" is exact but for i/y.
    assert "010" in files(search(searcher, '"kĩ"'))
    assert "010" in files(search(searcher, '"kỹ"'))


# --- accent restoration -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("nguyen van phuong", "Nguyễn Văn Phương"),
        ("ha noi", "Hà Nội"),
        ("cai cach hanh chinh", "cải cách hành chính"),
        ("van mieu quoc tu giam", "Văn Miếu Quốc Tử Giám"),
    ],
)
def test_did_you_mean_restores_diacritics_and_capitals(searcher, typed, meant):
    assert searcher.search(typed).did_you_mean == meant


def test_dan_van_reads_dan_van(searcher):
    assert searcher.search("dan van").did_you_mean.lower() == "dân vận"


def test_nothing_to_offer_for_a_query_typed_with_diacritics_or_without_letters(searcher):
    assert searcher.search("dân vận").did_you_mean is None
    assert searcher.search("2022").did_you_mean is None


def test_restored_reading_ranks_its_exact_matches_first_and_keeps_the_folded_ones(searcher):
    result = search(searcher, "nguyen van phong")
    ids = [hit.id[:3] for hit in result.hits]
    assert result.did_you_mean == "Nguyễn Văn Phong"
    # 000 names Nguyễn Văn Phong; 015 names Nguyễn Văn Phóng, which folds the same.
    assert ids[0] == "000" and "015" in ids


def test_operators_survive_in_did_you_mean(searcher):
    offered = searcher.search('title:ha noi -covid "dan van"').did_you_mean
    assert offered.lower() == 'title:hà nội "dân vận" -covid'


# --- spelling -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("hoi nghi truc tuyn", "hội nghị trực tuyến"),  # a letter left out
        ("hội nghị trực tuyn", "hội nghị trực tuyến"),  # diacritics typed, kept
        ("quy che dan chuu", "quy chế dân chủ"),  # a letter too many
        ("hooij nghij", "hội nghị"),  # Telex with the input method off
        ("tructuyen", "trực tuyến"),  # a missing space
    ],
)
def test_spelling_corrections(searcher, typed, meant):
    offered = searcher.search(typed).did_you_mean
    assert offered is not None and syllables(offered) == syllables(meant)


def test_a_long_question_typed_with_diacritics_keeps_all_but_its_typo_as_typed(searcher):
    offered = searcher.search("Ban dân vận Hà Nội tổ chức hội nghị trực tuyn như thế nào cho cán bộ?").did_you_mean
    assert offered == "Ban dân vận Hà Nội tổ chức hội nghị trực tuyến như thế nào cho cán bộ?"


@pytest.mark.parametrize(
    ("needed", "windows"),
    [
        ([False] * 9, []),
        ([True, False, False, False, False, False, False], [(0, 3)]),
        ([False] * 4 + [True] + [False] * 4, [(2, 7)]),
        ([False] * 3 + [True, False, True] + [False] * 3, [(1, 8)]),  # overlapping: one stretch
        ([True] + [False] * 8 + [True], [(0, 3), (7, 10)]),
    ],
)
def test_a_corrected_query_is_restored_around_the_syllables_that_need_it(needed, windows):
    assert _windows(needed) == windows


def test_no_correction_when_the_words_are_known(searcher):
    result = searcher.search("khám sức khỏe")
    assert result.total and result.did_you_mean is None


# --- suggestions --------------------------------------------------------------------------


def test_suggestions_complete_without_diacritics(searcher):
    assert "dân vận" in [s.lower() for s in searcher.suggest("dan van")]
    assert any("ban dân vận" in s.lower() for s in searcher.suggest("ban dan v"))
    assert any(s.lower().startswith("hà nội") for s in searcher.suggest("ha n"))


def test_suggestions_respect_diacritics_typed(searcher):
    found = searcher.suggest("dân v")
    assert found and all(s.lower().startswith("dân v") for s in found)
    assert not [s for s in searcher.suggest("dàn v") if s.lower().startswith("dân")]


def test_suggestions_keep_earlier_words_as_typed(searcher):
    found = searcher.suggest("tin moi ve ban dan v")
    assert found and all(s.startswith("tin moi ve ") for s in found)
    assert any("ban dân vận" in s.lower() for s in found)


def test_suggest_limit_and_junk(searcher):
    assert len(searcher.suggest("h", 3)) <= 3
    assert searcher.suggest("") == []
    assert searcher.suggest("   ") == []
    assert searcher.suggest("qqqqzzzz") == []
    assert isinstance(searcher.suggest("💥 \u200b"), list)


# --- more like this -----------------------------------------------------------------------


def test_more_like_this_of_the_seed(searcher):
    hits = searcher.similar("000_2ebd19a772751180", 5)
    ids = [hit["id"][:3] for hit in hits]
    # 009, 012 and 018 are about dân vận and quy chế dân chủ ở cơ sở.
    assert set(ids[:3]) == {"009", "012", "018"}
    assert "000" not in ids
    for hit in hits:
        assert {"id", "title", "published", "author", "url", "source", "score"} <= set(hit)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_more_like_this_of_an_unknown_article(searcher):
    assert searcher.similar("no-such-article") is None


# --- keeping up with writes ---------------------------------------------------------------


def test_helpers_follow_writes_and_deletes(sample_index, tmp_path):
    source = load_config(sample_index).path("index.path")
    shutil.copytree(source, tmp_path / "index")
    config = load_config(write_config(tmp_path, index={"path": str(tmp_path / "index"), "procs": 1}))
    searcher = Searcher(config)
    assert not [s for s in searcher.suggest("cau vinh tu") if "vĩnh tuy" in s.lower()]

    article = Article(
        id="helpers-write-1",
        title="Thông xe cầu Vĩnh Tuy giai đoạn 2",
        body="Sáng nay, cầu Vĩnh Tuy giai đoạn 2 chính thức thông xe. Cầu Vĩnh Tuy nối hai bờ sông Hồng.",
    )
    write(IndexStore(config.path("index.path")), [upsert_entry(article)])
    assert any("cầu vĩnh tuy" in s.lower() for s in searcher.suggest("cau vinh tu"))
    assert searcher.search("cau vinh tuy").did_you_mean == "cầu Vĩnh Tuy"
    assert searcher.similar("helpers-write-1") is not None  # known now

    write(IndexStore(config.path("index.path")), [delete_entry("helpers-write-1")])
    assert not [s for s in searcher.suggest("cau vinh tu") if "vĩnh tuy" in s.lower()]
    assert searcher.similar("helpers-write-1") is None


def test_a_run_is_restored_alike_whatever_the_articles_numbers(tmp_path):
    """Two indexes of the same articles taken in opposite orders (two cluster nodes, two builds)
    restore a run from the same sightings: sampled by the articles' ids, not their numbers.
    Half the titles write *Bôn* and half *Bốn*, so a sample that depends on the numbering reads
    the two alike and lets the first it saw win."""
    from tests.conftest import searcher_of

    articles = [
        {"id": f"bon-{n:02d}", "title": f"Ông Nguyễn Văn {'Bôn' if n < 30 else 'Bốn'} nhận giải", "body": "Tin ngắn."}
        for n in range(60)
    ]
    (tmp_path / "forward").mkdir()
    (tmp_path / "backward").mkdir()
    forward = searcher_of(tmp_path / "forward", articles)
    backward = searcher_of(tmp_path / "backward", articles[::-1])
    for query in ("nguyen van bon", "nguyen van bon nhan giai"):
        results = [s.search(query, per_page=10) for s in (forward, backward)]
        assert results[0].did_you_mean == results[1].did_you_mean, query
        assert results[0].did_you_mean.lower().startswith(("nguyễn văn bôn", "nguyễn văn bốn")), query
        assert [h.id for h in results[0].hits] == [h.id for h in results[1].hits], query
