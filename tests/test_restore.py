"""Accent restoration (search/restore.py): a long stretch's runs read in the bodies of the articles
its own words weigh most in, on articles written for it; the accented forms of a word being typed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.analysis import canonical_syllable
from search.restore import (
    SCOPED_AFTER,
    Restorer,
    UnigramCache,
    accent_variants,
    likely_articles,
    variants_beginning,
)

from .conftest import searcher_of

TOPIC = "Người dân xã Phú Đông phản đối dự án nhà máy rác."
# Typed without diacritics; "nguoi dan" is followed here by words it never stands beside, so it
# is a run of its own, read wherever the bodies hold it.
QUESTION = "nguoi dan o dau phan doi du an nha may rac"


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    """Ten articles on the question's topic write *người dân*; forty on other things write
    *người đàn (ông)*, so the archive at large writes ``nguoi dan`` the other way."""
    articles = [
        *({"id": f"topic{n}", "title": f"Tin địa phương số {n}", "body": f"{TOPIC} Tin số {n}."} for n in range(10)),
        *(
            {"id": f"other{n}", "title": f"Tin vắn số {n}", "body": f"Người đàn ông đi chợ mua {n} bó rau."}
            for n in range(40)
        ),
    ]
    found = searcher_of(tmp_path_factory.mktemp("restore"), articles)
    found.search("khởi động")  # the index opened, its state made
    return found


def _reading(searcher, scope: int) -> list[str]:
    restorer = Restorer(searcher.helpers.occurrences(), UnigramCache(), scope=scope)
    return restorer.restore(QUESTION.split()).syllables


def test_a_long_stretch_is_read_as_its_topic_writes_it(searcher):
    assert len(QUESTION.split()) > SCOPED_AFTER
    # In every body (a scope past the articles holding any of its words: no narrowing), the
    # forty articles on other things outvote the six.
    assert _reading(searcher, scope=1_000)[:2] == ["người", "đàn"]
    # In the bodies of the articles the question's words weigh most in, the ten on its topic.
    assert _reading(searcher, scope=10)[:2] == ["người", "dân"]
    assert _reading(searcher, scope=10)[4:] == ["phản", "đối", "dự", "án", "nhà", "máy", "rác"]


def test_the_likeliest_articles_hold_the_rarer_words(searcher):
    view = searcher.helpers.state.view
    ids = [searcher._article(doc)["id"] for doc in range(view.size)]
    likely = likely_articles(view, QUESTION.split(), 10)
    assert likely is not None and int(likely.sum()) == 10
    assert sorted(ids[doc] for doc in np.flatnonzero(likely)) == sorted(f"topic{n}" for n in range(10))
    # Ties (every article on other things holds "nguoi dan" alike) are broken by article order,
    # and the count is kept exactly.
    tied = likely_articles(view, QUESTION.split(), 20)
    assert tied is not None and int(tied.sum()) == 20 and all(tied[ids.index(f"topic{n}")] for n in range(10))
    others = sorted(
        (doc for doc in range(view.size) if ids[doc].startswith("other")), key=lambda d: view.columns.order[d]
    )
    assert {int(doc) for doc in np.flatnonzero(tied) if ids[doc].startswith("other")} == set(others[:10])
    # Fewer articles hold any of the words than the scope: no narrowing.
    assert likely_articles(view, QUESTION.split(), 50) is None
    assert likely_articles(view, ["khong", "co", "dau"], 1) is None


ENDINGS = ["phuong", "duong", "dan", "nguoi", "thuy", "hoa", "quyen", "ba", "x", "gia", "tu", "trung"]


@settings(max_examples=400, deadline=None)
@given(ending=st.sampled_from(ENDINGS), pick=st.integers(0, 200), cut=st.integers(1, 7), upper=st.booleans())
def test_variants_beginning_as_typed_are_those_picked_out_of_all(ending, pick, cut, upper):
    """The forms made for the letters typed are the forms of every accent that begin as typed."""
    forms = accent_variants(ending)
    partial = forms[pick % len(forms)][:cut]
    partial = partial.upper() if upper else partial
    typed = (partial, canonical_syllable(partial))
    assert variants_beginning(ending, partial) == tuple(f for f in forms if f != ending and f.startswith(typed))


def test_variants_beginning_as_typed_examples():
    assert "phượng" in variants_beginning("phuong", "phượ")
    assert "phương" not in variants_beginning("phuong", "phượ")
    assert set(variants_beginning("dan", "đ")) == {f for f in accent_variants("dan") if f.startswith("đ")}
    assert variants_beginning("dan", "dâ") and all(f.startswith("dâ") for f in variants_beginning("dan", "dâ"))
    assert variants_beginning("dan", "x") == ()


def test_a_run_written_in_capitals_is_no_name(tmp_path_factory):
    # "la gi" in a question is "là gì"; a heading in capitals ("LA GI") in a fifth of its
    # sightings made it a name, and every folded question ending so was read "LA Gi".  A run in
    # title case (the town La Gi) is still one, where a fifth of the sightings write it so.
    def articles(heading: str, headings: int) -> list[dict]:
        return [
            *({"id": f"q{n}", "title": f"Tin số {n}", "body": f"Bệnh này là gì vậy {n}."} for n in range(6)),
            *(
                {"id": f"h{n}", "title": f"Tin vắn {n}", "body": f"Đi ngay tới {heading} số {n}."}
                for n in range(headings)
            ),
        ]

    for heading, reading in (("LA GI", ["là", "gì"]), ("La Gi", ["La", "Gi"])):
        searcher = searcher_of(tmp_path_factory.mktemp("capitals"), articles(heading, 2))
        searcher.search("khởi động")  # the index opened, its state made
        restored = Restorer(searcher.helpers.occurrences(), UnigramCache()).restore(["la", "gi"])
        assert restored.display == reading, heading
