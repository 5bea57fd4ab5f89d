"""HTTP load on the API under gunicorn: mixed searches for 30 s at 16 concurrent connections.

Starts ``python -m api --config C`` on a free loopback port (the config's
worker count; 0 = 2 x cores + 1), or uses a running server given with
``--url``.  Each of ``--connections`` client threads keeps one HTTP/1.1
keep-alive connection and sends requests back to back (a closed loop), drawn
from a fixed mix of the judged queries in ``../shared/queries``:

* 60 % ``dev-queries.tsv`` as typed into the search box (titles and names,
  with and without diacritics), first page, relevance;
* 20 % ``vinewsqa-dev-queries.tsv``: readers' questions (long, many words);
* 10 % a dev query sorted newest first, second page;
* 10 % a dev query filtered to one year (2010-2022) with an author facet read.

Requests of the first ``--warmup`` seconds are not counted.  An error is any
status other than 200, a failed connection, or a client that got no answer in
the whole run (a request still waiting at the end is otherwise in no count: with
``server.worker_connections`` at 8, half of 32 clients were never answered, and
the p99 was of the other half).  Prints a table: requests/s,
latency percentiles, errors; and how many connections each worker held at the
end (a run with one worker idle measures half a server).

    .venv/bin/python bench/load.py --config /work/devindex/news00.toml

Corpus: whatever the config's index holds (news-00 + the sample for the dev
index); machine: 2 cores shared by the server and this client.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = ROOT.parent / "shared" / "queries"
MIX = (("dev query", 0.6), ("question", 0.2), ("newest, page 2", 0.1), ("one year", 0.1))


def load_queries(directory: Path) -> tuple[list[str], list[str]]:
    def column(name: str) -> list[str]:
        lines = (directory / name).read_text(encoding="utf-8").splitlines()[1:]
        return [line.split("\t")[1] for line in lines if line.strip()]

    return column("dev-queries.tsv"), column("vinewsqa-dev-queries.tsv")


def request_paths(seed: int, dev: list[str], questions: list[str]):
    """An endless, reproducible stream of (kind, path) following MIX."""
    rng = random.Random(seed)
    kinds = [kind for kind, _ in MIX]
    weights = [share for _, share in MIX]
    while True:
        kind = rng.choices(kinds, weights)[0]
        if kind == "question":
            params = {"q": rng.choice(questions)}
        elif kind == "newest, page 2":
            params = {"q": rng.choice(dev), "sort": "newest", "page": 2}
        elif kind == "one year":
            year = rng.randint(2010, 2022)
            params = {"q": rng.choice(dev), "from": f"{year}-01-01", "to": f"{year}-12-31"}
        else:
            params = {"q": rng.choice(dev)}
        yield kind, "/api/search?" + urlencode(params)


class Client(threading.Thread):
    """One keep-alive connection sending requests back to back until told to stop."""

    def __init__(self, number: int, url: str, paths, measure_from: float, stop: threading.Event):
        super().__init__(daemon=True)
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.paths, self.measure_from, self.stop_event = paths, measure_from, stop
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.by_kind: dict[str, list[float]] = {}
        self.worker: int | None = None  # the server process holding this connection at the end

    def run(self) -> None:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        while not self.stop_event.is_set():
            kind, path = next(self.paths)
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                outcome = None if response.status == 200 else f"HTTP {response.status}"
            except (OSError, http.client.HTTPException) as exc:
                outcome = type(exc).__name__
                connection.close()
                connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            elapsed = time.perf_counter() - started
            if started < self.measure_from or self.stop_event.is_set():
                continue
            if outcome:
                self.errors[outcome] = self.errors.get(outcome, 0) + 1
            self.latencies.append(elapsed)
            self.by_kind.setdefault(kind, []).append(elapsed)
        try:
            connection.request("GET", "/api/health")
            self.worker = json.loads(connection.getresponse().read()).get("worker")
        except (OSError, http.client.HTTPException, ValueError):
            pass
        connection.close()


def group_cpu_seconds(group: int) -> float:
    """CPU time (user + system) of every live process in process group *group* (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[2]) == group:  # fields after "(comm)": state ppid pgrp ... utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


def run_load(url: str, seconds: float, connections: int, warmup: float, seed: int, group: int | None = None) -> dict:
    dev, questions = load_queries(QUERIES)
    stop = threading.Event()
    measure_from = time.perf_counter() + warmup
    clients = [Client(i, url, request_paths(seed + i, dev, questions), measure_from, stop) for i in range(connections)]
    for client in clients:
        client.start()
    time.sleep(warmup)
    cpu_before, server_before = os.times(), group_cpu_seconds(group) if group else None
    time.sleep(seconds)
    stop.set()
    cpu_after, server_after = os.times(), group_cpu_seconds(group) if group else None
    for client in clients:
        client.join()
    latencies = [t for c in clients for t in c.latencies]
    held = Counter(client.worker for client in clients)
    errors: dict[str, int] = {}
    by_kind: dict[str, list[float]] = {}
    for client in clients:
        for name, n in client.errors.items():
            errors[name] = errors.get(name, 0) + n
        if not client.latencies:  # its request never came back: a request in flight is not counted
            errors["no answer in the run"] = errors.get("no answer in the run", 0) + 1
        for kind, values in client.by_kind.items():
            by_kind.setdefault(kind, []).extend(values)
    return {
        "requests": len(latencies),
        "seconds": seconds,
        "rps": len(latencies) / seconds,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p90_ms": percentile(latencies, 0.90) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies, default=float("nan")) * 1000,
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "client_cpu_s": (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system),
        # How the connections were spread over the workers at the end (None: no answer).
        "connections_per_worker": sorted(held.values(), reverse=True),
        "server_cpu_s": None if group is None else server_after - server_before,
        "by_kind": {
            kind: {"requests": len(v), "p50_ms": percentile(v, 0.5) * 1000, "p99_ms": percentile(v, 0.99) * 1000}
            for kind, v in by_kind.items()
        },
    }


def print_table(result: dict, info: dict) -> None:
    print(f"corpus: {info['documents']} documents ({info['index']}), generation {info['generation']}")
    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}; server: {info['workers']} gunicorn "
        f"workers x {info['threads']} threads; client: {info['connections']} connections, "
        f"{result['seconds']:g} s after {info['warmup']:g} s warm-up"
    )
    shared = info.get("shared_cache", 0)
    print(
        f"results shared by the workers: up to {shared}, emptied before the run"
        if shared
        else "results shared by the workers: off (search.shared_result_cache = 0)"
    )
    print()
    print("| requests | requests/s | p50 ms | p90 ms | p99 ms | max ms | errors |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {result['requests']} | {result['rps']:.1f} | {result['p50_ms']:.1f} | {result['p90_ms']:.1f} | "
        f"{result['p99_ms']:.1f} | {result['max_ms']:.1f} | {result['errors']} |"
    )
    print()
    print("| request kind | share | requests | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    for kind, share in MIX:
        row = result["by_kind"].get(kind, {"requests": 0, "p50_ms": float("nan"), "p99_ms": float("nan")})
        print(f"| {kind} | {share:.0%} | {row['requests']} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} |")
    if result["error_kinds"]:
        print(f"\nerrors: {result['error_kinds']}")
    spread = result["connections_per_worker"]
    print(f"\nconnections per worker at the end: {'-'.join(map(str, spread))}")
    line = f"\nCPU during the measured {result['seconds']:g} s: client {result['client_cpu_s']:.1f} s"
    if result["server_cpu_s"] is not None and result["requests"]:
        per_request = result["server_cpu_s"] / result["requests"] * 1000
        line += f", server {result['server_cpu_s']:.1f} s = {per_request:.1f} ms of CPU per request"
    print(line + f" (of {os.cpu_count()} cores x {result['seconds']:g} s)")


def empty_shared_results(config) -> int:
    """Empty the results the server's processes share (search/shared_results.py), so a run
    starts cold and a second run is not flattered by the first; returns their limit."""
    from search.shared_results import default_directory

    if config["search.shared_result_dir"]:
        directory = config.path("search.shared_result_dir")
    else:
        directory = default_directory(config.path("index.path"))
    shutil.rmtree(directory, ignore_errors=True)
    return config["search.shared_result_cache"]


def add_run_arguments(parser: argparse.ArgumentParser, *, seconds: float, connections: int, warmup: float) -> None:
    """The options of a load run, with this benchmark's defaults (bench/load_100k.py has its own)."""
    parser.add_argument("--seconds", type=float, default=seconds)
    parser.add_argument("--connections", type=int, default=connections)
    parser.add_argument("--warmup", type=float, default=warmup)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", metavar="PATH", help="also write the result as JSON here")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", help="start python -m api with this config (default: the project's)")
    parser.add_argument("--url", help="measure this running server instead of starting one")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the config's server.workers)")
    add_run_arguments(parser, seconds=30.0, connections=16, warmup=3.0)
    args = parser.parse_args(argv)

    from index.settings import load_config
    from tests.server import running_server

    config = load_config(args.config)
    workers = args.workers if args.workers is not None else config["server.workers"]
    workers = workers or 2 * (os.cpu_count() or 1) + 1
    info = {"connections": args.connections, "warmup": args.warmup, "threads": config["server.threads"]}
    info["shared_cache"] = empty_shared_results(config)
    if args.url:
        server_context = None
        url = args.url.rstrip("/")
    else:
        server_context = running_server(config.source or ROOT / "config.toml", workers=workers)
        server = server_context.__enter__()
        url = server.url
    try:
        health = json.loads(_get(url + "/api/health"))
        info.update(documents=health["documents"], generation=health["generation"], workers=workers)
        info["index"] = str(config.path("index.path"))
        group = None if server_context is None else os.getpgid(server.process.pid)
        result = run_load(url, args.seconds, args.connections, args.warmup, args.seed, group)
    finally:
        if server_context is not None:
            server_context.__exit__(None, None, None)
    print_table(result, info)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"info": info, **result}, indent=1), encoding="utf-8")
    return 0


def _get(url: str) -> str:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", parts.path)
    return connection.getresponse().read().decode("utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
