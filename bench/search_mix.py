"""CPU per search of the load benchmark's mix, by kind of request, in one process.

    .venv/bin/python bench/search_mix.py --config /work/devindex/bench00.toml

The requests ``bench/load.py`` sends in a 30 s run (the same mix, the same
seeds: 16 clients, taken in turn) are searched in order by one ``Searcher``,
warmed up as a server worker is (``api.server.WARM_QUERIES``), remembering as
many results as the server's workers share (``search.shared_result_cache``).
A request seen before is a repeat (answered from memory); the others are
searched in full.  CPU time (``time.process_time``), not wall time, so a busy
machine shows less in it; still, compare commits back to back.

Corpus: whatever the config's index holds; machine: one process, one thread.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.server import WARM_QUERIES  # noqa: E402 - after the path is set
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
    args = parser.parse_args()

    config = load_config(args.config)
    # The results the server's workers share (search.shared_result_cache), held by this process.
    searcher = Searcher(
        config.with_overrides(search__shared_result_cache=0, search__result_cache=config["search.shared_result_cache"])
    )
    for query in WARM_QUERIES:
        searcher.search(query)
    searcher.suggest("ha")
    gc.freeze()  # as a worker does after its warm-up
    dev, questions = load_queries(QUERIES)
    streams = [request_paths(client, dev, questions) for client in range(args.connections)]
    seen: set[str] = set()
    spent: dict[tuple[str, bool], list[float]] = defaultdict(list)
    for number in range(args.requests):
        kind, path = next(streams[number % args.connections])
        options = {_OPTIONS.get(k, k): v[0] for k, v in parse_qs(urlsplit(path).query).items()}
        started = time.process_time()
        searcher.search(**options)
        spent[(kind, path in seen)].append(time.process_time() - started)
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
