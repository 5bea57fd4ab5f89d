"""Vietnamese analysis: normalisation, canonical tones, folding, offsets, no stop words."""

import unicodedata

import pytest

from index.analysis import (
    accented_analyzer,
    breaks_analyzer,
    canonical_syllable,
    fold,
    folded_analyzer,
    has_diacritics,
    is_break,
    normalize,
    segment_words,
    syllables,
    words_analyzer,
)


def tokens(analyzer, text):
    return [t.text for t in analyzer(text)]


@pytest.mark.parametrize(
    ("old_style", "new_style"),
    [("hoà", "hòa"), ("thuý", "thúy"), ("uỷ", "ủy"), ("khoẻ", "khỏe"), ("hoá", "hóa"), ("tuỳ", "tùy"), ("loè", "lòe")],
)
def test_both_tone_placements_give_the_same_tokens(old_style, new_style):
    assert old_style != new_style
    for analyzer in (accented_analyzer(), folded_analyzer()):
        assert tokens(analyzer, f"Ông {old_style} bình") == tokens(analyzer, f"Ông {new_style} bình")
    # The canonical form is the classic one, with the tone on the first vowel.
    assert canonical_syllable(old_style) == new_style


@pytest.mark.parametrize(
    ("misplaced", "canonical"),
    [("qúa", "quá"), ("gìa", "già"), ("hoàng", "hoàng"), ("người", "người"), ("quốc", "quốc"), ("khuỷu", "khuỷu")],
)
def test_tone_goes_on_the_vowel_that_carries_it(misplaced, canonical):
    assert canonical_syllable(misplaced) == canonical


def test_foreign_words_keep_their_accents():
    assert canonical_syllable("café") == "café"


def test_eth_nfd_zero_width_and_nbsp_variants_give_identical_tokens():
    reference = "Đà Nẵng thuý hoà khoẻ"
    variants = [
        "\u00d0à Nẵng thuý hoà khoẻ",  # eth for Đ
        unicodedata.normalize("NFD", reference),
        "Đà\u00a0Nẵng thu\u200bý ho\u200dà kho\u00adẻ",  # NBSP, zero-width, soft hyphen
        "Đà Nẵng thúy hòa khỏe",  # the other tone style
        "Đà " + unicodedata.normalize("NFD", "Nẵ") + "\u0303ng thuý hoà khoẻ",  # a doubled tilde
    ]
    for analyzer in (accented_analyzer(), folded_analyzer()):
        expected = tokens(analyzer, reference)
        for variant in variants:
            assert tokens(analyzer, variant) == expected, variant


def test_doubled_combining_marks_collapse():
    assert normalize("a\u0301\u0301") == "á"
    assert syllables("Ha\u0300\u0300 Nội") == ["hà", "nội"]


def test_folding_removes_diacritics_and_d_stroke():
    assert tokens(folded_analyzer(), "Đồng") == ["dong"]
    assert fold("Nguyễn Văn Phong") == "Nguyen Van Phong"
    assert tokens(folded_analyzer(), "ĐƯỜNG đèo Ðà") == ["duong", "deo", "da"]
    assert has_diacritics("dân") and not has_diacritics("dan van")


def test_short_words_and_english_stop_words_survive():
    text = "ở ý An Tô an to be can bé cần"
    assert tokens(accented_analyzer(), text) == ["ở", "ý", "an", "tô", "an", "to", "be", "can", "bé", "cần"]
    assert tokens(folded_analyzer(), text) == ["o", "y", "an", "to", "an", "to", "be", "can", "be", "can"]


def test_offsets_point_into_the_original_text():
    text = "HNP -\u00a0Thành uỷ Hà\u200b Nội, NFD: " + unicodedata.normalize("NFD", "Dân vận")
    for token in accented_analyzer()(text, chars=True, positions=True):
        original = text[token.startchar : token.endchar]
        assert canonical_syllable(normalize(original)) == token.text


def test_positions_count_syllables():
    found = [(t.text, t.pos) for t in folded_analyzer()("Nguyễn Văn Phong, Phó Bí thư", positions=True)]
    assert found == [("nguyen", 0), ("van", 1), ("phong", 2), ("pho", 3), ("bi", 4), ("thu", 5)]


@pytest.mark.parametrize(
    ("gap", "breaks"),
    [
        (" ", False),
        ("  ", False),
        ("\u00a0", False),
        ("\u200b ", False),  # invisible
        (".", False),  # TP.HCM
        (",", False),  # 1,5
        ("-", False),  # COVID-19
        (":", False),  # 10:30
        ("/", False),  # 5/11
        (". ", True),  # a sentence ends
        (", ", True),
        (" - ", True),
        (": ", True),
        ("\n", True),  # a line (title, paragraph, caption) ends
        (" \n ", True),
        ("!", True),
        (" (", True),
        ("”", True),
        ("…", True),
        (" – ", True),
    ],
)
def test_a_break_is_a_line_strong_punctuation_or_punctuation_beside_a_space(gap, breaks):
    assert is_break(gap) is breaks
    text = f"Lâm{gap}Hiện"
    # Syllable positions stay consecutive; the breaks view marks the syllable after a break.
    assert [t.pos for t in accented_analyzer()(text, positions=True)] == [0, 1]
    assert [(t.text, t.pos) for t in breaks_analyzer()(text, positions=True)] == ([("|", 1)] if breaks else [])


def test_words_view_holds_pyvi_compounds_of_canonical_text():
    words = tokens(words_analyzer(), "Hội nghị trực tuyến công tác Dân vận của Thành uỷ Hà Nội")
    assert words == ["hội_nghị", "trực_tuyến", "công_tác", "dân_vận", "thành_ủy", "hà_nội"]
    # One-syllable words are the syllable views' business, and punctuation is dropped.
    assert "của" not in words
    assert segment_words("Hà Nội, ngày 13/1.")[:1] == ["hà_nội"]


def test_empty_and_symbol_only_text():
    for analyzer in (accented_analyzer(), folded_analyzer(), words_analyzer()):
        assert tokens(analyzer, "") == []
        assert tokens(analyzer, " \u200b … — 🙂 ") == []


def test_the_analysis_caches_keep_no_long_strings():
    from index.analysis import _normalize_token, canonical_syllable, fold, has_diacritics

    before = [f.cache_info().currsize for f in (fold, canonical_syllable, _normalize_token)]
    for i in range(500):
        digits = str(10**999 + i)  # what a 1,000-digit export query folds
        fold(digits), has_diacritics(digits), canonical_syllable(digits), _normalize_token(digits)
    after = [f.cache_info().currsize for f in (fold, canonical_syllable, _normalize_token)]
    assert after == before
    assert fold("Đà") == "Da" and fold.cache_info().currsize >= 1  # short ones are still cached


def _functions_with_caches():
    """Every cached function of the project's index and search modules: (name, function)."""
    import importlib
    import pkgutil

    for package in ("index", "search"):
        for module_info in pkgutil.iter_modules(importlib.import_module(package).__path__):
            if module_info.name == "__main__":  # runs the command line
                continue
            module = importlib.import_module(f"{package}.{module_info.name}")
            for name, value in vars(module).items():
                if (
                    callable(value)
                    and hasattr(value, "cache_info")
                    and getattr(value, "__module__", "") == module.__name__
                ):
                    yield f"{module.__name__}.{name}", value


def test_every_cache_of_strings_is_bounded_by_one_number():
    """A worker meets an archive's whole vocabulary in time: a cache keyed by the strings it
    meets must have a bound, and the bound is index.analysis.STRING_CACHE (BENCHMARKS.md, issue 16's
    nineteenth round: at 50,000-500,000 entries these caches could take 186-243 MB).  Caches keyed by
    the program's own constants (a class, a dictionary's version) hold a few entries."""
    import inspect

    from index.analysis import STRING_CACHE

    found = dict(_functions_with_caches())
    assert {"index.analysis.canonical_syllable", "index.analysis.fold", "search.typing.is_vietnamese_syllable"} <= set(
        found
    )
    for name, function in found.items():
        keyed_by_strings = any(p.annotation in (str, "str") for p in inspect.signature(function).parameters.values())
        if keyed_by_strings:
            assert function.cache_info().maxsize is not None, name
            assert function.cache_info().maxsize <= STRING_CACHE, name


def test_the_forms_accent_restoration_tries_stay_out_of_the_shared_cache():
    from index.analysis import canonical_syllable
    from search.restore import accent_variants

    accent_variants.cache_clear()
    canonical_syllable.cache_clear()
    forms = accent_variants("dan")  # 36 forms tried, most of them no word (dằn, đẵn)
    assert "dân" in forms and "đàn" in forms and len(forms) == 36
    assert canonical_syllable.cache_info().currsize == 0
