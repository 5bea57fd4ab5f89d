"""Query speed: ``Searcher.search`` with snippets and facets, one process, one core.

    .venv/bin/python bench/query_speed.py --config C.toml            # an index you built
    .venv/bin/python bench/query_speed.py --files 1                  # news-00 (builds var/bench/news-00)
    .venv/bin/python bench/query_speed.py --config A.toml --config B.toml   # several, in one run

With several indexes (news-00 and 100,000 articles: issue 16's growth), their
queries are interleaved (every kind on A, then on B, twice over) so that the
machine's drift falls on each alike, and the table ends with each index's CPU
per search against the first's.

Every judged query of ``../shared/queries`` (known items with and without
diacritics, names, reader questions), first page of 10 with highlighted
snippets and all facets -- what ``/api/search`` does per request, without
HTTP.  Each query runs once cold (as typed by a new reader) after the warm-up a
server worker does before it takes requests (``api.server.warm``: a few searches
and a completion, which reads the vocabulary the spelling lookup needs); the
table gives p50/p90/p99 per kind.  The evaluation cache
is emptied before each query, so paging and repeats don't flatter the numbers.

``--seen`` searches every query once before the timed run, as a server that has served them
before (the result caches stay off): its posting lists, BM25F scores, readings and stored texts
are remembered, and what is left is what a search costs every time.  ``bench/sampled_steps.py``
leaves that first pass out of a sampler's record, as it leaves out the warm-up.

``--profile`` also runs each search under cProfile and adds where a search's time
went on each index, by step (``bench/search_mix.py``'s steps), and by how much each
step grows from the first index to each other: where issue 16's growth is.  The
profiler adds its own overhead, so the times of such a run are not the benchmark's.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import platform
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from relevance import ensure_index, load_queries  # noqa: E402 - after the path is set

from api.server import warm  # noqa: E402 - after the path is set
from bench.search_mix import STEPS, step_times  # noqa: E402 - after the path is set

KINDS = ("known-folded", "known-accented", "name-accented", "name-folded", "question")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1, help="corpus files to index when no --config (1 = news-00)")
    parser.add_argument("--config", action="append", help="use the index of this config (repeat for several)")
    parser.add_argument("--limit", type=int, default=300, help="queries per kind (0 = all)")
    parser.add_argument("--profile", action="store_true", help="also print where the time went, by step")
    parser.add_argument(
        "--seen", action="store_true", help="search every query once before the timed run (caches warm)"
    )
    args = parser.parse_args()

    from index.stats import index_stats
    from index.store import IndexStore
    from search.searcher import Searcher

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as the issue asks
    indexes = []
    for path in args.config or [None]:
        config, _ = ensure_index(args.files, path)
        # Every query evaluated here: results kept by this process or shared by server processes
        # would flatter the times (with --seen, a query's second search would be its remembered page).
        searcher = Searcher(
            config.with_overrides(search__result_cache=0, search__shared_result_cache=0, search__deadline_ms=600_000)
        )
        stats = index_stats(IndexStore(config.path("index.path")))
        # As a worker starts: the index opened, pyvi loaded, the column caches and the
        # vocabulary read.  (A warm-up of searches alone left the vocabulary to the first query
        # needing a spelling: 0.45 s on 100,000 articles, in the mean of a kind.)
        warm(searcher, logging.getLogger("query_speed"))
        indexes.append((config, searcher, stats))
    queries, _ = load_queries()
    by_kind: dict[str, list[str]] = defaultdict(list)
    for text, kind in queries.values():
        by_kind[kind].append(text)
    kinds = KINDS
    asked = {kind: by_kind[kind][: args.limit or None] for kind in kinds}  # the queries timed, by kind
    wall: dict[tuple[int, str], list[float]] = defaultdict(list)
    cpu: dict[tuple[int, str], list[float]] = defaultdict(list)
    profiles = [cProfile.Profile() for _ in indexes] if args.profile else None
    if args.seen:
        for _, searcher, _ in indexes:
            seen(searcher, [text for kind in kinds for text in asked[kind]])
    for round_ in range(2 if len(indexes) > 1 else 1):
        for kind in kinds:
            texts = asked[kind]
            half = texts[round_::2] if len(indexes) > 1 else texts
            for number, (_, searcher, _) in enumerate(indexes):
                for text in half:
                    searcher._recent.clear()
                    if profiles:
                        profiles[number].enable()
                    started, started_cpu = time.perf_counter(), time.thread_time()
                    result = searcher.search(text, per_page=10)
                    cpu[(number, kind)].append((time.thread_time() - started_cpu) * 1000)
                    wall[(number, kind)].append((time.perf_counter() - started) * 1000)
                    if profiles:
                        profiles[number].disable()
                    assert result.facets["year"] is not None

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores (pinned to one), Python {platform.python_version()}")
    print(f"command: .venv/bin/python bench/query_speed.py {' '.join(sys.argv[1:])}".rstrip())
    print(
        "each: first page of 10, snippets and facets, evaluation cache emptied"
        + ("; every query searched once before (caches warm)" if args.seen else "")
    )
    for number, (config, _, stats) in enumerate(indexes):
        print(
            f"index {number + 1}: {stats.documents:,} articles, {config.path('index.path')} ({stats.size_bytes / 1e6:.0f} MB)"
        )
    print()
    print("| index | kind | queries | p50 ms | p90 ms | p99 ms | CPU ms per search |")
    print("|---|---|---|---|---|---|---|")
    means = []
    for number in range(len(indexes)):
        everything, spent = [], []
        for kind in kinds:
            times = wall[(number, kind)]
            everything += times
            spent += cpu[(number, kind)]
            print(
                f"| {number + 1} | {kind} | {len(times)} | {statistics.median(times):.1f} | "
                f"{percentile(times, 0.9):.1f} | {percentile(times, 0.99):.1f} | {statistics.mean(cpu[(number, kind)]):.1f} |"
            )
        means.append(statistics.mean(spent))
        print(
            f"| {number + 1} | **all** | {len(everything)} | **{statistics.median(everything):.1f}** | "
            f"{percentile(everything, 0.9):.1f} | {percentile(everything, 0.99):.1f} | **{means[-1]:.1f}** |"
        )
    for number in range(1, len(indexes)):
        print(f"CPU per search, index {number + 1} against index 1: {means[number] / means[0]:.2f} x")
    if profiles:
        print_growth(profiles, [sum(len(cpu[(n, kind)]) for kind in kinds) for n in range(len(indexes))])
    return 0


def seen(searcher, texts: list[str]) -> None:
    """Search every one of *texts* once, untimed (``--seen``; a sampler's record leaves it out)."""
    for text in texts:
        searcher._recent.clear()
        searcher.search(text, per_page=10)


def print_growth(profiles: list[cProfile.Profile], searches: list[int]) -> None:
    """Each step's ms per search on each index, and how much it grows from the first."""
    times = [step_times(pstats.Stats(p), count) for p, count in zip(profiles, searches, strict=True)]
    head = " | ".join(f"index {n + 1}, ms" for n in range(len(times)))
    grows = " | ".join(f"grows by, index {n + 1}" for n in range(1, len(times)))
    print(f"\n| step (cProfile, cumulative; steps overlap) | {head} | {grows} |")
    print("|---" + "|---:" * (2 * len(times) - 1) + "|")
    for step, (indent, label, _, _) in enumerate(STEPS):
        own = " | ".join(f"{t[step]:.2f}" for t in times)
        more = " | ".join(f"{t[step] - times[0][step]:+.2f}" for t in times[1:])
        print(f"| {'- ' * indent}{label} | {own} | {more} |")


if __name__ == "__main__":
    sys.exit(main())
