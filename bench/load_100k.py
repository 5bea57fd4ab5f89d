"""Load on all 100,000 articles: 60 s of mixed searches at 32 connections against 2 gunicorn workers,
with the serving workers' memory (RSS) sampled throughout.

The request mix, the client and the table are bench/load.py's (imported, not copied); this
script fixes the issue's parameters, and adds what load.py does not measure: the resident
memory of each worker, sampled every second from /proc (peak, and at the end), so the
"< 500 MB a worker" target is checked on the same run.  Errors must be zero.

    .venv/bin/python bench/load_100k.py --config /work/devindex/news100.toml

The index is built once, beforehand (27 minutes of both cores, BENCHMARKS.md):

    .venv/bin/python -m index build --config /work/devindex/news100.toml

Corpus: the ten files ../shared/corpus/news-*.jsonl.gz (100,000 articles); machine: 2 cores
shared by the server and this client.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import _get, add_run_arguments, empty_shared_results, print_table, run_load  # noqa: E402

TARGET_RSS_MB = 500


def rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of *pid* in MB, from /proc/PID/status (0 if it is gone)."""
    values = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    name, amount, _unit = line.split()
                    values[name[:-1]] = int(amount) / 1024
    except FileNotFoundError:
        return 0.0, 0.0
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


class MemorySampler(threading.Thread):
    """Samples the RSS of the workers every *interval* seconds until stopped."""

    def __init__(self, pids: set[int], interval: float = 1.0):
        super().__init__(daemon=True)
        self.pids, self.interval = pids, interval
        self.samples: dict[int, list[float]] = {pid: [] for pid in pids}
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            for pid in self.pids:
                self.samples[pid].append(rss_mb(pid)[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="config of the 100k index")
    parser.add_argument("--workers", type=int, default=2)
    add_run_arguments(parser, seconds=60.0, connections=32, warmup=5.0)
    args = parser.parse_args(argv)

    from index.settings import load_config
    from tests.server import running_server

    config = load_config(args.config)
    info = {"connections": args.connections, "warmup": args.warmup, "threads": config["server.threads"]}
    info["shared_cache"] = empty_shared_results(config)
    with running_server(args.config, workers=args.workers, ready_timeout=600) as server:
        health = json.loads(_get(server.url + "/api/health"))
        info.update(documents=health["documents"], generation=health["generation"], workers=args.workers)
        info["index"] = str(config.path("index.path"))
        pids = set(server.worker_pids)
        ready = {pid: rss_mb(pid)[0] for pid in pids}
        sampler = MemorySampler(pids)
        sampler.start()
        started = time.perf_counter()
        group = os.getpgid(server.process.pid)  # the server's CPU time, as bench/load.py reports it
        result = run_load(server.url, args.seconds, args.connections, args.warmup, args.seed, group)
        sampler.stop_event.set()
        sampler.join()
        wall = time.perf_counter() - started
        end = {pid: rss_mb(pid) for pid in pids}
        restarted = set(server.worker_pids) - pids
    print_table(result, info)
    print(f"\nworker memory (RSS, MB; target < {TARGET_RSS_MB} MB), {len(pids)} workers, {wall:.0f} s sampled:")
    print("| worker | ready | mean under load | at the end | peak (VmHWM) |")
    print("|---:|---:|---:|---:|---:|")
    memory = {}
    for pid in sorted(pids):
        samples = sampler.samples[pid] or [0.0]
        now, peak = end[pid]
        memory[pid] = {"ready": ready[pid], "mean": sum(samples) / len(samples), "end": now, "peak": peak}
        print(f"| {pid} | {ready[pid]:.0f} | {memory[pid]['mean']:.0f} | {now:.0f} | {peak:.0f} |")
    if restarted:
        print(f"\nworkers restarted during the run: {sorted(restarted)}")
    peak = max(m["peak"] for m in memory.values())
    verdict = "ok" if result["errors"] == 0 and peak < TARGET_RSS_MB and not restarted else "FAILED"
    print(f"\n{verdict}: {result['errors']} errors, peak worker RSS {peak:.0f} MB")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        out = {"info": info, **result, "memory_mb": {str(k): v for k, v in memory.items()}}
        Path(args.json).write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    raise SystemExit(main())
