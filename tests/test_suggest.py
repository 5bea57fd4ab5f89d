"""Suggestions as the reader types (search/suggest.py), on a few articles written for the case."""

from __future__ import annotations

import pytest

from index.analysis import fold
from search.restore import accent_variants

from .conftest import searcher_of


@pytest.fixture(scope="module")
def names_searcher(tmp_path_factory):
    """Many articles name Trần Thị Phương, one names Trần Thị Phượng; many speak of tâm thần
    (mental health), and nobody is called Nguyễn Tâm Thần."""
    articles = [
        *(
            {"id": f"phuong{n}", "title": f"Bà Trần Thị Phương nói về mùa {n}", "body": "Bà Trần Thị Phương cho biết."}
            for n in range(200)
        ),
        {"id": "phuong-flower", "title": "Bà Trần Thị Phượng nhận giải", "body": "Bà Trần Thị Phượng được khen."},
        *(
            {"id": f"mental{n}", "title": f"Bệnh tâm thần ở tuổi {n}", "body": "Bệnh tâm thần cần được chữa."}
            for n in range(20)
        ),
        *({"id": f"nguyen{n}", "title": f"Ông Nguyễn Văn An số {n}", "body": "Ông Nguyễn Văn An."} for n in range(5)),
        *({"id": f"news{n}", "title": f"Tin tức trong ngày {n}", "body": "Tin tức mới."} for n in range(5)),
        *({"id": f"covid{n}", "title": f"Dịch Covid-19 lan rộng ở vùng {n}", "body": "Covid-19."} for n in range(5)),
        *({"id": f"district{n}", "title": f"Cháy ở quận 1, lần {n}", "body": "Cháy ở quận 1."} for n in range(5)),
        *(
            {"id": f"initial{n}", "title": f"Bắt Lê Văn T. vụ {n}", "body": f"Đối tượng Lê Văn T. bị bắt lần {n}."}
            for n in range(10)
        ),
    ]
    return searcher_of(tmp_path_factory.mktemp("names"), articles)


def test_an_accented_prefix_finds_the_rarer_name_that_begins_so(names_searcher):
    # The folded "trần thị phuong" is nearly always Phương: the form typed is read as typed.
    assert "trần thị phượng" in lower(names_searcher.suggest("Trần Thị Phượ"))
    assert "trần thị phượng" in lower(names_searcher.suggest("Trần Thị Phư"))
    assert all(fold(s.lower()).startswith("tran thi phu") for s in names_searcher.suggest("Trần Thị Phư"))


def test_a_name_nobody_wrote_is_not_completed_by_a_pair_that_merely_follows_it(names_searcher):
    # "nguyen tam than": nobody is called so; "tâm thần" (mental) is common, but offering
    # "nguyen tâm thần" would be offering something nobody wrote.
    assert not [s for s in names_searcher.suggest("nguyen tam than") if "tâm thần" in s.lower()]
    assert not [s for s in names_searcher.suggest("nguyen tam th") if "tâm thần" in s.lower()]
    # What was written goes on completing, with or without diacritics.
    assert any(s.startswith("nguyễn văn an") for s in lower(names_searcher.suggest("nguyen van a")))
    # A word no syllable begins as (covi) is completed alone after what nothing follows it by.
    assert any(s.startswith("tin tuc covid") for s in lower(names_searcher.suggest("tin tuc covi")))
    assert any(s.startswith("bệnh tâm thần") for s in lower(names_searcher.suggest("benh tam th")))


def test_no_suggestion_ends_on_an_initial(names_searcher):
    # "Lê Văn T." is how the press hides a suspect's name: T is no word to complete to.
    for prefix in ("le van ", "Lê Văn ", "le van t", "bat le v"):
        assert not [s for s in names_searcher.suggest(prefix) if s.split()[-1].lower() == "t"], prefix
    # A digit is a number, not an initial.
    assert any(s.lower().endswith("quận 1") for s in names_searcher.suggest("chay o quan "))


def lower(suggestions: list[str]) -> list[str]:
    return [s.lower() for s in suggestions]


def test_the_forms_an_accented_prefix_considers_are_not_kept_as_strings(names_searcher):
    # Each ending looked at has dozens of forms with diacritics (than: thân, thần, thán, thàn...),
    # most of them no word.  Kept in fold()'s cache of short strings, a worker's suggestions
    # filled it with them, and its memory over its life rose by 17 MB (BENCHMARKS.md).
    # Nor in accent_variants' cache, ~150 forms an ending: 7 MB more over a worker's life.
    fold.cache_clear()  # a cache already full (the rest of the tests' texts) would never grow
    accent_variants.cache_clear()
    names_searcher.suggest("Bệnh tâm")  # the index and the words typed, read once
    before, variants = fold.cache_info().currsize, accent_variants.cache_info().currsize
    assert names_searcher.suggest("Bệnh tâm thầ")
    assert fold.cache_info().currsize - before < 10
    assert accent_variants.cache_info().currsize == variants


@pytest.fixture(scope="module")
def border_searcher(tmp_path_factory):
    """The Vietnamese border in 10 titles; *biên giới vì* (the border, because...) in 4."""
    articles = [
        *(
            {"id": f"viet{n}", "title": f"Tuần tra biên giới Việt Nam đợt {n}", "body": "Biên giới Việt Nam."}
            for n in range(10)
        ),
        *(
            {"id": f"vi{n}", "title": f"Đóng cửa biên giới vì dịch lần {n}", "body": "Biên giới vì dịch."}
            for n in range(4)
        ),
    ]
    return searcher_of(tmp_path_factory.mktemp("border"), articles)


def test_a_bare_word_being_typed_with_the_input_method_on_is_not_taken_as_whole(border_searcher):
    # Typed without diacritics, "bien gioi vi" may be all of vì: it is preferred, three to one.
    # Typed with them, "vi" is as unfinished for vì (a tone key to come) as for Việt.
    assert border_searcher.suggest("bien gioi vi", 1)[0].lower().split()[2] == "vì"
    assert border_searcher.suggest("biên giới vi", 1)[0].lower().split()[2] == "việt"
    hits = border_searcher.search("biên giới vi", typing=True).hits
    assert hits[0].id.startswith("viet")


def test_live_results_read_a_bare_word_being_typed_with_the_input_method_on_as_a_prefix(tmp_path_factory):
    # vì is the likeliest ending here even with diacritics typed; "vi" is still matched as a
    # prefix (the tone key may be to come), so the Vietnamese border is among the results.
    articles = [
        *({"id": f"vi{n}", "title": f"Đóng cửa biên giới vì dịch lần {n}", "body": "Vì dịch."} for n in range(20)),
        *({"id": f"viet{n}", "title": f"Tuần tra biên giới Việt Nam đợt {n}", "body": "Việt Nam."} for n in range(5)),
    ]
    searcher = searcher_of(tmp_path_factory.mktemp("border-live"), articles)
    assert searcher.suggest("biên giới vi", 1)[0].lower().split()[2] == "vì"
    result = searcher.search("biên giới vi", typing=True, per_page=30)
    assert result.total == 25 and result.hits[0].id.startswith("vi")
