"""Cluster mode on one machine: writes into PostgreSQL, joining by snapshot against a rebuild, and
searches through haproxy with 1, 2 and 3 search nodes.

Starts everything on 127.0.0.1 with the test helpers (tests/cluster.py): a throw-away
PostgreSQL, search nodes (``python -m api``: gunicorn and the follower) and haproxy with the
shipped deploy/haproxy.cfg.  Then:

1. **writes into PostgreSQL**: the corpus's articles, ``--batch`` a transaction (what
   ``python -m index add`` does): articles/s; then ``--writers`` threads appending one article a
   transaction (what one API write does) for ``--write-seconds``, into a database of their own:
   transactions/s, the ceiling the serial append (index/changelog.py) puts on single writes;
2. **rebuild**: node1 builds its index from the ``articles`` table (``python -m index build``
   in cluster mode), timed;
3. **snapshot and join**: node1 takes a snapshot (``python -m index snapshot``); node2 and node3
   start with an empty index and restore it (their followers do, at start), timed from the
   start of the node to a healthy ``/api/health`` with zero lag;
4. **reads**: bench/load.py's query mix for ``--seconds`` through haproxy with 1, 2 and 3 nodes
   behind it (the others taken out of the balancer's configuration), with the CPU time of the
   nodes (gunicorn, workers and follower) and of haproxy per request: on separate machines the
   throughput scales by the nodes' cores, which this 2-core machine cannot show.  The nodes'
   result caches are off (``--caches`` turns them on): the mix repeats its queries, and cached
   answers would measure the cache, not a search;
5. **single writes**: ``--writers`` threads PUT one article each, back to back, through haproxy
   for ``--write-seconds``: acknowledged writes/s (each one PostgreSQL transaction), and how long
   after the last one every node had applied it.

    .venv/bin/python bench/cluster_load.py                      # news-00: 10,000 articles
    .venv/bin/python bench/cluster_load.py --files 10           # 100,000 articles (about an hour)
    .venv/bin/python bench/cluster_load.py --join-from /srv/idx/100k/index/gen-000001
                        # only step 3, from a copy of a generation built elsewhere (not modified)

Corpus: the first ``--files`` files of ../shared/corpus; machine: 2 cores shared by PostgreSQL
(durable commits: ``fsync`` on, unlike the tests' throw-away cluster), the nodes, haproxy and
this client.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import group_cpu_seconds, run_load  # noqa: E402 -- after the path is set
from tests.cluster import Node, free_port, running_haproxy, running_postgres  # noqa: E402
from tests.conftest import write_config  # noqa: E402

KEY = "cluster-bench-key-0123456789abcdefghij"
CORPUS = ROOT.parent / "shared" / "corpus"


def pid_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_rss_mb(node: Node) -> dict:
    """RSS of the node's gunicorn workers and of its follower, in MB (Linux /proc)."""
    group = os.getpgid(node.server.process.pid)
    found: dict = {"workers": [], "follower": None}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != group or int(stat.parent.name) == node.server.process.pid:
                continue
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 1e6
        except (OSError, ValueError):
            continue
        if " follow " in cmdline:
            found["follower"] = round(rss)
        else:
            found["workers"].append(round(rss))
    return found


def bulk_load(database: str, files: list[Path], batch: int) -> tuple[int, int, float]:
    """(articles, last sequence, seconds): the corpus into PostgreSQL, *batch* a transaction."""
    from index.changelog import ChangeLog
    from index.sources import Problem, read_with_origins
    from index.writer import upsert_entry

    log = ChangeLog(database)
    pending: list[dict] = []
    count = seq = 0
    started = time.perf_counter()
    for origin, item in read_with_origins(files, "hnp"):
        if isinstance(item, Problem):
            continue
        pending.append(upsert_entry(item, origin))
        if len(pending) == batch:
            seq = log.append(pending).seq
            count += len(pending)
            pending.clear()
    if pending:
        seq = log.append(pending).seq
        count += len(pending)
    return count, seq, time.perf_counter() - started


def appends(database: str, writers: int, seconds: float) -> dict:
    """Single-article transactions from *writers* threads for *seconds*: what one API write costs the database."""
    from index.article import Article
    from index.changelog import ChangeLog
    from index.writer import upsert_entry

    done: list[float] = []
    stop = threading.Event()

    def writer(w: int) -> None:
        log = ChangeLog(database)
        i = 0
        while not stop.is_set():
            entry = upsert_entry(Article.from_json({"id": f"append-{w}-{i}", "title": "Tin", "body": "Hà Nội mưa."}))
            started = time.perf_counter()
            log.append([entry])
            done.append(time.perf_counter() - started)
            i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    done.sort()
    return {"transactions": len(done), "per_s": len(done) / seconds, "p50_ms": done[len(done) // 2] * 1000}


def index_command(config: Path, *args: str) -> tuple[str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "index", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"index {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip(), time.perf_counter() - started


def reads(directory: Path, nodes: list[Node], args) -> dict:
    with running_haproxy(directory, nodes) as balancer:
        deadline = time.monotonic() + 60
        seen: set[str] = set()
        while len(seen) < len(nodes):  # every node up in the balancer before measuring
            if time.monotonic() > deadline:
                raise RuntimeError(f"haproxy reached only {seen}")
            answer = requests.get(balancer.url + "/api/health", timeout=10)
            seen.add(answer.headers.get("X-Served-By", ""))
        groups = [os.getpgid(n.server.process.pid) for n in nodes]
        before = sum(group_cpu_seconds(g) for g in groups), pid_cpu_seconds(balancer.process.pid)
        result = run_load(balancer.url, args.seconds, args.connections, args.warmup, args.seed)
        after = sum(group_cpu_seconds(g) for g in groups), pid_cpu_seconds(balancer.process.pid)
    # The nodes' CPU includes the warm-up seconds: scale to the measured part.
    share = args.seconds / (args.seconds + args.warmup)
    result["nodes_cpu_s"] = (after[0] - before[0]) * share
    result["haproxy_cpu_s"] = (after[1] - before[1]) * share
    return result


def single_writes(directory: Path, nodes: list[Node], args) -> dict:
    acked: list[int] = []
    failed = [0]
    stop = threading.Event()

    def writer(w: int) -> None:
        session = requests.Session()
        i = 0
        while not stop.is_set():
            body = {"title": f"Tin thử {w}-{i}", "body": "Hà Nội mưa lớn, giao thông ùn tắc kéo dài."}
            r = session.put(
                f"{balancer.url}/api/documents/bench-{w}-{i}",
                json=body,
                headers={"Authorization": f"Bearer {KEY}"},
                timeout=60,
            )
            if r.status_code == 200:
                acked.append(int(r.headers["X-Index-Seq"]))
            else:
                failed[0] += 1
            i += 1

    with running_haproxy(directory, nodes) as balancer:
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(args.writers)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        time.sleep(args.write_seconds)
        stop.set()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        ended = time.perf_counter()
        head = max(acked)
        for node in nodes:
            node.wait_caught_up(head, timeout=600)
        applied_after = time.perf_counter() - ended
    return {
        "writes": len(acked),
        "failed": failed[0],
        "seconds": elapsed,
        "writes_per_s": len(acked) / elapsed,
        "all_nodes_applied_after_s": applied_after,
    }


def join_only(generation: Path, args) -> int:
    """Step 3 alone: a node joins from a snapshot made by copying *generation* (read, never written)."""
    import shutil

    with tempfile.TemporaryDirectory(prefix="hnp-cluster-bench-") as tmp, running_postgres(fsync=True) as pg:
        directory = Path(tmp)
        started = time.perf_counter()
        snapshot = directory / "snapshots" / "snapshot-000000000000"
        shutil.copytree(generation, snapshot, ignore=shutil.ignore_patterns("*.lock", "MAIN_WRITELOCK"))
        size = sum(f.stat().st_size for f in snapshot.iterdir())
        print(f"snapshot of {generation}: {size / 1e6:.0f} MB copied in {time.perf_counter() - started:.1f} s")
        (directory / "node").mkdir()
        config = write_config(
            directory / "node",
            index={"path": str(directory / "node" / "index")},
            server={"access_log": ""},
            cluster={"database_url": pg.new_database("hnp"), "snapshots": str(directory / "snapshots")},
        )
        node = Node("node", config, free_port(), workers=args.workers)
        try:
            started = time.perf_counter()
            node.start(ready_timeout=600)
            body = node.wait_caught_up(0, timeout=600)
            joined = time.perf_counter() - started
        finally:
            node.stop()
    print(f"joined from the snapshot ({body['documents']} documents; start to healthy, zero lag): {joined:.1f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1, help="corpus files (10,000 articles each)")
    parser.add_argument("--batch", type=int, default=500, help="articles per transaction of the bulk load")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--write-seconds", type=float, default=15.0)
    parser.add_argument("--caches", action="store_true", help="leave the nodes' result caches on")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    parser.add_argument("--join-from", type=Path, metavar="GENERATION", help="only time a join from a copy of it")
    args = parser.parse_args(argv)
    if args.join_from:
        return join_only(args.join_from, args)
    files = [CORPUS / f"news-{i:02d}.jsonl.gz" for i in range(args.files)]
    results: dict = {"corpus": [f.name for f in files], "cores": os.cpu_count()}

    with tempfile.TemporaryDirectory(prefix="hnp-cluster-bench-") as tmp, running_postgres(fsync=True) as pg:
        directory = Path(tmp)
        database = pg.new_database("hnp")
        snapshots = directory / "snapshots"
        nodes = []
        for i in (1, 2, 3):
            (directory / f"node{i}").mkdir()
            config = write_config(
                directory / f"node{i}",
                index={"path": str(directory / f"node{i}" / "index")},
                server={"access_log": ""},
                search={} if args.caches else {"result_cache": 0, "shared_result_cache": 0},
                api={"keys": [KEY]},
                cluster={"database_url": database, "snapshots": str(snapshots)},
            )
            nodes.append(Node(f"node{i}", config, free_port(), workers=args.workers))
        count, seq, seconds = bulk_load(database, files, args.batch)
        results["bulk_load"] = {"articles": count, "seq": seq, "seconds": seconds, "articles_per_s": count / seconds}
        print(f"bulk load: {count} articles in {seconds:.1f} s ({count / seconds:.0f}/s, {args.batch} a transaction)")
        single = appends(pg.new_database("appends"), args.writers, args.write_seconds)  # not in the corpus's tables
        results["appends"] = single
        print(
            f"single-article transactions, {args.writers} threads, nobody following: {single['per_s']:.0f}/s, "
            f"p50 {single['p50_ms']:.1f} ms"
        )

        out, seconds = index_command(nodes[0].config, "build")
        results["rebuild"] = {"seconds": seconds, "output": out}
        print(f"rebuild of node1 from the database: {seconds:.1f} s ({out})")
        out, seconds = index_command(nodes[0].config, "snapshot")
        results["snapshot"] = {"seconds": seconds, "output": out}
        print(f"snapshot: {seconds:.1f} s ({out})")
        try:
            nodes[0].start()
            nodes[0].wait_caught_up(seq)
            for node in nodes[1:]:
                started = time.perf_counter()
                node.start()
                node.wait_caught_up(seq, timeout=600)
                joined = time.perf_counter() - started
                results.setdefault("join", []).append(joined)
                print(f"{node.name} joined from the snapshot (start to healthy, zero lag): {joined:.1f} s")
            size = sum(f.stat().st_size for f in (directory / "node1" / "index").glob("gen-*/*") if f.is_file())
            results["index_bytes_per_article"] = size / count
            print(f"index: {size / 1e6:.1f} MB, {size / count:.0f} bytes per article")
            for n in (1, 2, 3):
                result = reads(directory, nodes[:n], args)
                results[f"reads_{n}_nodes"] = result
                cpu = result["nodes_cpu_s"] + result["haproxy_cpu_s"]
                print(
                    f"reads through haproxy, {n} node(s): {result['rps']:.1f} requests/s, p50 {result['p50_ms']:.0f} ms, "
                    f"p99 {result['p99_ms']:.0f} ms, {result['errors']} errors; CPU per request: nodes "
                    f"{result['nodes_cpu_s'] / result['requests'] * 1000:.1f} ms, haproxy "
                    f"{result['haproxy_cpu_s'] / result['requests'] * 1000:.2f} ms; client {result['client_cpu_s']:.1f} s "
                    f"({cpu + result['client_cpu_s']:.1f} of {os.cpu_count() * args.seconds:.0f} CPU-seconds)"
                )
            rss = {n.name: worker_rss_mb(n) for n in nodes}
            results["worker_rss_mb"] = rss
            print(f"RSS after the reads, MB (workers; follower): {rss}")
            writes = single_writes(directory, nodes, args)
            results["single_writes"] = writes
            print(
                f"single-article writes through haproxy, {args.writers} writers: {writes['writes_per_s']:.1f}/s "
                f"({writes['writes']} acknowledged, {writes['failed']} failed); every node had applied them "
                f"{writes['all_nodes_applied_after_s']:.1f} s after the last"
            )
        finally:
            for node in nodes:
                node.stop()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
