"""What every request costs besides the search itself: the freshness check, a cached search, the app.

Three timings in one process, each the median of ``--repeat`` calls:

* ``Searcher.generation``: the check for a new commit or rebuild (it runs
  before every request, for the ETag) plus the name of the commit read;
* ``Searcher.search`` of a search already in the worker's result cache: the
  check again, the cache lookup and nothing else;
* ``GET /api/search`` of that search through the whole Falcon app
  (``falcon.testing``, which adds its WSGI validator): parameters, ETag,
  metrics, access log, JSON.

    .venv/bin/python bench/request_overhead.py --config /work/devindex/bench00.toml

Corpus: whatever the config's index holds; machine: 2 cores (one used).  Prints a table.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import falcon.testing  # noqa: E402

from api.app import create_app  # noqa: E402
from index.settings import load_config  # noqa: E402
from search.searcher import Searcher  # noqa: E402


def median_us(call, repeat: int) -> float:
    took = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        took.append(time.perf_counter() - started)
    return statistics.median(took) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", help="config of the index to measure (default: the project's)")
    parser.add_argument("--query", default="dan van")
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args(argv)

    config = load_config(args.config).with_overrides(search__shared_result_cache=0)
    searcher = Searcher(config)
    client = falcon.testing.TestClient(create_app(config, searcher))
    client.simulate_get("/api/search", params={"q": args.query})  # now in the result cache

    rows = [
        ("Searcher.generation (freshness check)", median_us(lambda: searcher.generation, args.repeat)),
        ("Searcher.search, cached", median_us(lambda: searcher.search(args.query), args.repeat)),
        (
            "GET /api/search through the app, cached",
            median_us(lambda: client.simulate_get("/api/search", params={"q": args.query}), args.repeat),
        ),
    ]
    print(f"corpus: {searcher.document_count()} documents ({config.path('index.path')})")
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, one core; query {args.query!r}")
    print(f"command: .venv/bin/python bench/request_overhead.py --config {args.config or 'config.toml'}\n")
    print("| what | median us |\n|---|---:|")
    for what, us in rows:
        print(f"| {what} | {us:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
