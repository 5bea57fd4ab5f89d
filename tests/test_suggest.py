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
