"""Writes under read load: concurrent writers and readers against gunicorn, on a copy of an index.

Copies the config's index to a temporary folder, starts ``python -m api`` on it
(``--workers``, default 3) with a generated API key, and runs ``--writers``
client threads that write ``--articles`` generated Vietnamese articles between
them (a few single PUTs each, the rest as bulk POSTs of ``--bulk``), while
``--readers`` threads search back to back.  Each thread sends its next request
when the last one is answered (a closed loop).  Prints a table: write requests,
articles per second, write latency (a write's latency is its wait in the queue
plus its commit), errors (any status but 200, e.g. a 503 after
``index.write_timeout``), read latency, and the index's segments at the end.

    .venv/bin/python bench/writes.py                      # the sample
    .venv/bin/python bench/writes.py --config /work/devindex/bench00.toml   # news-00

Corpus: the config's index, plus the generated articles; machine: 2 cores
shared by the server and this client.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import percentile  # noqa: E402 -- after the path is set
from tests.reliability import AUTH, KEY, articles, run_writers_with_readers, token  # noqa: E402
from tests.server import copy_index, running_server  # noqa: E402


class Timings:
    def __init__(self):
        self.lock = threading.Lock()
        self.writes: list[float] = []
        self.reads: list[float] = []
        self.errors: list[str] = []

    def record(self, into: list[float], started: float, response: requests.Response, what: str) -> None:
        with self.lock:
            into.append(time.perf_counter() - started)
            if response.status_code != 200:
                self.errors.append(f"{what}: {response.status_code} {response.text[:160]}")


def writer(url: str, number: int, args, marker: str, timings: Timings) -> None:
    rng = random.Random(number)
    share = list(articles(args.articles // args.writers, prefix=f"w{number}", seed=number, marker=marker, sentences=3))
    singles, bulk = share[: args.puts], share[args.puts :]
    requests_to_send = [("put", [a]) for a in singles] + [
        ("bulk", bulk[i : i + args.bulk]) for i in range(0, len(bulk), args.bulk)
    ]
    rng.shuffle(requests_to_send)
    session = requests.Session()
    for kind, batch in requests_to_send:
        started = time.perf_counter()
        if kind == "put":
            doc = batch[0]
            response = session.put(f"{url}/api/documents/{doc['id']}", json=doc, headers=AUTH, timeout=300)
        else:
            body = "\n".join(json.dumps(a, ensure_ascii=False) for a in batch).encode()
            response = session.post(f"{url}/api/documents", data=body, headers=AUTH, timeout=300)
        timings.record(timings.writes, started, response, "write")


def reader(url: str, number: int, marker: str, stop: threading.Event, timings: Timings) -> None:
    rng = random.Random(100 + number)
    session = requests.Session()
    choices = [{"q": marker, "per_page": 50, "sort": "newest"}, {"q": "dan van"}, {"q": "Hà Nội", "page": 2}]
    while not stop.is_set():
        started = time.perf_counter()
        response = session.get(f"{url}/api/search", params=rng.choice(choices), timeout=300)
        timings.record(timings.reads, started, response, "read")


def run(url: str, args) -> dict:
    marker, timings, stop = token(), Timings(), threading.Event()
    readers = [threading.Thread(target=reader, args=(url, i, marker, stop, timings)) for i in range(args.readers)]
    writers = [threading.Thread(target=writer, args=(url, i, args, marker, timings)) for i in range(args.writers)]
    elapsed = run_writers_with_readers(writers, readers, stop)
    found = requests.get(f"{url}/api/search", params={"q": marker, "per_page": 1}, timeout=60).json()["total"]
    return {"elapsed": elapsed, "timings": timings, "found": found}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", help="whose index to copy and write to (default: the project's, the sample)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--writers", type=int, default=8, help="writer threads (default 8)")
    parser.add_argument("--readers", type=int, default=8, help="reader threads (default 8)")
    parser.add_argument("--articles", type=int, default=2000, help="articles written in all (default 2000)")
    parser.add_argument("--bulk", type=int, default=62, help="articles per bulk POST (default 62)")
    parser.add_argument("--puts", type=int, default=4, help="single PUTs per writer (default 4)")
    args = parser.parse_args(argv)

    from index.settings import load_config
    from index.store import IndexStore

    source = load_config(args.config)
    if IndexStore(source.path("index.path")).current() is None:
        parser.error(f"no index at {source.path('index.path')}: build it first (python -m index build --config ...)")
    with tempfile.TemporaryDirectory(prefix="hnp-writes-") as directory:
        config = copy_index(source.source or ROOT / "config.toml", Path(directory))
        with running_server(config, workers=args.workers, env={"HNP_API_KEYS": KEY}) as server:
            documents = requests.get(server.url + "/api/health", timeout=60).json()["documents"]
            result = run(server.url, args)
        store = IndexStore(load_config(config).path("index.path"))
        segments = len(store.open(store.current())._segments())
    timings: Timings = result["timings"]
    writes, reads = sorted(timings.writes), sorted(timings.reads)
    expected = args.articles // args.writers * args.writers
    print(
        f"corpus: a copy of {source.path('index.path')} ({documents:,} documents) plus {expected:,} generated "
        f"articles; machine: {os.cpu_count()} cores, Python {platform.python_version()}; server: {args.workers} "
        f"gunicorn workers; clients: {args.writers} writers, {args.readers} readers (closed loops)"
    )
    print(f"command: .venv/bin/python bench/writes.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    print()
    print(
        "| write requests | articles/s | write p50 | write p99 | longest write | errors | reads | read p50 | read p99 | segments after | found |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {len(writes)} in {result['elapsed']:.1f} s | {expected / result['elapsed']:.0f} | "
        f"{percentile(writes, 0.5):.2f} s | {percentile(writes, 0.99):.2f} s | {writes[-1]:.2f} s | "
        f"{len(timings.errors)} | {len(reads)} | {percentile(reads, 0.5) * 1000:.0f} ms | "
        f"{percentile(reads, 0.99) * 1000:.0f} ms | {segments} | {result['found']:,} of {expected:,} |"
    )
    for error in timings.errors[:5]:
        print("error:", error)
    return 0 if not timings.errors and result["found"] == expected else 1


if __name__ == "__main__":
    raise SystemExit(main())
