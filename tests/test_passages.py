"""A reader's question, second stage (search/passages.py): its first articles re-scored by where its
words stand together, on articles written for it and on words drawn at random."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.passages import WINDOW, Question
from search.searcher import Searcher

from .conftest import searcher_of

QUESTION = "Chị Lan mang thai mấy tháng thì bị sốt?"


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    """One article holds the question's words many times, each in a sentence of its own; another
    answers it, once, in one sentence of a longer text; the rest are about other things."""
    apart = "Hôm nay trời đẹp, phố phường đông vui."  # more than a window between the words
    scattered = f" {apart} ".join(
        ["Chị Lan đi chợ.", "Mang giỏ.", "Thai phụ khám.", "Ba tháng.", "Thì thôi.", "Bị ốm.", "Sốt."] * 2
    )
    filler = " ".join(f"Hôm nay trời đẹp, phố số {n} đông vui." for n in range(15))
    articles = [
        {"id": "scattered", "title": "Chuyện thường ngày", "body": scattered},
        {
            "id": "answer",
            "title": "Chuyện thường ngày",
            "body": f"{filler} Chị Lan mang thai bốn tháng thì bị sốt cao.",
        },
        *(
            {"id": f"other{n}", "title": f"Tin vắn số {n}", "body": f"Giá vàng hôm nay tăng {n} đồng."}
            for n in range(40)
        ),
    ]
    return searcher_of(tmp_path_factory.mktemp("passages"), articles)


def _ids(searcher: Searcher, **options) -> list[str]:
    return [hit.id for hit in searcher.search(QUESTION, highlight=False, **options).hits]


def test_the_article_holding_the_question_together_comes_first(searcher):
    alone = Searcher(searcher.config.with_overrides(search__passage_weight=0.0))
    assert _ids(alone)[:2] == ["scattered", "answer"]  # by BM25F alone: the words held most often
    assert _ids(searcher)[:2] == ["answer", "scattered"]


def test_pages_of_a_re_scored_question_are_one_order(searcher):
    result = searcher.search(QUESTION, per_page=4, highlight=False)
    assert [hit.id for hit in result.hits] == [
        hit.id for page in (1, 2, 3, 4) for hit in searcher.search(QUESTION, page=page, per_page=1).hits
    ]
    scores = [(hit.tier, hit.score) for hit in result.hits]
    assert scores == sorted(scores, reverse=True)  # the score shown is the one the order follows


WORDS = ["a", "b", "c", "d", "x"]


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(st.sampled_from(WORDS), max_size=40),
    asked=st.lists(st.sampled_from(WORDS[:4]), min_size=1, max_size=6),
    weights=st.lists(st.floats(0.1, 5.0), min_size=4, max_size=4),
)
def test_evidence_is_the_best_window_and_the_pairs_found(text, asked, weights):
    weight = dict(zip(WORDS[:4], weights, strict=True))
    pairs = frozenset(itertools.pairwise(asked))
    question = Question(
        {w: weight[w] for w in set(asked)},
        pairs,
        sum(weight[w] for w in set(asked)),
        sum(weight[a] + weight[b] for a, b in pairs),
    )
    best = max(
        (sum(weight[w] for w in set(text[start : start + WINDOW]) & set(asked)) for start in range(len(text))),
        default=0.0,
    )
    found = {(a, b) for a, b in itertools.pairwise(text)} & pairs
    expected = best / question.total + (
        sum(weight[a] + weight[b] for a, b in found) / question.pair_total if pairs else 0.0
    )
    assert question.evidence(" ".join(text)) == pytest.approx(expected / 2)
