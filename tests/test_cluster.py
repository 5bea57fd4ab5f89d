"""Cluster mode with every real part on 127.0.0.1: PostgreSQL, search nodes (``python -m api``:
gunicorn and the follower), and haproxy running the shipped deploy/haproxy.cfg (tests/cluster.py).

One cluster serves the module's tests in order: read-your-writes across nodes, 8 writers and
8 readers through the balancer while a node is killed and restarted, PostgreSQL stopped under
read load, and a fourth node joining from a snapshot while writes go on.  Each test checks its
own writes only, so it does not depend on what the others wrote.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests

from index.settings import load_config
from search.searcher import Searcher
from tests.cluster import Node, free_port, running_haproxy, running_postgres
from tests.conftest import ROOT, write_config

pytestmark = [pytest.mark.server, pytest.mark.cluster]

KEY = "cluster-test-key-0123456789abcdefghij"
AUTH = {"Authorization": f"Bearer {KEY}"}
LOAD_SECONDS = float(os.environ.get("HNP_CLUSTER_LOAD_SECONDS", "30"))
WORDS = ("mưa lớn", "Hà Nội", "giao thông", "bão", "học sinh", "bệnh viện")


def new_article(tag: str) -> dict:
    # Short articles: the followers of three nodes share this machine's two cores.
    return {"title": f"Tin {tag} về mưa lớn ở Hà Nội", "body": f"Bài {tag}: giao thông ùn tắc, học sinh nghỉ học."}


def put(url: str, doc_id: str, article: dict, timeout: float = 30) -> requests.Response:
    return requests.put(f"{url}/api/documents/{doc_id}", json=article, headers=AUTH, timeout=timeout)


def errors_logged(nodes: list[Node]) -> str:
    """The tracebacks the nodes logged, for a failing test's message."""
    found = []
    for node in nodes:
        log = node.server.log if node.server else []
        for i, line in enumerate(log):
            if "Traceback" in line:
                found.append(f"{node.name}: " + "".join(log[i : i + 40]))
    return "\n".join(found[:3])


def node_config(directory, database: str, snapshots) -> object:
    directory.mkdir(parents=True)
    return write_config(
        directory,
        index={"path": str(directory / "index"), "procs": 1},
        server={"threads": 4, "access_log": ""},
        api={"keys": [KEY]},
        cluster={"database_url": database, "snapshots": str(snapshots), "poll_seconds": 0.5},
    )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    directory = tmp_path_factory.mktemp("cluster")
    with running_postgres() as pg:
        database = pg.new_database("hnp")
        snapshots = directory / "snapshots"
        nodes = [
            Node(f"node{i}", node_config(directory / f"node{i}", database, snapshots), free_port()) for i in range(1, 5)
        ]
        # Articles before any node exists: each node starts without an index and applies the log.
        from index.article import Article
        from index.changelog import ChangeLog
        from index.writer import upsert_entry

        seed = ChangeLog(database).append(
            [upsert_entry(Article.from_json({"id": f"seed{i}", **new_article(f"seed{i}")})) for i in range(40)]
        )
        try:
            failures: list[Exception] = []

            def start(node: Node) -> None:
                try:
                    node.start()
                except Exception as exc:
                    failures.append(exc)

            threads = [threading.Thread(target=start, args=(n,)) for n in nodes[:3]]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not failures, failures
            for n in nodes[:3]:
                n.wait_caught_up(seed.seq)
            # The fourth node is in the balancer's configuration from the start: down until it joins.
            with running_haproxy(directory, nodes) as balancer:
                yield {"pg": pg, "database": database, "nodes": nodes, "balancer": balancer, "snapshots": snapshots}
        finally:
            for n in nodes:
                n.stop()


def test_a_write_on_one_node_is_found_by_a_search_asking_for_its_sequence_on_another(cluster):
    one, two, three = cluster["nodes"][:3]
    for i in range(15):
        word = f"rywtag{uuid.uuid4().hex[:10]}"
        writer, reader = [(one, two), (two, three), (three, one)][i % 3]
        answer = put(writer.url, f"ryw{i}", {"title": f"Tin {word}", "body": "Đọc ngay điều vừa viết."})
        assert answer.status_code == 200, answer.text
        seq = int(answer.headers["X-Index-Seq"])
        found = requests.get(reader.url + "/api/search", params={"q": word, "min_seq": seq}, timeout=30)
        assert found.status_code == 200, found.text
        assert int(found.headers["X-Index-Seq"]) >= seq
        assert [h["id"] for h in found.json()["hits"]] == [f"ryw{i}"], (i, writer.name, reader.name)
    # Not reached in time: a clear 503, not a stale answer.
    late = requests.get(two.url + "/api/search", params={"q": "x", "min_seq": 10**9, "wait_ms": 50}, timeout=10)
    assert late.status_code == 503 and "not applied yet" in late.json()["title"].lower()
    bad = requests.get(two.url + "/api/search", params={"q": "x", "min_seq": "soon"}, timeout=10)
    assert bad.status_code == 400


def test_every_acknowledged_write_is_on_every_node_after_one_is_killed_under_load(cluster):
    balancer, nodes = cluster["balancer"], cluster["nodes"][:3]
    stop = threading.Event()
    acked: dict[str, int] = {}
    write_failures: list[str] = []
    read_status: collections.Counter = collections.Counter()
    served_by: collections.Counter = collections.Counter()
    lock = threading.Lock()

    def writer(w: int) -> None:
        session = requests.Session()
        i = 0
        while not stop.is_set():
            doc_id = f"load-{w}-{i}"
            try:
                r = session.put(
                    f"{balancer.url}/api/documents/{doc_id}", json=new_article(doc_id), headers=AUTH, timeout=30
                )
            except requests.RequestException as exc:
                write_failures.append(f"{doc_id}: {exc}")
            else:
                if r.status_code == 200:
                    with lock:
                        acked[doc_id] = int(r.headers["X-Index-Seq"])
                else:
                    write_failures.append(f"{doc_id}: {r.status_code} {r.text[:200]}")
            i += 1

    def reader(n: int) -> None:
        session = requests.Session()
        i = 0
        while not stop.is_set():
            try:
                r = session.get(f"{balancer.url}/api/search", params={"q": WORDS[(n + i) % len(WORDS)]}, timeout=30)
            except requests.RequestException as exc:
                with lock:
                    read_status[f"error {type(exc).__name__}"] += 1
            else:
                with lock:
                    read_status[r.status_code] += 1
                    served_by[r.headers.get("X-Served-By", "?")] += 1
            i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    threads += [threading.Thread(target=reader, args=(r,)) for r in range(8)]
    started = time.monotonic()
    for t in threads:
        t.start()
    try:
        victim = nodes[1]
        time.sleep(LOAD_SECONDS / 3)  # load runs for a set time: nothing here waits on the machine's speed
        victim.kill()
        killed_at = time.monotonic() - started
        time.sleep(2)
        victim.start()
        restarted_at = time.monotonic() - started
        time.sleep(max(0.0, LOAD_SECONDS - (time.monotonic() - started)))
    finally:
        stop.set()
        for t in threads:
            t.join()
    head = max(acked.values())
    print(
        f"\n{len(acked)} writes acknowledged (log head {head}), {len(write_failures)} not; reads by status "
        f"{dict(read_status)}; reads per node {dict(served_by)}; {victim.name} killed at {killed_at:.1f} s, "
        f"restarted and ready at {restarted_at:.1f} s"
    )
    print(errors_logged(nodes))
    assert acked and sum(read_status.values()) > 0
    statuses = [s for s in read_status if isinstance(s, int)]
    assert all(s < 500 for s in statuses), (read_status, errors_logged(nodes))
    # A response the killed node was sending when it died is cut short (haproxy had passed its
    # head on, so it cannot send the request elsewhere): at most one per reader, at the kill.
    assert sum(n for s, n in read_status.items() if not isinstance(s, int)) <= 8, read_status
    assert all(served_by[n.name] > 0 for n in nodes), served_by
    for node in nodes:
        node.wait_caught_up(head, timeout=120)
        searcher = Searcher(load_config(node.config))
        missing = [doc_id for doc_id in acked if searcher.document(doc_id) is None]
        assert not missing, f"{node.name} lacks {len(missing)} acknowledged writes, e.g. {missing[:5]}"


def test_searches_go_on_while_postgres_is_stopped_and_every_node_catches_up_after(cluster):
    pg, balancer, nodes = cluster["pg"], cluster["balancer"], cluster["nodes"][:3]
    stop = threading.Event()
    statuses: collections.Counter = collections.Counter()

    def reader(n: int) -> None:
        session = requests.Session()
        while not stop.is_set():
            try:
                r = session.get(f"{balancer.url}/api/search", params={"q": WORDS[n % len(WORDS)]}, timeout=30)
            except requests.RequestException as exc:
                statuses[type(exc).__name__] += 1
            else:
                statuses[r.status_code] += 1

    readers = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
    for t in readers:
        t.start()
    try:
        pg.stop()
        stopped = time.monotonic()
        refused = put(balancer.url, "during-outage", new_article("outage"))
        assert refused.status_code == 503, refused.text
        assert refused.json()["title"] == "Database unavailable" and "nothing was written" in refused.text
        time.sleep(max(0.0, 10 - (time.monotonic() - stopped)))  # the outage lasts 10 s
        for node in nodes:
            status, body = node.health()
            assert status == 200, (node.name, body)  # serving what it has: readers stay on it
            assert body["cluster"]["database"] != "ok", body
        pg.start()
        answer = put(balancer.url, "after-outage", new_article("after"))
        assert answer.status_code == 200, answer.text
        seq = int(answer.headers["X-Index-Seq"])
    finally:
        stop.set()
        for t in readers:
            t.join()
    print(f"\nsearches through the balancer during the outage, by status: {dict(statuses)}")
    assert statuses[200] > 0 and set(statuses) == {200}, statuses
    for node in nodes:
        node.wait_caught_up(seq, timeout=60)
        found = requests.get(node.url + "/api/documents/after-outage", timeout=10)
        assert found.status_code == 200 and found.json()["title"].startswith("Tin after")
        assert requests.get(node.url + "/api/documents/during-outage", timeout=10).status_code == 404


def test_a_fourth_node_joins_from_a_snapshot_while_writes_go_on(cluster):
    balancer, nodes = cluster["balancer"], cluster["nodes"]
    stop = threading.Event()
    acked: dict[str, int] = {}

    def writer() -> None:
        i = 0
        while not stop.is_set():
            r = put(balancer.url, f"join-{i}", new_article(f"join-{i}"))
            if r.status_code == 200:
                acked[f"join-{i}"] = int(r.headers["X-Index-Seq"])
            i += 1

    writing = threading.Thread(target=writer)
    writing.start()
    try:
        taken = subprocess.run(
            [sys.executable, "-m", "index", "snapshot", "--config", str(nodes[0].config)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert taken.returncode == 0, taken.stderr
        snapshot_seq = int(taken.stdout.rsplit("log sequence ", 1)[1])
        joining = nodes[3]
        started = time.monotonic()
        joining.start()
        while not acked or max(acked.values()) <= snapshot_seq:  # writes after the snapshot, for it to follow
            time.sleep(0.05)
    finally:
        stop.set()
        writing.join()
    head = max(acked.values())
    body = joining.wait_caught_up(head, timeout=120)
    print(
        f"\nnode4 joined from a snapshot at sequence {snapshot_seq} and reached {head} in {time.monotonic() - started:.1f} s"
    )
    assert body["cluster"]["lag_changes"] == 0
    assert "started from snapshot" in joining.server.output()
    searcher = Searcher(load_config(joining.config))
    assert all(searcher.document(doc_id) is not None for doc_id in acked)
    # The balancer sends it readers once it is healthy.
    deadline = time.monotonic() + 30
    seen = set()
    while "node4" not in seen:
        assert time.monotonic() < deadline, f"the balancer never sent a read to node4: {seen}"
        seen.add(requests.get(balancer.url + "/api/search", params={"q": "bão"}, timeout=10).headers.get("X-Served-By"))
