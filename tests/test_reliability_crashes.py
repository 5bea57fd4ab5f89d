"""Crashes: ``kill -9`` of the indexer mid-build and of a worker mid-bulk-write, on a real gunicorn.

What must hold afterwards: the service keeps answering from the last complete
index, the next run completes, nothing acknowledged is lost, and no lock left
by the dead process blocks writes (both locks are ``flock``s, which the kernel
releases with the last descriptor: checked in ``/proc/locks``, not assumed).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from index.build import build
from index.settings import load_config
from index.store import IndexStore
from index.writer import upsert_entry, write
from tests.reliability import (
    AUTH,
    KEY,
    alive,
    articles,
    children,
    exported_ids,
    health,
    lock_holders,
    token,
    total,
    wait_until,
    write_ndjson,
)
from tests.server import ROOT, copy_index, running_server

pytestmark = pytest.mark.server

SAMPLE = ROOT / "data" / "sample"
SEED = "000_2ebd19a772751180"


def put(server, doc_id: str, word: str) -> requests.Response:
    article = {"title": f"Tin {word}", "body": f"Nội dung {word} ở Hà Nội.", "date": "2024-06-01"}
    return requests.put(server.url + f"/api/documents/{doc_id}", json=article, headers=AUTH, timeout=60)


def index_command(config, *args: str) -> list[str]:
    return [sys.executable, "-m", "index", *args, "--config", str(config)]


def live_writelock(store: IndexStore):
    return store.path / store.current() / "MAIN_WRITELOCK"


# --- kill -9 of a full build --------------------------------------------------------------------


def test_kill_9_mid_build_keeps_serving_the_old_index_and_the_next_build_completes(sample_index, tmp_path):
    # 300 generated articles and the sample: more than 200 records, so the build uses two
    # processes (index.procs = 2), as in production; the parent alone is killed, as the OOM
    # killer or an operator's kill -9 would.
    corpus = write_ndjson(tmp_path / "corpus.jsonl", articles(300, prefix="built", sentences=5))
    config = copy_index(
        sample_index, tmp_path / "crash-build", index={"procs": 2, "sources": [str(corpus), str(SAMPLE)]}
    )
    store = IndexStore(load_config(config).path("index.path"))
    live = store.current()
    with running_server(config, workers=2, env={"HNP_API_KEYS": KEY}) as server:
        before, during = token(), token()
        assert put(server, "acked-before", before).status_code == 200
        generation = health(server)["generation"]

        builder = subprocess.Popen(index_command(config, "build", "--quiet"), cwd=ROOT, stderr=subprocess.PIPE)
        try:
            # Mid-build: the new generation exists and the indexing processes have started.  The
            # build is frozen (SIGSTOP) the moment that is seen, so however fast the machine, it is
            # caught with all of its articles still to analyse, then killed where it stands.
            wait_until(lambda: len(store.generations()) > 1 and children(builder.pid), 60, "the build to start", 0.001)
            os.kill(builder.pid, signal.SIGSTOP)
            assert builder.poll() is None, "the build finished before it could be stopped: give it more to do"
            helpers = children(builder.pid)
            os.kill(builder.pid, signal.SIGKILL)
            builder.wait(timeout=10)
        finally:
            if builder.poll() is None:
                builder.kill()
        assert store.current() == live, "a killed build must not switch the live generation"

        # The service answers from the last complete index, and takes writes at once.
        assert health(server)["generation"] == generation
        assert total(server, "dan van") > 0 and total(server, before) == 1
        started = time.monotonic()
        assert put(server, "acked-during", during).status_code == 200
        assert time.monotonic() - started < 10, "the write waited for a lock of the dead build"
        assert total(server, during) == 1

        # Whoosh's indexing processes die with the build (they would otherwise wait forever for
        # work, holding its build lock and refusing every later build).
        waited = time.monotonic()
        try:
            wait_until(lambda: not any(alive(pid) for pid in helpers), 30, "the dead build's helpers to exit")
        finally:
            for pid in helpers:  # never leave them running, whatever the test found
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
        print(f"helpers of the killed build exited {time.monotonic() - waited:.1f} s after it")
        assert lock_holders(store.path / "build.lock") == set(), "the dead build's lock is still held"

        # The next run completes, the half-built generation is gone, and both acknowledged
        # writes were replayed into the new generation.
        rebuilt = subprocess.run(index_command(config, "build", "--quiet"), cwd=ROOT, capture_output=True, text=True)
        assert rebuilt.returncode in (0, 3), rebuilt.stderr
        assert store.current() != live
        assert all(name <= store.current() for name in store.generations())
        wait_until(lambda: health(server)["generation"].split(".")[0] == store.current(), 30, "the server to switch")
        assert total(server, before) == 1 and total(server, during) == 1
        assert health(server)["documents"] == 300 + 25 + 2
    assert "Traceback" not in server.output()


# --- kill -9 of a worker in the middle of a bulk write ---------------------------------------------


def test_kill_9_of_a_worker_mid_bulk_write_loses_nothing_acknowledged(sample_index, tmp_path):
    config = copy_index(sample_index, tmp_path / "crash-bulk")
    store = IndexStore(load_config(config).path("index.path"))
    with running_server(config, workers=2, env={"HNP_API_KEYS": KEY}) as server:
        before, after, bulk_word = token(), token(), token()
        assert put(server, "acked-before", before).status_code == 200

        failures: list[tuple[float, str]] = []
        answered = [0]
        stop = threading.Event()

        def search_continuously():
            while not stop.is_set():
                try:  # a new connection each time, as independent readers would
                    r = requests.get(server.url + "/api/search", params={"q": "dan van"}, timeout=30)
                    if r.status_code != 200:
                        failures.append((time.monotonic(), f"HTTP {r.status_code}"))
                    answered[0] += 1
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                    # The answer was cut: its worker was the one killed.
                    failures.append((time.monotonic(), f"connection: {exc}"))

        readers = [threading.Thread(target=search_continuously) for _ in range(3)]
        for thread in readers:
            thread.start()

        body = "\n".join(
            json.dumps(a, ensure_ascii=False) for a in articles(400, prefix="bulk", sentences=4, marker=bulk_word)
        )
        outcome: dict = {}

        def post_bulk():
            try:
                r = requests.post(server.url + "/api/documents", data=body.encode(), headers=AUTH, timeout=120)
                outcome["status"] = r.status_code
            except requests.ConnectionError as exc:
                outcome["error"] = str(exc)

        poster = threading.Thread(target=post_bulk)
        poster.start()
        lock = live_writelock(store)
        try:
            # The worker holds the writer lock for the whole commit (analysing and adding the
            # 400 articles): killed the moment it is seen holding it, it is inside that work on
            # any machine, with no guess at how long the work takes.
            holders = wait_until(
                lambda: lock_holders(lock) & server.worker_pids, 60, "a worker to take the writer lock", 0.001
            )
            writer_pid = holders.pop()
            os.kill(writer_pid, signal.SIGKILL)
            killed_at, answered_at_kill = time.monotonic(), answered[0]
            poster.join(timeout=120)
            # Readers go on until some requests after the kill are answered, however fast the machine.
            wait_until(lambda: answered[0] >= answered_at_kill + 6, 60, "answers after the kill")
        finally:
            stop.set()
            for thread in readers:
                thread.join()

        assert "status" not in outcome, f"the bulk write was answered ({outcome}) though its worker was killed"
        assert lock_holders(lock) == set(), "the killed worker's writer lock is still held"

        # Writes go on at once (not after index.write_timeout), and nothing acknowledged is lost.
        started = time.monotonic()
        assert put(server, "acked-after", after).status_code == 200
        assert time.monotonic() - started < 10
        assert total(server, before) == 1 and total(server, after) == 1
        # The interrupted bulk was never committed: none of it is searchable.
        assert exported_ids(server, bulk_word) == []

        # Readers: only requests in flight on the killed worker may have failed, and only by a
        # dropped connection; no error status at all, and every request after the kill answered.
        assert answered[0] > 0
        assert not [f for f in failures if not f[1].startswith("connection")], failures
        assert not [f for f in failures if f[0] > killed_at + 0.5], failures
        # gunicorn replaced the worker.
        wait_until(lambda: len(server.worker_pids - {writer_pid}) >= 2, 60, "a new worker to replace the killed one")


# --- a journal cut short by a crash --------------------------------------------------------------


def test_a_journal_line_cut_by_a_crash_does_not_swallow_the_next_acknowledged_write(sample_index, tmp_path):
    """A crash (or a full disk) can cut the journal's last line short.  That entry was never
    acknowledged; the next one was, and a rebuild must replay it."""
    store = IndexStore(load_config(copy_index(sample_index, tmp_path)).path("index.path"))
    from index.article import Article

    def entry(doc_id: str, word: str) -> dict:
        return upsert_entry(Article.from_json({"id": doc_id, "title": f"Tin {word}"}))

    write(store, [entry("journal-1", "một")])
    with open(store.journal_file, "ab") as handle:  # what kill -9 in the middle of an append leaves
        handle.write(b'{"op": "upsert", "article": {"id": "torn", "title": "c')
    write(store, [entry("journal-2", "hai")])
    build(store, [SAMPLE], procs=1, progress=False)
    searcher_ids = {doc["id"] for doc in store.open().searcher().documents()}
    assert {"journal-1", "journal-2"} <= searcher_ids
    assert "torn" not in searcher_ids


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 3000), min_size=1, max_size=8),
    torn_at=st.one_of(st.none(), st.integers(0, 7)),
    split=st.floats(0, 1),
)
def test_a_replay_split_anywhere_reads_every_entry_exactly_once(sizes, torn_at, split):
    """A rebuild replays the journal in two reads, the first up to the file's size at that moment,
    which may fall inside an entry another process is appending (a large entry is written page by
    page).  Wherever the split falls, every complete entry is read exactly once."""
    with tempfile.TemporaryDirectory() as directory:
        store = IndexStore(Path(directory))
        written = []
        for i, size in enumerate(sizes):
            entry = {"op": "delete", "id": f"doc-{i}", "pad": "x" * size}
            store.journal_append([entry])
            written.append(entry)
            if torn_at == i:  # a crash cut the next append short
                with open(store.journal_file, "ab") as handle:
                    handle.write(b'{"op": "delete", "id": "torn", "pa')
        at = int(store.journal_size() * split)
        first, mark = store.journal_read(0, at)
        rest, _ = store.journal_read(mark)
        assert mark <= at
        assert first + rest == written
