"""bench/sampled_steps.py: a sampling profiler's stacks counted into the steps of a search."""

from __future__ import annotations

import pytest

from bench.sampled_steps import step_times
from bench.search_mix import STEPS

SEARCH = "<module> (bench/query_speed.py:97);Searcher.search (/w/search/searcher.py:350)"
EVALUATE = "Searcher._ranked (/w/search/searcher.py:455);Evaluator.evaluate (/w/search/engine.py:520)"


def _step(function: str) -> int:
    return next(number for number, (_, _, _, name) in enumerate(STEPS) if function in name.split("|"))


def test_each_sample_counts_in_every_step_on_its_stack_and_the_warm_up_and_seen_pass_in_none(tmp_path):
    record = tmp_path / "run.txt"
    record.write_text(
        "\n".join(
            [
                f"{SEARCH};{EVALUATE};IndexView.term_keys (/w/search/segments.py:214);Postings.keys (/w/search/postings.py:90) 30",
                f"{SEARCH};{EVALUATE};IndexView.phrase_ends_of (/w/search/segments.py:240) 6",  # the same step
                f"{SEARCH};{EVALUATE} 4",
                f"{SEARCH};Searcher._hit (/w/search/searcher.py:614);snippet (/w/search/snippets.py:182) 8",
                f"{SEARCH} 2",
                f"warm (/w/api/server.py:80);{SEARCH};{EVALUATE} 500",  # before the timed searches
                # query_speed --seen's untimed first pass over the queries
                f"<module> (bench/query_speed.py:99);seen (bench/query_speed.py:158);Searcher.search (/w/search/searcher.py:350);{EVALUATE} 300",
                "<module> (bench/query_speed.py:80);ensure_index (bench/relevance.py:40) 700",  # not a search
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    times = step_times(record, rate=100, searches=5)  # a sample is 10 ms; per search, a fifth of it
    assert times[_step("search")] == pytest.approx(50 * 10 / 5)
    assert times[_step("evaluate")] == pytest.approx(40 * 10 / 5)
    assert times[_step("term_keys")] == pytest.approx(36 * 10 / 5)
    assert _step("phrase_ends_of") == _step("term_keys")
    assert times[_step("_hit")] == pytest.approx(8 * 10 / 5)
    assert times[_step("bm25f")] == 0.0
