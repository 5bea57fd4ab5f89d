"""A reader's question, second stage (search/passages.py): its first articles re-scored by where its
words stand together, on articles written for it and on words drawn at random."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from search.passages import WINDOW, Question
from search.postings import POSITION_BITS
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


WORDS = ["a", "b", "c", "d"]
# Words the question does not hold, eight times as likely: the question's words then stand near
# a window's length apart, where a window one syllable too long or short shows.
TEXT = WORDS + ["x"] * 8


@settings(max_examples=500, deadline=None)
# Two words a window's length apart, and one more: in one window, then not.
@example(texts=[["a", *["x"] * 8, "b"], ["a", *["x"] * 9, "b"]], asked=["a", "b"], weights=[1.0, 2.0, 1.0, 1.0])
@given(
    texts=st.lists(st.lists(st.sampled_from(TEXT), max_size=40), min_size=1, max_size=4),
    asked=st.lists(st.sampled_from(WORDS), min_size=1, max_size=6),
    weights=st.lists(st.floats(0.1, 5.0), min_size=4, max_size=4),
)
def test_evidence_is_the_best_window_and_the_pairs_found(texts, asked, weights):
    weight = dict(zip(WORDS, weights, strict=True))
    syllables = tuple(dict.fromkeys(asked))
    pairs = set(itertools.pairwise(asked))
    question = Question(
        syllables,
        np.array([weight[w] for w in syllables]),
        tuple(dict.fromkeys((syllables.index(a), syllables.index(b)) for a, b in itertools.pairwise(asked))),
    )
    docs = np.array([3 * n + 1 for n in range(len(texts))])  # documents apart, as a page's are
    keys = [
        np.array(
            [
                doc << POSITION_BITS | at
                for doc, text in zip(docs, texts, strict=True)
                for at, w in enumerate(text)
                if w == s
            ],
            dtype=np.int64,
        )
        for s in syllables
    ]
    total = sum(weight[w] for w in syllables)
    pair_total = sum(weight[a] + weight[b] for a, b in pairs)
    expected = []
    for text in texts:
        best = max(
            (sum(weight[w] for w in set(text[start : start + WINDOW]) & set(asked)) for start in range(len(text))),
            default=0.0,
        )
        found = set(itertools.pairwise(text)) & pairs
        expected.append(
            (best / total + sum(weight[a] + weight[b] for a, b in found) / pair_total if pairs else best / total) / 2
        )
    assert question.evidence(keys, docs) == pytest.approx(expected)
