"""A question's question words (search/interrogatives.py): found as written, matched, never scored."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from index.settings import load_config
from search.engine import Evaluator
from search.interrogatives import asking
from search.query import parse_query


@pytest.mark.parametrize(
    ("question", "positions"),
    [
        ("Nguyên nhân nào khiến cô bị trầm cảm", {2}),
        ("Ông Nhật nhập viện trong tình trạng như thế nào", {7, 8, 9}),
        ("Ai là người đầu tiên", {0}),  # any case
        ("Vì sao giá vàng tăng bao nhiêu", {0, 1, 5, 6}),
        ("Ngôi sao thế giới bao gồm những ai", {7}),  # sao, thế, bao ask only within their expressions
        ("nguyen nhan nao", set()),  # folded: nào or não (brain)? The restored reading decides
        ("Đầu năm báo chí viết gì", {5}),  # đầu is not đâu, báo not bao
    ],
)
def test_question_words_are_found_as_written(question, positions):
    assert asking(question.split()) == positions


def test_a_question_word_matches_but_adds_nothing_to_the_score(sample_index):
    from search.searcher import Searcher

    searcher = Searcher(load_config(sample_index))
    view = searcher._refresh()
    weights = replace(searcher.weights, words=0.0)  # pyvi's words of the two questions may differ
    words = "Người dân cần chuẩn bị khi đến phường làm thủ tục"
    asked = Evaluator(view, weights).evaluate(parse_query(words + " gì"))
    told = Evaluator(view, weights).evaluate(parse_query(words))
    both = asked.matched & told.matched
    holding = np.zeros(view.size, dtype=bool)
    holding[view.term_docs("body", "gì")[0]] = True
    assert (both & holding).any()  # articles that hold gì: it would have added to their score
    assert np.allclose(asked.scores[both], told.scores[both])
