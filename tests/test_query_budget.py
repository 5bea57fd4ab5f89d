"""The work budget of one query (issue 18, item 1): bounded syllables, prefixes and their
expansions, lists decoded once however often a phrase repeats them, no spelling of very
long words, and a deadline that ends a search with a 400 instead of holding the worker."""

from __future__ import annotations

import numpy as np
import pytest
from falcon import testing

from api.app import create_app
from index.settings import load_config
from search.engine import Evaluator
from search.query import parse_query
from search.searcher import Searcher, SearchError

# 96 two-letter prefixes, as in the issue (383 characters).
PREFIXES = " ".join(c + v + "*" for c in "bcdghklmnpqrstvx" for v in "aeiouy")


def test_a_one_letter_prefix_is_the_word_itself():
    parsed = parse_query("a* dân*")
    assert [(c.syllables, c.prefix) for c in parsed.clauses] == [(["a"], False), (["dân"], True)]
    assert not parsed.truncated


def test_prefixes_beyond_the_limit_are_plain_words_and_the_query_says_so():
    parsed = parse_query(PREFIXES, max_terms=200, max_prefixes=4)
    assert sum(c.prefix for c in parsed.clauses) == 4
    assert [c.syllables[0] for c in parsed.clauses if c.prefix] == ["ba", "be", "bi", "bo"]
    assert len(parsed.clauses) == 96 and parsed.truncated


def test_a_query_is_read_for_its_first_syllables_positive_clauses_first():
    parsed = parse_query('"' + " ".join(["là"] * 332) + '"', max_terms=32)
    (clause,) = parsed.clauses
    assert clause.syllables == ["là"] * 32 and clause.phrase and parsed.truncated
    parsed = parse_query("-covid " + " ".join(f"w{i}" for i in range(40)), max_terms=32)
    assert len(parsed.clauses) == 32 and parsed.excluded == [] and parsed.truncated
    parsed = parse_query("dân vận -covid", max_terms=32)
    assert len(parsed.clauses) == 2 and [c.syllables for c in parsed.excluded] == [["covid"]]
    assert not parsed.truncated


@pytest.fixture(scope="module")
def config(sample_index):
    return load_config(sample_index)


def test_a_repeated_syllable_is_decoded_once(config):
    searcher = Searcher(config)
    searcher.search("dân vận")
    view = searcher._refresh()
    among = np.ones(view.size, dtype=bool)
    keys = view.term_keys([("body_f", "dan"), ("body_f", "van"), ("body_f", "dan"), ("body_f", "dan")], among)
    assert keys[0].size and keys[0] is keys[2] is keys[3]
    assert np.array_equal(keys[1], view.term_keys([("body_f", "van")], among)[0])


def test_a_phrase_repeating_a_syllable_gathers_its_positions_once(tmp_path, monkeypatch):
    from search.postings import Postings
    from tests.conftest import searcher_of

    searcher = searcher_of(tmp_path, [{"id": "ha", "title": "Cười", "body": "Anh cười ha ha ha ha rồi đi."}])
    searcher.search("")
    view = searcher._refresh()
    gathered: list[int] = []
    keys_at = Postings.keys_at

    def counted(postings, chosen):
        gathered.append(id(postings))
        return keys_at(postings, chosen)

    monkeypatch.setattr(Postings, "keys_at", counted)
    ends = view.phrase_ends("body_f", ["ha"] * 4 + ["roi"], view.live)
    assert (ends & ((1 << 21) - 1)).tolist() == [6]  # anh 0, cuoi 1, ha 2-5, roi 6
    assert len(gathered) == len(set(gathered)) == 2  # ha once, roi once


def test_a_prefix_stands_for_its_most_frequent_words_at_most(config):
    searcher = Searcher(config.with_overrides(search__prefix_terms=6))
    view = searcher._refresh()
    every = view.expand_prefix(["title_f", "body_f"], "th", 1000)
    assert len(every) > 6
    found = view.expand_prefix(["title_f", "body_f"], "th", 6)
    assert found == every[:6]  # the most frequent
    assert Evaluator(view, searcher.weights, prefix_terms=6).evaluate(parse_query("th* ng*")).matched.any()


def test_no_spelling_for_words_longer_than_the_limit(config):
    assert Searcher(config).search("hoi nghi truc tuyn").did_you_mean == "Hội nghị trực tuyến"
    short = Searcher(config.with_overrides(search__spelling_max_chars=3))
    assert short.search("hoi nghi truc tuyn").did_you_mean != "Hội nghị trực tuyến"


def test_no_spelling_suggestion_once_the_deadline_has_passed(config):
    from search.deadline import Deadline

    searcher = Searcher(config)
    searcher.search("giao thông")
    helpers = searcher.helpers
    parsed = searcher.parse("hoi nghi truc tuyn")
    corrected = helpers.speller.correct(helpers.occurrences(), helpers.unigrams, parsed)
    assert corrected is not None
    assert helpers.speller.correct(helpers.occurrences(), helpers.unigrams, parsed, Deadline(0)) is None


def test_a_query_cut_at_its_limits_gets_no_suggestion(config):
    searcher = Searcher(config)
    assert searcher.search("hoi nghi truc tuyn").did_you_mean == "Hội nghị trực tuyến"
    long = searcher.search("hoi nghi truc tuyn " + " ".join(["dan van"] * 20))
    assert long.truncated and long.did_you_mean is None


def test_a_search_past_its_deadline_is_a_400_that_says_why(config):
    with pytest.raises(SearchError) as caught:
        Searcher(config.with_overrides(search__deadline_ms=0)).search("dân vận")
    assert caught.value.param == "q" and "ms of work" in str(caught.value)
    client = testing.TestClient(create_app(config.with_overrides(search__deadline_ms=0), environ={}))
    response = client.simulate_get("/api/search", params={"q": "dân vận"})
    assert response.status_code == 400 and "ms of work" in response.json["description"]
    assert Searcher(config).search("dân vận").total > 0  # the default leaves room


def test_hostile_queries_of_the_issue_are_answered_and_marked_truncated(config):
    client = testing.TestClient(create_app(config, environ={}))
    for q in (PREFIXES, '"' + " ".join(["là"] * 332) + '"'):
        response = client.simulate_get("/api/search", params={"q": q})
        assert response.status_code == 200 and response.json["truncated"] is True


def test_a_query_cut_at_its_limits_gets_no_restored_reading(sample_index):
    searcher = Searcher(load_config(sample_index).with_overrides(search__max_query_terms=3))
    searcher.search("")  # opens the index
    whole, cut = searcher.parse("dan van"), searcher.parse("dan van kheo ha noi")
    assert cut.truncated and not whole.truncated
    assert searcher.helpers.reading(whole) is not None  # dân vận
    assert searcher.helpers.reading(cut) is None  # pasted text or a probe: no restoration work
