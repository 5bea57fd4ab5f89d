"""Suggestion latency per keystroke: every prefix of the judged queries, typed one key at a time.

Each query of ``../shared/queries/dev-queries.tsv`` is typed into
``Searcher.suggest`` key by key (``n``, ``ng``, ... ``ngheo thanh chuong``), as
the search box does; the time of each call is one sample.  The first call of a
fresh searcher (opening the index, reading the vocabulary of each segment) is
reported apart.

    .venv/bin/python bench/suggest.py --config /work/devindex/news00.toml

Corpus: whatever the config's index holds (news-00 + the sample for the dev
index); machine: 2 cores.  Prints a table.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.settings import load_config  # noqa: E402
from search.searcher import Searcher  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", help="config of the index to measure (default: the project's)")
    parser.add_argument("--queries", default=str(ROOT.parent / "shared" / "queries" / "dev-queries.tsv"))
    parser.add_argument("--kinds", default="known-folded,known-accented,name-folded,name-accented")
    parser.add_argument("--limit", type=int, default=8, help="suggestions asked per call")
    args = parser.parse_args(argv)

    kinds = set(args.kinds.split(","))
    queries = []
    for line in Path(args.queries).read_text(encoding="utf-8").splitlines()[1:]:
        _, query, kind = line.split("\t")
        if kind in kinds:
            queries.append(query)

    # Every query evaluated here: results shared by server processes would flatter the times.
    searcher = Searcher(load_config(args.config).with_overrides(search__shared_result_cache=0))
    started = time.perf_counter()
    searcher.suggest("a", args.limit)
    first = (time.perf_counter() - started) * 1000

    took: list[float] = []
    cpu: list[float] = []  # this process's CPU time: steadier than wall time on a shared machine
    empty = 0
    for query in queries:
        for end in range(1, len(query) + 1):
            started, started_cpu = time.perf_counter(), time.process_time()
            found = searcher.suggest(query[:end], args.limit)
            took.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            empty += not found
    print(f"index: {searcher.document_count()} documents ({args.config or 'config.toml'}); {len(queries)} queries")
    print(
        "| keystrokes | p50 ms | p90 ms | p99 ms | max ms | CPU p50 ms | CPU p99 ms | no suggestion | first call ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {len(took)} | {statistics.median(took):.1f} | {percentile(took, 0.9):.1f} | "
        f"{percentile(took, 0.99):.1f} | {max(took):.0f} | {statistics.median(cpu):.1f} | "
        f"{percentile(cpu, 0.99):.1f} | {empty / len(took):.1%} | {first:.0f} |"
    )
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
