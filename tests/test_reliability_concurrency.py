"""Concurrency on a real gunicorn with several workers: writers and readers together, and writes
racing a rebuild.  Every acknowledged write is found afterwards, by every worker; no request
fails; no LockError (or any traceback) in the server's log.

Writes are mostly bulk: each write request is one Whoosh commit, and commits are serialised
(one writer lock per index), at 1-5 commits/s on two cores busy with readers -- 2,000
single-article PUTs would take five minutes or more (docs/guarantees.md has the numbers).
Single PUTs, replacements and deletes are mixed in, so every kind of write races the others.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest
import requests

from index.article import Article
from index.settings import load_config
from index.store import IndexStore
from index.writer import upsert_entry, write
from tests.reliability import AUTH, KEY, articles, exported_ids, run_writers_with_readers, token
from tests.server import ROOT, copy_index, running_server

pytestmark = pytest.mark.server

WRITERS, READERS = 8, 8
ARTICLES = 2000  # written in total, 250 per writer
PUTS_PER_WRITER = 4  # the rest of each writer's share goes in bulk requests of up to BULK articles
BULK = 62


class Outcomes:
    """What the threads saw, shared under a lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked: dict[str, str] = {}  # id -> title of the last acknowledged version
        self.deleted: set[str] = set()
        self.stable: list[str] = []  # acknowledged and never replaced or deleted (the bulk ones)
        self.failures: list[str] = []
        self.write_seconds: list[float] = []
        self.read_seconds: list[float] = []

    def fail(self, what: str) -> None:
        with self.lock:
            self.failures.append(what)


def timed(seconds: list[float], lock: threading.Lock, call: Callable[[], requests.Response]) -> requests.Response:
    started = time.perf_counter()
    response = call()
    with lock:
        seconds.append(time.perf_counter() - started)
    return response


def tracebacks(server) -> str:
    """The server's log from the first traceback on (what a failing test needs to show)."""
    output = server.output()
    return output[output.find("Traceback") - 300 :] if "Traceback" in output else ""


@pytest.fixture
def busy_server(sample_index, tmp_path):
    config = copy_index(sample_index, tmp_path / "busy", index={"sources": [str(ROOT / "data" / "sample")]})
    with running_server(config, workers=3, env={"HNP_API_KEYS": KEY}) as server:
        server.config = config
        yield server


def test_8_writers_and_8_readers_lose_nothing_and_fail_nothing(busy_server):
    server, outcomes, marker = busy_server, Outcomes(), token()
    stop = threading.Event()

    def writer(number: int) -> None:
        rng = random.Random(number)
        share = list(articles(ARTICLES // WRITERS, prefix=f"w{number}", seed=number, marker=marker, sentences=3))
        session = requests.Session()
        singles, bulk = share[:PUTS_PER_WRITER], share[PUTS_PER_WRITER:]
        requests_to_send = [("put", [a]) for a in singles] + [
            ("bulk", bulk[i : i + BULK]) for i in range(0, len(bulk), BULK)
        ]
        rng.shuffle(requests_to_send)
        for kind, batch in requests_to_send:
            if kind == "put":
                doc = batch[0]
                r = timed(
                    outcomes.write_seconds,
                    outcomes.lock,
                    lambda doc=doc: session.put(
                        f"{server.url}/api/documents/{doc['id']}", json=doc, headers=AUTH, timeout=120
                    ),
                )
            else:
                body = "\n".join(json.dumps(a, ensure_ascii=False) for a in batch).encode()
                r = timed(
                    outcomes.write_seconds,
                    outcomes.lock,
                    lambda body=body: session.post(f"{server.url}/api/documents", data=body, headers=AUTH, timeout=120),
                )
            if r.status_code != 200 or (kind == "bulk" and r.json()["indexed"] != len(batch)):
                outcomes.fail(f"{kind}: {r.status_code} {r.text[:300]}")
                continue
            with outcomes.lock:
                outcomes.acked.update({a["id"]: a["title"] for a in batch})
                if kind == "bulk":
                    outcomes.stable.extend(a["id"] for a in batch)
            if kind == "put" and rng.random() < 0.3:
                # Replace it (the newer title must win) or delete it.
                doc = batch[0]
                if rng.random() < 0.5:
                    newer = {**doc, "title": doc["title"] + " bản sửa"}
                    r = session.put(f"{server.url}/api/documents/{doc['id']}", json=newer, headers=AUTH, timeout=120)
                    if r.status_code == 200:
                        with outcomes.lock:
                            outcomes.acked[doc["id"]] = newer["title"]
                else:
                    r = session.delete(f"{server.url}/api/documents/{doc['id']}", headers=AUTH, timeout=120)
                    if r.status_code == 200:
                        with outcomes.lock:
                            outcomes.deleted.add(doc["id"])
                if r.status_code != 200:
                    outcomes.fail(f"rewrite: {r.status_code} {r.text[:300]}")

    def reader(number: int) -> None:
        rng = random.Random(100 + number)
        session = requests.Session()
        while not stop.is_set():
            choice = rng.random()
            if choice < 0.4:
                # Read your (anyone's) acknowledged writes, on whichever worker answers.
                with outcomes.lock:
                    doc_id = rng.choice(outcomes.stable) if outcomes.stable else None
                if doc_id is None:
                    time.sleep(0.05)
                    continue
                r = timed(
                    outcomes.read_seconds,
                    outcomes.lock,
                    lambda doc_id=doc_id: session.get(f"{server.url}/api/documents/{doc_id}", timeout=120),
                )
                if r.status_code != 200:
                    outcomes.fail(f"GET acknowledged {doc_id}: {r.status_code} {r.text[:200]}")
                continue
            params = rng.choice(
                [{"q": marker, "per_page": 50, "sort": "newest"}, {"q": "dan van"}, {"q": "Hà Nội", "page": 2}]
            )
            r = timed(
                outcomes.read_seconds,
                outcomes.lock,
                lambda params=params: session.get(f"{server.url}/api/search", params=params, timeout=120),
            )
            if r.status_code != 200:
                outcomes.fail(f"search {params}: {r.status_code} {r.text[:200]}")

    readers = [threading.Thread(target=reader, args=(i,)) for i in range(READERS)]
    writers = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    elapsed = run_writers_with_readers(writers, readers, stop)

    assert outcomes.failures == [], (outcomes.failures, tracebacks(server))
    assert len(outcomes.acked) == ARTICLES
    expected = set(outcomes.acked) - outcomes.deleted
    assert set(exported_ids(server, marker)) == expected
    # Replacements: the last acknowledged version is the one stored.
    for doc_id in [i for i in expected if outcomes.acked[i].endswith("bản sửa")]:
        assert (
            requests.get(f"{server.url}/api/documents/{doc_id}", timeout=30).json()["title"] == outcomes.acked[doc_id]
        )
    for doc_id in outcomes.deleted:
        assert requests.get(f"{server.url}/api/documents/{doc_id}", timeout=30).status_code == 404
    output = server.output()
    assert "LockError" not in output and "Traceback" not in output
    reads = sorted(outcomes.read_seconds)
    print(
        f"\n{len(outcomes.write_seconds)} write requests ({ARTICLES} articles) in {elapsed:.1f} s: "
        f"{len(outcomes.write_seconds) / elapsed:.1f} commits/s, write p50 {statistics.median(outcomes.write_seconds):.2f} s "
        f"max {max(outcomes.write_seconds):.2f} s; {len(reads)} reads p50 {statistics.median(reads) * 1000:.0f} ms "
        f"p99 {reads[int(len(reads) * 0.99)] * 1000:.0f} ms"
    )


def test_writes_racing_a_rebuild_are_all_in_the_new_generation(busy_server):
    """A rebuild replays the journal, then takes the live writer lock to replay the tail and
    switch: a write acknowledged at any moment of it must be in the generation that goes live."""
    server, outcomes, marker = busy_server, Outcomes(), token()
    building = threading.Event()
    build_done = threading.Event()

    def writer(number: int) -> None:
        session = requests.Session()
        for i in range(10_000):
            # Keep writing until a little after the build has switched.
            if build_done.is_set() and i % 5 == 0:
                break
            doc_id = f"race-{number}-{i}"
            doc = {"title": f"Tin {marker} {i}", "body": "Nội dung.", "date": "2024-06-01"}
            r = session.put(f"{server.url}/api/documents/{doc_id}", json=doc, headers=AUTH, timeout=120)
            if r.status_code != 200:
                outcomes.fail(f"PUT {doc_id}: {r.status_code} {r.text[:200]}")
                continue
            with outcomes.lock:
                outcomes.acked[doc_id] = doc["title"]
            if i == 2:
                building.set()

    writers = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for thread in writers:
        thread.start()
    building.wait(timeout=60)
    generation = requests.get(server.url + "/api/health", timeout=30).json()["generation"].split(".")[0]
    try:
        build = subprocess.run(
            [sys.executable, "-m", "index", "build", "--config", str(server.config), "--quiet"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        build_done.set()
        for thread in writers:
            thread.join()
    assert build.returncode in (0, 3), build.stderr
    assert outcomes.failures == [], (outcomes.failures, tracebacks(server))
    assert requests.get(server.url + "/api/health", timeout=30).json()["generation"].split(".")[0] != generation
    assert set(exported_ids(server, marker)) == set(outcomes.acked)
    assert len(outcomes.acked) >= 12


def test_opening_the_index_while_another_process_commits_never_fails(sample_index, tmp_path):
    """The race behind a rare 500 on writes: Whoosh's open_dir lists the table of contents, and a
    commit in another process replaces it before it is read.  Each worker opens the index for a
    write, and on every rebuild; it must never fail for that."""
    store = IndexStore(load_config(copy_index(sample_index, tmp_path)).path("index.path"))
    commits = 40
    writer = multiprocessing.get_context("fork").Process(target=_commit_repeatedly, args=(store, commits))
    writer.start()
    opened = 0
    try:
        while writer.is_alive():
            store.open().close()
            opened += 1
    finally:
        writer.join(timeout=120)
    assert writer.exitcode == 0
    assert opened > 100
    assert len(list(store.journal_entries())) == commits


def _commit_repeatedly(store: IndexStore, commits: int) -> None:
    for i in range(commits):
        write(store, [upsert_entry(Article.from_json({"id": f"open-race-{i}", "title": "Tin", "body": "Hà Nội"}))])
