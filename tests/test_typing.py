"""Telex and VNI decoding (search/typing.py) against hand-written cases."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.analysis import SYLLABLE_RE
from search.typing import (
    decode_text,
    is_vietnamese_syllable,
    joined_readings,
    may_begin_syllable,
    pressed_twice,
    reading,
    splits,
    telex,
    vni,
)

from .conftest import searcher_of

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("daan", "dân"),
        ("vaajn", "vận"),  # tone key at the end
        ("thieest", "thiết"),  # tone key after the vowel, before the final
        ("thieets", "thiết"),
        ("dduwowcj", "được"),
        ("dduocwj", "được"),  # w after the final consonant marks the uo
        ("nguowif", "người"),
        ("tw", "tư"),  # a lone w types ư
        ("vawn", "văn"),
        ("quoocs", "quốc"),  # the u of qu takes no horn
        ("hoaf", "hòa"),  # canonical tone placement, as the index writes it
        ("thuowr", "thuở"),
        ("khuyeen", "khuyên"),
        ("gif", "gì"),
        ("hieenr", "hiển"),
        ("hiênj", "hiện"),  # letters typed with their marks count as typed
        ("ddaays", "đấy"),
        ("ddaayz", "đây"),  # z clears the tone
        ("quynhf", "quỳnh"),  # after qu, y is the whole rhyme's glide and vowel
        ("quyfnh", "quỳnh"),
        ("ddawks", "đắk"),  # Đắk Lắk
        ("ross", None),  # ss types the letter s
        ("facebook", None),
        ("messi", None),
        ("an", None),
        ("loan", None),
    ],
)
def test_telex(typed, meant):
    assert telex(typed) == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("da6n", "dân"),
        ("va6n5", "vận"),
        ("van56", "vận"),  # marks at the end of the syllable
        ("d9u7o7c5", "được"),
        ("d9uoc75", "được"),
        ("va8n", "văn"),
        ("nha6p5", "nhập"),
        ("nhâp5", "nhập"),
        ("hoa2", "hòa"),
        ("quynh2", "quỳnh"),
        ("u23", None),  # two tones: a team, not a syllable
        ("covid19", None),
        ("h5n1", None),
        ("2022", None),
        ("dan", None),
    ],
)
def test_vni(typed, meant):
    assert vni(typed) == meant


@pytest.mark.parametrize(
    "syllable", ["an", "loan", "tranh", "xoong", "nghiêng", "khuya", "quốc", "giữa", "gì", "được", "oái", "thuở"]
)
def test_real_syllables(syllable):
    assert is_vietnamese_syllable(syllable)


@pytest.mark.parametrize("word", ["moon", "messi", "tpv", "vậ", "hanoi", "cậ", "ảc", "aj", "gist"])
def test_not_syllables(word):
    assert not is_vietnamese_syllable(word)


def test_may_begin_syllable():
    assert all(may_begin_syllable(word) for word in ("th", "nguy", "Ngh", "qua", "vậ"))
    assert not any(may_begin_syllable(word) for word in ("covi", "iph", "tphc", "u2"))  # other languages, codes


@given(st.sampled_from(["an", "loan", "tranh", "xoong", "nghiêng", "khuya", "quốc", "giữa", "được", "thuở"]), st.data())
def test_every_start_of_a_syllable_may_begin_one(syllable, data):
    assert may_begin_syllable(syllable[: data.draw(st.integers(1, len(syllable)))])


def test_stop_finals_take_only_sac_or_nang():
    assert is_vietnamese_syllable("chát") and is_vietnamese_syllable("chạt")
    assert not is_vietnamese_syllable("chàt") and not is_vietnamese_syllable("chảt")


def test_reading_keeps_capitals():
    assert reading("Phamj") == "Phạm"
    assert reading("DDAAN") == "ĐÂN"
    assert reading("Hie6n3") == "Hiển"


def frequencies(table: dict[str, int]):
    return lambda term: table.get(term, 0)


def test_decode_text_decodes_unknown_keys_and_keeps_the_rest():
    assert decode_text("daan vaajn", frequencies({})) == "dân vận"
    assert decode_text("da6n va6n5", frequencies({})) == "dân vận"
    # mixed: words typed with diacritics or plainly stay as they are
    assert decode_text("Ban daan vaajn Hà Nội", frequencies({})) == "Ban dân vận Hà Nội"
    # operators survive
    assert decode_text('title:daan -"covid" vaajn*', frequencies({})) == 'title:dân -"covid" vận*'


def test_decode_text_reads_only_the_words_within_the_limit_a_query_is_cut_at():
    # search.max_query_chars: the rest of the query is not searched, so it is not decoded either
    # (each word would cost a frequency lookup, and 10,000 tone keys cost seconds).
    assert decode_text("daajn vaajn daan", frequencies({}), limit=6) == "dận vaajn daan"  # vaajn starts at 6
    assert decode_text("daajn vaajn daan", frequencies({}), limit=7) == "dận vận daan"
    assert decode_text("Hà Nội daan", frequencies({}), limit=7) is None


def test_decode_text_leaves_words_the_index_knows():
    # Moon (Jae-in) reads môn in Telex, but the index holds it as typed.
    assert decode_text("Moon Jae in", frequencies({"moon": 40, "môn": 900})) is None


def test_decode_text_leaves_acronyms():
    assert decode_text("khối u GIST", frequencies({})) is None
    assert decode_text("AJ đã có triệu chứng gì", frequencies({"ạ": 500})) is None


def test_ambiguous_words_stay_alone_and_follow_a_decoded_query():
    table = {"teen": 30, "tên": 2000, "coong": 0, "công": 5000, "xoong": 12, "xông": 300}
    # teen is a word of the index: alone, it is what it says...
    assert decode_text("teen", frequencies(table)) is None
    # ...in a query that surely holds keys, it reads far better decoded
    assert decode_text("thuwr nghieejm teen", frequencies(table)) == "thử nghiệm tên"
    # a real syllable the index hardly knows, whose reading it knows well, alone: its only key
    # is a letter typed twice, as likely a slip (cong) as Telex, so the speller reads it in
    # context; beside other keys it is Telex
    assert decode_text("coong", frequencies(table)) is None
    assert decode_text("thuwr coong", frequencies(table)) == "thử công"
    # a real syllable the index knows: stays
    assert decode_text("noi xoong", frequencies(table)) is None
    # syllables that hold no key never change
    assert decode_text("an loan tranh", frequencies(table)) is None
    assert decode_text("an loan tranh vaajn", frequencies(table)) == "an loan tranh vận"


def test_a_letter_typed_twice_alone_is_keys_eagerly_only_where_its_slip_reads_the_same():
    table = {"khoong": 5, "không": 9000, "quaan": 4, "quân": 2000}
    commonest = {"khong": "không", "quan": "quan"}.get
    assert decode_text("khoong", frequencies(table), commonest=commonest) is None  # not eager
    assert decode_text("khoong", frequencies(table), eager=True, commonest=commonest) == "không"
    # quan is mostly written quan: the slip and the keys read two words
    assert decode_text("quaan", frequencies(table), eager=True, commonest=commonest) is None


def test_two_syllables_keys_written_as_one_word_read_as_the_word_the_index_holds():
    assert joined_readings("vawscxin") == ("vắcxin",)
    assert "vắcxin" in joined_readings("va8cxin1")  # the tone typed at the word's end
    assert joined_readings("Ootoo") == ("Ôtô",)
    assert joined_readings("hanoi") == () and joined_readings("google") == ()  # no keys
    table = {"vắcxin": 40, "trẻ": 900}
    assert decode_text("tieem vawscxin", frequencies(table)) == "tiêm vắcxin"
    assert decode_text("va8cxin1", frequencies(table)) == "vắcxin"
    assert decode_text("ootoo", frequencies(table)) is None  # a word the index does not hold


def test_a_letter_typed_twice_is_told_from_telex_keys():
    assert pressed_twice("quaan") and pressed_twice("ddi") and pressed_twice("mooi")
    assert not pressed_twice("quaans")  # a tone key
    assert not pressed_twice("muwa") and not pressed_twice("vaajn")
    assert not pressed_twice("quan")  # no key at all


def test_splits_cut_run_together_words_into_syllables():
    assert ["ha", "noi"] in splits("hanoi")
    assert ["viet", "nam"] in splits("vietnam")  # a syllable without its marks counts
    assert splits("tphcm") == []  # no vowel: the abbreviation table's business
    assert splits("covid") == []
    assert all(len(cut) <= 3 for cut in splits("nguyenvanphong"))


# Keys, letters typed with marks and digits, as readers mix them.
_KEYED = st.text(alphabet='adeowsfrxjzuy69871234 5ĐđâêôăơưạảÀ-:"*', max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_KEYED, st.text(max_size=60)), st.integers(0, 5))
def test_decoding_any_text_never_raises_and_changes_words_into_syllables_one_for_one(text, seen):
    # (or a loanword written as one word, where the index holds it and not the keys typed)
    decoded = decode_text(text, lambda term: seen if term.isascii() else 2 * seen)
    if decoded is None:
        return
    typed, read = SYLLABLE_RE.findall(text), SYLLABLE_RE.findall(decoded)
    assert len(typed) == len(read)
    for before, after in zip(typed, read, strict=True):
        assert after == before or is_vietnamese_syllable(after.lower()) or after in joined_readings(before)


# --- every syllable of the sample, typed four ways, reads back ---------------------------------

_TELEX_LETTERS = {"â": "aa", "ê": "ee", "ô": "oo", "ă": "aw", "ơ": "ow", "ư": "uw", "đ": "dd"}
_VNI_LETTERS = {"â": "a6", "ê": "e6", "ô": "o6", "ă": "a8", "ơ": "o7", "ư": "u7", "đ": "d9"}
_TELEX_TONES = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
_VNI_TONES = {"\u0301": "1", "\u0300": "2", "\u0309": "3", "\u0303": "4", "\u0323": "5"}


def typed_with_keys(syllable: str, letters: dict, tones: dict, tone_after_vowel: bool) -> str:
    """*syllable* as typed with an input method's keys, the tone key after its vowel or at the end."""
    out, tone_key = [], ""
    for ch in syllable:
        decomposed = unicodedata.normalize("NFD", ch)
        key = next((tones[m] for m in decomposed if m in tones), "")
        plain = unicodedata.normalize("NFC", "".join(m for m in decomposed if m not in tones))
        out.append(letters.get(plain, plain))
        if key and tone_after_vowel:
            out.append(key)
        elif key:
            tone_key = key
    return "".join(out) + tone_key


def test_every_syllable_of_the_sample_typed_in_telex_or_vni_reads_back():
    from index.analysis import syllables

    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "data" / "sample").glob("*.txt")))
    found = {s for s in syllables(text) if s.isalpha() and is_vietnamese_syllable(s)}
    assert len(found) > 1000
    wrong = []
    for syllable in sorted(found):
        for decode, letters, tones in ((telex, _TELEX_LETTERS, _TELEX_TONES), (vni, _VNI_LETTERS, _VNI_TONES)):
            for after in (False, True):
                typed = typed_with_keys(syllable, letters, tones, after)
                if typed != syllable and decode(typed) != syllable:
                    wrong.append((syllable, typed, decode(typed)))
    assert not wrong, wrong[:20]


def test_keys_that_are_also_words_the_index_knows_are_read_when_the_query_finds_nothing(tmp_path_factory):
    # Lys and Vix are in a few articles (a name, an index), so "Lys Vix Linh" holds no word
    # surely keys; as typed it finds nothing, and read as Telex it is Lý Vĩ Linh.
    articles = [
        *({"id": f"ly{n}", "title": f"Ông Lý Vĩ Linh phát biểu lần {n}", "body": "Lý Vĩ Linh."} for n in range(10)),
        *({"id": f"lys{n}", "title": f"Nhà mốt Lys ra mắt {n}", "body": "Lys."} for n in range(3)),
        *({"id": f"vix{n}", "title": f"Chỉ số VIX tăng {n}", "body": "Chỉ số VIX."} for n in range(3)),
    ]
    searcher = searcher_of(tmp_path_factory.mktemp("eager-keys"), articles)
    result = searcher.search("Lys Vix Linh")
    assert result.showing_results_for == "Lý Vĩ Linh"
    assert result.total == 10 and result.hits[0].id.startswith("ly")
    assert searcher.search("Lys").total == 3  # found as typed: what it says


def test_keys_that_are_also_words_are_read_when_no_article_holds_every_word_as_typed(tmp_path_factory):
    # khoong is in three articles (a typo the archive holds), so it is no surely keys; as typed,
    # no article holds it beside the other words, and read as Telex (khong is mostly không) they are.
    articles = [
        *({"id": f"bb{n}", "title": f"Cấp phép bay không cho Bamboo Airways {n}", "body": "Bamboo."} for n in range(5)),
        *({"id": f"kh{n}", "title": f"Nồi khoong nhôm {n}", "body": "Bếp khoong."} for n in range(3)),
        *({"id": f"ko{n}", "title": f"Người dân không đồng ý {n}", "body": "Không."} for n in range(20)),
        *({"id": f"lee{n}", "title": f"Lee Chong Wei thắng trận {n}", "body": "Lee Chong Wei."} for n in range(3)),
        *({"id": f"le{n}", "title": f"Ông Lê nhập quốc tịch {n}", "body": "Lê."} for n in range(10)),
    ]
    searcher = searcher_of(tmp_path_factory.mktemp("scattered-keys"), articles)
    result = searcher.search("khoong cho bamboo airways")
    assert result.showing_results_for == "không cho bamboo airways"
    assert result.total == 5 and all(hit.id.startswith("bb") for hit in result.hits)
    assert searcher.search("khoong").total == 3  # alone, found as typed: what it says
    # found apart, a word typed with a capital is a name as the reader spells it, not Lê's keys
    assert searcher.search("Lee quốc tịch").showing_results_for is None


def test_three_syllables_run_together_are_read_apart_where_any_article_holds_them(tmp_path_factory):
    # Three syllables side by side somewhere are no chance: one article holding "chàng trai bán"
    # is enough.  Two may be, so a cut into two is taken only where a few articles hold it.
    articles = [
        {"id": "tea", "title": "Chàng trai bán trà đá", "body": "Chuyện ở Hà Nội."},
        {"id": "cane", "title": "Quán nước mía", "body": "Chuyện ở chợ."},
        *({"id": f"other{n}", "title": f"Tin số {n}", "body": "Thời tiết hôm nay."} for n in range(5)),
    ]
    searcher = searcher_of(tmp_path_factory.mktemp("run-together"), articles)
    result = searcher.search("changtraiban")
    assert result.showing_results_for == "chàng trai bán" and result.hits[0].id == "tea"
    assert searcher.search("nuocmia").showing_results_for is None
