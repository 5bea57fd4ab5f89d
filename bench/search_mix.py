"""CPU per search of the load benchmark's mix, by kind of request, in one process.

    .venv/bin/python bench/search_mix.py --config /work/devindex/bench00.toml

The requests ``bench/load.py`` sends in a 30 s run (the same mix, the same
seeds: 16 clients, taken in turn) are searched in order by one ``Searcher``,
warmed up as a server worker is (``api.server.warm``), remembering as
many results as the server's workers share (``search.shared_result_cache``).
A request seen before is a repeat (answered from memory); the others are
searched in full.  CPU time (``time.process_time``), not wall time, so a busy
machine shows less in it; still, compare commits back to back.

Corpus: whatever the config's index holds; machine: one process, one thread.

``--profile`` runs the mix under cProfile and adds where a search's time went,
by step (issue 16's table): the cumulative time of each step's function per
request.  The steps nest as indented; profiling adds its own overhead, so
compare shares, and the same flag before and after a change.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import platform
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.server import warm  # noqa: E402 - after the path is set
from bench.load import MIX, QUERIES, load_queries, request_paths  # noqa: E402
from index.settings import load_config  # noqa: E402
from search.searcher import Searcher  # noqa: E402

# /api/search's parameter names, as Searcher.search takes them.
_OPTIONS = {"q": "query", "from": "date_from", "to": "date_to"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="the index to search")
    parser.add_argument("--requests", type=int, default=5400, help="requests of the mix (5,400: 30 s at 180/s)")
    parser.add_argument("--connections", type=int, default=16, help="clients whose streams are interleaved")
    parser.add_argument("--profile", action="store_true", help="also print where the time went, by step")
    args = parser.parse_args()

    config = load_config(args.config)
    # The results the server's workers share (search.shared_result_cache), held by this process.
    searcher = Searcher(
        config.with_overrides(search__shared_result_cache=0, search__result_cache=config["search.shared_result_cache"])
    )
    warm(searcher, logging.getLogger("search_mix"))  # as a worker starts (gc.freeze included)
    dev, questions = load_queries(QUERIES)
    streams = [request_paths(client, dev, questions) for client in range(args.connections)]
    seen: set[str] = set()
    spent: dict[tuple[str, bool], list[float]] = defaultdict(list)
    profile = cProfile.Profile() if args.profile else None
    for number in range(args.requests):
        kind, path = next(streams[number % args.connections])
        options = {_OPTIONS.get(k, k): v[0] for k, v in parse_qs(urlsplit(path).query).items()}
        if profile:
            profile.enable()
        started = time.thread_time()  # this thread's CPU: process_time was slow on a loaded machine
        searcher.search(**options)
        spent[(kind, path in seen)].append(time.thread_time() - started)
        if profile:
            profile.disable()
        seen.add(path)
    total = sum(sum(times) for times in spent.values())

    print(f"bench/search_mix.py --config {args.config} --requests {args.requests}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores (one used), Python {platform.python_version()}")
    print("\n| kind | requests | CPU per request | share of the CPU |\n|---|---:|---:|---:|")
    for kind, _ in MIX:
        for repeat in (False, True):
            times = spent.get((kind, repeat), [])
            if times:
                label = f"{kind}, {'repeat' if repeat else 'first time'}"
                share = sum(times) / total * 100
                print(f"| {label} | {len(times)} | {sum(times) / len(times) * 1000:.2f} ms | {share:.1f} % |")
    print(f"| all | {args.requests} | {total / args.requests * 1000:.2f} ms | 100 % |")
    if profile:
        print_steps(pstats.Stats(profile), args.requests)
    return 0


# (indent, label, file, function) of the steps of a search, as they nest; a function may be
# "a|b", either of two that never call each other (a step that moved from one to the other).
STEPS = [
    (0, "a search, whole", "search/searcher.py", "search"),
    (1, "accent restoration and spelling (the reading, did_you_mean)", "search/helpers.py", "reading"),
    (2, "restoration's runs: syllables side by side (spelling's too)", "search/restore.py", "runs"),
    (2, "restoration's sightings of each run, read (Occurrences.sample)", "search/occurrences.py", "sample"),
    (3, "their stored texts, read and walked", "search/occurrences.py", "text"),
    (1, "matching and ranking (Evaluator.evaluate)", "search/engine.py", "evaluate"),
    (2, "BM25F of the query's terms", "search/engine.py", "bm25f"),
    (2, "phrases and proximity", "search/engine.py", "phrase_counts"),
    (2, "reading posting lists (every step above)", "search/postings.py", "read_postings"),
    (2, "gathering positions (every step above)", "search/segments.py", "term_keys|phrase_ends_of"),
    (1, "a question's second stage (passages.rescore)", "search/passages.py", "rescore"),
    (1, "ordering the matches for the page (Ranking.first)", "search/ranking.py", "first"),
    (1, "titles and snippets of the page's hits", "search/searcher.py", "_hit"),
    (1, "facets", "search/searcher.py", "_facets"),
]


def step_times(stats: pstats.Stats, requests: int) -> list[float]:
    """Milliseconds per request of each of :data:`STEPS` (cumulative, as they nest)."""
    found: dict[tuple[str, str], float] = defaultdict(float)
    for (file, _, function), (_, _, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        for _, _, step_file, step_function in STEPS:
            if file.endswith(step_file) and function in step_function.split("|"):
                found[(step_file, step_function)] += cumulative
    return [found[(file, function)] / requests * 1000 for _, _, file, function in STEPS]


def print_steps(stats: pstats.Stats, requests: int) -> None:
    times = step_times(stats, requests)
    whole = times[0] or 1.0
    print("\n| step (cProfile, cumulative) | ms per request | share |\n|---|---:|---:|")
    for (indent, label, _, _), ms in zip(STEPS, times, strict=True):
        print(f"| {'- ' * indent}{label} | {ms:.2f} | {ms / whole * 100:.0f} % |")


if __name__ == "__main__":
    raise SystemExit(main())
