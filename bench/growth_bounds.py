"""Bounds on issue 16's growth: what a search would cost with parts of it made free.

    .venv/bin/python bench/growth_bounds.py --config NEWS00.toml --config ALL100K.toml

``bench/query_speed.py`` measures what a search costs on each index.  This asks two
questions of the same queries (the dev mix, first page of 10), each index's CPU per search
against the first's, in one run (every index and variant twice, in alternating order):

* **phrase rules free**: the ranking rules' phrases (the query, its title, its restored
  reading as phrases) and the proximity signal skipped, as if an index of word pairs
  (issue 16's item 1, Elasticsearch's ``index_phrases``) made them cost nothing.  Its results
  are not the service's: it is an upper bound on what pair postings can buy.
* **restoration free**: each query's accent restoration (the reading of a query typed without
  diacritics) kept from the first pass, as if a table the index builds (issue 16's item 5,
  folded syllable n-grams to their accented forms) gave it at no cost.  The same results as
  served: an upper bound on what such a table can buy.
* **the exact floor**: only what the issue requires to be exact whatever the archive's size:
  the documents holding every folded syllable of the query (of a reader's question, any), over
  every text field, and the facets over them.  No ranking, no snippets, no restoration.

Every query runs once first, so the posting cache holds what a serving worker's would; then
each search is made a new reader's as far as its own traces go (see :func:`search`), which
``query_speed``'s single cold pass gives by itself.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from relevance import load_queries  # noqa: E402 - after the path is set

from api.server import warm  # noqa: E402 - after the path is set
from index.analysis import fold  # noqa: E402 - after the path is set
from index.settings import load_config  # noqa: E402 - after the path is set
from search import engine  # noqa: E402 - after the path is set
from search.query import parse_query  # noqa: E402 - after the path is set
from search.searcher import Searcher  # noqa: E402 - after the path is set

TEXT_FIELDS = ("title_f", "summary_f", "body_f", "captions_f", "author_f")
FACETS = ("year", "month", "source", "category", "author_key")
VARIANTS = ("as served", "phrase rules free", "restoration free", "the exact floor")


def exact_floor(searcher: Searcher, text: str, question: bool) -> None:
    """The match and its facets, nothing else (see the module's docstring)."""
    view = searcher._state.view
    matched = None
    for syllable in dict.fromkeys(fold(s) for s in parse_query(text).positive_syllables()):
        holding = np.zeros(view.size, dtype=bool)
        for field in TEXT_FIELDS:
            view.mark(holding, field, syllable)
        matched = holding if matched is None else (matched | holding if question else matched & holding)
    if matched is not None:
        counted = view.columns.select(matched & view.live)  # as the service counts them
        for facet in FACETS:
            view.columns.count(facet, counted)


def search(searcher: Searcher, text: str, question: bool, restored: bool = False) -> None:
    """A search as a new reader's: what this query alone left behind is emptied first (its
    evaluation, its restored reading and the keys it walked, the articles it showed); with
    *restored*, its reading is kept (found by the first pass)."""
    state = searcher._state
    for cache in (searcher._recent, state.keys, state.articles.articles):
        cache.clear()
    if not restored:
        state.readings.clear()
    searcher.search(text, per_page=10)


def _free_phrases(evaluator: engine.Evaluator, q) -> engine._Phrases:
    if q.phrases is None:
        q.phrases = engine._Phrases()
    return q.phrases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", action="append", required=True, help="an index's config (repeat for several)")
    parser.add_argument("--limit", type=int, default=150, help="queries per kind (0 = all)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as query_speed
    queries, _ = load_queries()
    by_kind: dict[str, list[str]] = {}
    for text, kind in queries.values():
        by_kind.setdefault(kind, []).append(text)
    todo = [(text, kind == "question") for texts in by_kind.values() for text in texts[: args.limit or None]]
    searchers = []
    for path in args.config:
        searcher = Searcher(
            load_config(path).with_overrides(
                search__result_cache=0, search__shared_result_cache=0, search__deadline_ms=600_000
            )
        )
        warm(searcher, logging.getLogger("growth_bounds"))
        for text, question in todo:
            search(searcher, text, question)
        searchers.append(searcher)

    served = (engine.Evaluator._phrases, engine.Evaluator._proximity)
    runs: dict[tuple[int, str], list[float]] = {}
    for round_ in range(2):
        for variant in VARIANTS if round_ == 0 else reversed(VARIANTS):
            run: Callable[[Searcher, str, bool], None] = {
                "the exact floor": exact_floor,
                "restoration free": functools.partial(search, restored=True),
            }.get(variant, search)
            free = variant == "phrase rules free"
            engine.Evaluator._phrases = _free_phrases if free else served[0]
            engine.Evaluator._proximity = (lambda *_: None) if free else served[1]
            try:
                for number, searcher in enumerate(searchers):
                    started = time.thread_time()
                    for text, question in todo:
                        run(searcher, text, question)
                    runs.setdefault((number, variant), []).append((time.thread_time() - started) * 1000 / len(todo))
            finally:
                engine.Evaluator._phrases, engine.Evaluator._proximity = served

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores (pinned to one), Python {platform.python_version()}")
    print(f"command: .venv/bin/python bench/growth_bounds.py {' '.join(sys.argv[1:])}")
    print(f"queries: {len(todo)} of the dev mix, first page of 10; each variant twice, in alternating order")
    for number, searcher in enumerate(searchers):
        print(f"index {number + 1}: {searcher._state.view.live_count:,} articles ({args.config[number]})")
    heads = " | ".join(f"index {n + 1}" for n in range(len(searchers)))
    against = " | ".join(f"index {n + 1} against 1" for n in range(1, len(searchers)))
    print(f"\n| CPU ms per search | {heads} | {against} |")
    print("|---" + "|---:" * (2 * len(searchers) - 1) + "|")
    for variant in VARIANTS:
        means = [statistics.mean(runs[(n, variant)]) for n in range(len(searchers))]
        own = " | ".join(f"{m:.2f}" for m in means)
        ratio = " | ".join(f"{m / means[0]:.2f} x" for m in means[1:])
        print(f"| {variant} | {own} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
