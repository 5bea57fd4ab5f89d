"""Query speed: ``Searcher.search`` with snippets and facets, one process, one core.

    .venv/bin/python bench/query_speed.py --config C.toml            # an index you built
    .venv/bin/python bench/query_speed.py --files 1                  # news-00 (builds var/bench/news-00)

Every judged query of ``../shared/queries`` (known items with and without
diacritics, names, reader questions), first page of 10 with highlighted
snippets and all facets -- what ``/api/search`` does per request, without
HTTP.  Each query runs once cold (as typed by a new reader) after a warm-up
on other queries; the table gives p50/p90/p99 per kind.  The evaluation cache
is emptied before each query, so paging and repeats don't flatter the numbers.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from relevance import ensure_index, load_queries  # noqa: E402 - after the path is set


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1, help="corpus files to index when no --config (1 = news-00)")
    parser.add_argument("--config", help="use the index of this config")
    parser.add_argument("--limit", type=int, default=300, help="queries per kind (0 = all)")
    args = parser.parse_args()

    from index.stats import index_stats
    from index.store import IndexStore
    from search.searcher import Searcher

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as the issue asks
    config, _ = ensure_index(args.files, args.config)
    # Every query evaluated here: results shared by server processes would flatter the times.
    searcher = Searcher(config.with_overrides(search__shared_result_cache=0))
    stats = index_stats(IndexStore(config.path("index.path")))
    queries, _ = load_queries()
    by_kind: dict[str, list[str]] = defaultdict(list)
    for text, kind in queries.values():
        by_kind[kind].append(text)
    for text in ["hà nội", "giao thông", "bóng đá", "thời tiết", "covid"]:
        searcher.search(text)  # warm-up: open the index, load pyvi, fill column caches
    rows, everything = [], []
    for kind in ("known-folded", "known-accented", "name-accented", "name-folded", "question"):
        texts = by_kind[kind][: args.limit or None]
        times = []
        for text in texts:
            searcher._recent.clear()
            started = time.perf_counter()
            result = searcher.search(text, per_page=10)
            times.append((time.perf_counter() - started) * 1000)
            assert result.facets["year"] is not None
        everything += times
        rows.append((kind, len(times), statistics.median(times), percentile(times, 0.9), percentile(times, 0.99)))
    rows.append(
        (
            "all",
            len(everything),
            statistics.median(everything),
            percentile(everything, 0.9),
            percentile(everything, 0.99),
        )
    )

    print(f"corpus: {stats.documents:,} articles, index {config.path('index.path')} ({stats.size_bytes / 1e6:.0f} MB)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores (pinned to one), Python {platform.python_version()}")
    print(f"command: .venv/bin/python bench/query_speed.py {' '.join(sys.argv[1:])}".rstrip())
    print("each: first page of 10, snippets and facets, evaluation cache emptied")
    print()
    print("| kind | queries | p50 ms | p90 ms | p99 ms |")
    print("|---|---|---|---|---|")
    for kind, count, p50, p90, p99 in rows:
        print(f"| {kind} | {count} | {p50:.1f} | {p90:.1f} | {p99:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
