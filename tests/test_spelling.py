"""Spelling corrections read as slips of the fingers (search/spelling.py), on articles written for
each case: which of two words a typo came from is told by how the fingers slip, not only by which
word is commoner."""

from __future__ import annotations

import pytest

from index.analysis import fold
from search.spelling import SLIP, STRAY, _edits, _mark_distance

from .conftest import searcher_of


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    """Sau (after) is three times as common as qua (past); Hà Nội is everywhere, and a few
    articles name a team Hà Nội I; quan and quân both are common; chỉ là (only) is everywhere,
    and two articles write CH Séc (the Czech Republic)."""
    articles = [
        *({"id": f"sau{n}", "title": f"Mưa sau bão số {n}", "body": "Trời mưa sau bão."} for n in range(60)),
        *({"id": f"qua{n}", "title": f"Bão qua miền Trung lần {n}", "body": "Bão đã qua."} for n in range(20)),
        *({"id": f"hn{n}", "title": f"Hà Nội mở đường số {n}", "body": "Người dân Hà Nội vui."} for n in range(40)),
        *({"id": f"hn1-{n}", "title": f"Đội Hà Nội I thắng trận {n}", "body": "Hà Nội I thắng."} for n in range(5)),
        *({"id": f"quan{n}", "title": f"Thăm các cơ quan nhà nước {n}", "body": "Cơ quan mới."} for n in range(30)),
        *({"id": f"quan2-{n}", "title": f"Quân đội diễn tập {n}", "body": "Quân đội."} for n in range(30)),
        *({"id": f"only{n}", "title": f"Chỉ là tin số {n}", "body": "Chỉ là tin."} for n in range(320)),
        *({"id": f"czech{n}", "title": f"Đội tuyển CH Séc đá trận {n}", "body": "CH Séc."} for n in range(2)),
    ]
    return searcher_of(tmp_path_factory.mktemp("spelling"), articles)


def test_keys_in_the_wrong_order_or_beside_are_likelier_than_a_stray_key():
    edits = _edits("qau")
    assert edits["qua"] == SLIP  # two keys in the wrong order
    assert edits["sau"] == STRAY  # s is two keys from q
    assert _edits("taxu")["taxi"] == SLIP  # u is beside i
    assert _edits("noii")["noi"] == SLIP  # a key pressed twice
    assert _edits("chog")["chong"] == SLIP and _edits("chog")["cho"] == STRAY  # g is far from o


def test_a_typo_reads_as_the_slip_that_made_it_not_the_commoner_word(searcher):
    assert searcher.search("qau").did_you_mean == "qua"


def test_a_key_pressed_twice_is_no_syllable_of_its_own(searcher):
    # "noii" cut as "noi i" is held side by side (Hà Nội I), but "noi" is far commoner.
    assert searcher.search("ha noii").did_you_mean == "Hà Nội"


def test_a_letter_typed_twice_beside_diacritics_is_no_telex(searcher):
    # The input method was on (thăm, các, cơ): "aa" is a key pressed twice, not â.  The results
    # shown are those of the word meant (before, of "thăm các cơ quân").
    result = searcher.search("thăm các cơ quaan")
    assert result.did_you_mean == result.showing_results_for == "thăm các cơ quan"


def test_a_correction_is_written_in_the_readers_case(searcher):
    # Typed in lower case: the corrected word is too, though the archive writes Hà Nội.
    assert searcher.search("hà nộii").did_you_mean == "hà nội"
    assert searcher.search("Hà nộii").did_you_mean == "Hà Nội"


def test_a_word_no_syllable_is_is_corrected_where_it_reads_as_a_slip_and_kept_where_it_fits(searcher):
    # "ch" is in two articles (CH Séc), under one in a hundred: beside "la" it is a slip for
    # chỉ; beside "sec" it is what the articles write.
    assert searcher.search("ch la tin so").did_you_mean == "chỉ là tin số"
    assert searcher.search("ch sec moi").did_you_mean == "CH Séc mới"  # restored, "ch" kept


@pytest.fixture(scope="module")
def headlines(tmp_path_factory):
    """Headlines of the French president's visits, and of a president friendly to Vietnam
    elected; one title holds the words of ``tong thong pha tham`` scattered (a visit to Laos,
    tea brewed: *pha trà*)."""
    articles = [
        *(
            {"id": f"phap{n}", "title": f"Tổng thống Pháp thăm Việt Nam lần {n}", "body": "Chuyến thăm."}
            for n in range(4)
        ),
        *({"id": f"than{n}", "title": f"Tổng thống thân Việt Nam đắc cử {n}", "body": "Bầu cử."} for n in range(3)),
        {"id": "lao", "title": "Tổng thống đến Lào thăm quán, tự tay pha trà", "body": "Pha trà mời khách."},
        *({"id": f"tra{n}", "title": f"Cách pha trà ngon {n}", "body": "Pha trà."} for n in range(5)),
    ]
    return searcher_of(tmp_path_factory.mktemp("real-words"), articles)


def test_a_slip_that_made_another_real_word_is_read_as_the_headline_it_breaks(headlines):
    # Every word is a syllable the index holds, and a title holds them all, far apart: only that
    # they stand side by side nowhere tells of the slip (pha for pháp, a key left out).
    result = headlines.search("tong thong pha tham")
    assert result.showing_results_for is not None
    assert fold(result.showing_results_for).lower() == "tong thong phap tham"
    assert result.hits[0].id.startswith("phap")
    assert headlines.search("tong thong pha tham", verbatim=True).hits[0].id == "lao"


def test_a_word_typed_with_a_capital_is_the_readers_own(headlines):
    # As typed, Pha may be a name: it is not respelled, whatever headline that would make.
    result = headlines.search("tổng thống Pha thăm")
    assert result.showing_results_for is None
    assert "Pháp" not in (result.did_you_mean or "")


def test_a_headline_half_remembered_is_not_respelled_into_another(headlines):
    # Pháp left out: every word is in the French visits' titles, which the title rule ranks
    # first.  A slip of thăm (than, n beside m) makes the other headline side by side; it is
    # not offered.
    result = headlines.search("tong thong tham viet nam")
    assert result.showing_results_for is None
    assert fold(result.did_you_mean or "").lower() != "tong thong than viet nam"
    assert result.hits[0].id.startswith("phap")


def test_one_slip_is_one_letter_or_one_mark():
    assert _mark_distance("nớc", "nước") == 0  # the horn typed once: Telex's uow writes ươ
    assert _mark_distance("nớc", "nóc") == 1  # the horn
    assert _mark_distance("khò", "khó") == 1  # the tone
    assert _mark_distance("xộ", "cơ") == 2  # the hat for a horn, and the tone
    assert _mark_distance("đỏ", "do") == 2  # the stroke, and the tone


@pytest.fixture(scope="module")
def roofs(tmp_path_factory):
    """Foreign tourists in 20 articles; a roof (nóc) in 40, never beside a tourist."""
    articles = [
        *(
            {"id": f"khach{n}", "title": f"Du khách nước ngoài đến Hà Nội {n}", "body": "Du khách nước ngoài."}
            for n in range(20)
        ),
        *({"id": f"noc{n}", "title": f"Sửa nóc nhà văn hoá {n}", "body": "Nóc nhà dột."} for n in range(40)),
    ]
    return searcher_of(tmp_path_factory.mktemp("marks"), articles)


def test_a_letter_left_out_where_the_rest_spell_another_word_is_read_with_its_marks(roofs):
    # The letters of "nớc" spell nóc, commoner here, so they alone tell of no slip; but nothing
    # writes nớc, and nước is one letter (ư) away with the marks as typed, and beside du khách.
    result = roofs.search("du khách nớc ngoài")
    assert result.did_you_mean == result.showing_results_for == "du khách nước ngoài"
    assert result.hits[0].id.startswith("khach")


@pytest.fixture(scope="module")
def lungs(tmp_path_factory):
    """Pneumonia (viêm phổi) in 30 articles; Telex's reading of ``virm`` (vỉm) in none."""
    articles = [
        *({"id": f"viem{n}", "title": f"Bệnh viêm phổi nặng ca {n}", "body": "Viêm phổi nặng."} for n in range(30)),
        *({"id": f"dan{n}", "title": f"Công tác dân vận số {n}", "body": "Dân vận."} for n in range(10)),
    ]
    return searcher_of(tmp_path_factory.mktemp("keys"), articles)


def test_keys_whose_reading_nothing_writes_are_a_slip_where_a_slip_reads_far_better(lungs):
    # "virm" is no syllable, so it reads as Telex keys (r, a tone) for vỉm, which nothing writes;
    # with r beside e, it is a slip of viem, which is everywhere.  Keys whose reading the index
    # writes stay keys.
    result = lungs.search("virm phoi nang")
    assert result.showing_results_for == "viêm phổi nặng"
    assert result.hits[0].id.startswith("viem")
    assert lungs.search("daan vaajn").showing_results_for == "dân vận"


@pytest.fixture(scope="module")
def sowing(tmp_path_factory):
    """A headline in 3 articles (*Trồng người hãy gieo chữ*); *người này gieo* in 30."""
    articles = [
        *({"id": f"head{n}", "title": f"Trồng người hãy gieo chữ {n}", "body": "Nghề dạy học."} for n in range(3)),
        *({"id": f"this{n}", "title": f"Người này gieo mạ sớm {n}", "body": "Người này gieo mạ."} for n in range(30)),
    ]
    return searcher_of(tmp_path_factory.mktemp("whole"), articles)


def test_a_letter_wins_over_a_mark_only_where_it_makes_the_whole_query_as_often(sowing):
    # "hày" is written nowhere: này (h for n, beside it) and hãy (the tone) are one slip each,
    # and này stands beside người and gieo far more often; but the query is a headline with hãy.
    assert sowing.search("trồng người hày gieo").did_you_mean == "trồng người hãy gieo"
