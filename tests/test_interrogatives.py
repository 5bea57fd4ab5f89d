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


def test_a_question_typed_with_diacritics_weighs_the_syllables_as_typed_over_their_folded_forms(sample_index, tmp_path):
    # Three articles one syllable apart: lười (lazy) as the question writes it, lưỡi (tongue),
    # which only folds to it, and neither.  In a long query (no rule orders it by exactness) the
    # syllable as typed counts whole and its folded form half (search.engine.LONG_FOLDED_EXACT),
    # so what lười adds over lưỡi is at least twice what lưỡi adds over nothing.  With the weights
    # the other way round (a folded match whole, exactness half) it was less.
    from index.article import Article
    from index.store import IndexStore
    from index.writer import upsert_entry, write
    from search.searcher import Searcher
    from tests.server import copy_index

    config = load_config(copy_index(sample_index, tmp_path))
    bodies = {"exact": "lười", "folded": "lưỡi", "neither": "ít"}
    articles = [
        Article.from_json(
            {"id": f"q-{name}", "title": "Sức khỏe", "body": f"Người già {word} vận động dễ mắc bệnh tim mạch."}
        )
        for name, word in bodies.items()
    ]
    write(IndexStore(config.path("index.path")), [upsert_entry(a) for a in articles])
    searcher = Searcher(config)
    view = searcher._refresh()
    weights = replace(searcher.weights, words=0.0)  # pyvi's word lười would add to the first alone
    question = parse_query("Người già lười vận động dễ mắc bệnh gì")
    assert len(question.positive_syllables()) > weights.all_words_up_to
    evaluation = Evaluator(view, weights).evaluate(question)
    docs = {name: searcher._searcher.document_number(id=f"q-{name}") for name in bodies}
    assert all(evaluation.matched[d] for d in docs.values())
    score = {name: float(evaluation.scores[d]) for name, d in docs.items()}
    assert score["folded"] > score["neither"]  # the folded form still counts (a variant spelling, a typo)
    assert score["exact"] - score["folded"] >= 1.9 * (score["folded"] - score["neither"])


def test_a_short_question_does_not_require_its_question_words(tmp_path_factory):
    # "Bệnh Madelung là gì": the article about the disease need not hold "gì", which only asks;
    # matching every word found only the one article that happened to hold it too.  A headline
    # holding the question word still comes first: the phrase rule reads every word.
    from tests.conftest import searcher_of

    articles = [
        {"id": "answer", "title": "Người gấu ở Hải Phòng", "body": "Ông mắc bệnh Madelung, là bệnh hiếm."},
        {"id": "aside", "title": "Ba lần phẫu thuật", "body": "Bệnh Madelung là bệnh hiếm. Ông không biết gì."},
        {"id": "headline", "title": "Bệnh Madelung là gì", "body": "Bệnh Madelung là bệnh hiếm gặp."},
        {"id": "tea", "title": "Uống trà xanh mỗi ngày", "body": "Trà xanh giúp giảm mỡ máu, theo các bác sĩ."},
        {"id": "told", "title": "Trà và cà phê", "body": "Trà xanh có tác dụng phụ gì? Ai cũng hỏi thế."},
        *({"id": f"other{n}", "title": f"Tin số {n}", "body": "Thời tiết hôm nay là gì?"} for n in range(5)),
    ]
    searcher = searcher_of(tmp_path_factory.mktemp("short-question"), articles)
    result = searcher.search("Bệnh Madelung là gì")
    assert {hit.id for hit in result.hits} == {"answer", "aside", "headline"} and result.total == 3
    assert result.hits[0].id == "headline"
    # Nothing else asked: the question word is all there is, and is required
    assert {hit.id for hit in searcher.search("gì").hits} == {
        "aside",
        "headline",
        "told",
        *(f"other{n}" for n in range(5)),
    }
    # With its question mark, a short question is asked as a long one: a share of its words
    # (the article about green tea need not say "có tác dụng"), ranked by relevance.
    assert searcher.search("Trà xanh có tác dụng gì").total == 1
    asked = searcher.search("Trà xanh có tác dụng gì?")
    assert {"tea", "told"} <= {hit.id for hit in asked.hits}
