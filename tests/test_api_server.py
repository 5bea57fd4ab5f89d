"""The API under a real gunicorn: the README's serve command, limits, logs, writes seen by every worker,
slow clients.

Each test starts its own server (tests/server.py) on a free loopback port.  To
reach *every* worker, a test marks its requests and reads which worker logged
each one (``Server.on_every_worker``).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import write_config
from tests.server import ROOT, copy_index, running_server

pytestmark = pytest.mark.server

KEY = "server-test-key-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {KEY}"}
SEED = "000_2ebd19a772751180"


def raw_request(port: int, data: bytes) -> tuple[int, dict, bytes]:
    """Send bytes as they are (no client-side checks); (status, headers, body) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def article(word: str, **extra) -> dict:
    return {"title": f"Tin thử nghiệm {word}", "body": f"Bài viết {word} về Hà Nội.", "date": "2024-06-01", **extra}


# --- the first demonstration --------------------------------------------------------


def test_readme_serve_command_brings_up_the_sample(tmp_path):
    """bin/serve on a fresh config builds the sample index, serves it, and `dan van` finds the seed."""
    config = write_config(
        tmp_path, index={"path": "index", "sources": [str(ROOT / "data" / "sample")], "procs": 1}, server={"workers": 2}
    )
    with running_server(config, workers=2, command=[str(ROOT / "bin" / "serve")]) as server:
        r = requests.get(server.url + "/api/search", params={"q": "dan van"}, timeout=30)
        assert r.status_code == 200
        body = r.json()
        assert body["hits"][0]["id"] == SEED
        assert "<mark>" in body["hits"][0]["snippet_html"]
        assert any(f["value"] == "2022" and f["count"] >= 1 for f in body["facets"]["year"])
        assert r.headers["etag"].startswith('W/"gen-')
        assert requests.get(server.url + "/api/health", timeout=10).json()["documents"] == 25
        assert requests.get(server.url + "/openapi.json", timeout=10).json()["openapi"].startswith("3.")
        group = server.process.pid  # the server leads its own process group
    with pytest.raises(ProcessLookupError):
        os.killpg(group, 0)  # the helper stopped every process of the server (signal 0 only asks)
    assert "building it" in server.output()  # the index was built on this first run
    assert (tmp_path / "index" / "CURRENT").exists()


# --- limits, errors and logs as gunicorn serves them ------------------------------------------


@pytest.fixture(scope="module")
def sample_server(sample_index, tmp_path_factory):
    directory = tmp_path_factory.mktemp("served-sample")
    config = copy_index(sample_index, directory, server={"access_log": str(directory / "access.log")})
    with running_server(config, workers=2, env={"HNP_API_KEYS": KEY}) as server:
        server.access_log = directory / "access.log"
        yield server


def test_oversized_and_malformed_requests_get_json_errors(sample_server):
    port = sample_server.port
    cases = [
        (b"GET /api/search?q=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414),
        (b"GET /api/health HTTP/1.1\r\nHost: t\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
        (b"GET /api/health HTTP/1.1\r\nHost: t\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(120)) + b"\r\n", 431),
        (b"GET /api/health HTTP/9.9\r\nHost: t\r\n\r\n", 400),
        (b"G@T /api/health HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    ]
    for data, status in cases:
        got, headers, body = raw_request(port, data)
        assert got == status, (data[:40], got, body)
        assert headers["content-type"].startswith("application/json")
        error = json.loads(body)
        assert error["title"] and error["description"]
    big = requests.put(
        sample_server.url + "/api/documents/big",
        data=b"x" * 10_000_001,
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=30,
    )
    assert big.status_code == 413 and big.json()["title"]
    # An unknown route, a wrong method and a bad parameter are JSON too.
    assert requests.get(sample_server.url + "/nope", timeout=10).json()["title"]
    assert requests.delete(sample_server.url + "/api/search", timeout=10).status_code == 405
    assert (
        requests.get(sample_server.url + "/api/search", params={"per_page": 0}, timeout=10).json()["parameter"]
        == "per_page"
    )


def test_access_log_is_json_lines_without_keys(sample_server):
    url = sample_server.url
    requests.get(url + "/api/search", params={"q": "dan van", "api_key": KEY}, timeout=10)
    requests.put(url + f"/api/documents/{KEY}", json=article("log"), headers=AUTH, timeout=30)
    requests.delete(url + "/api/documents/no-such-doc", headers={"Authorization": "Bearer wrong-key"}, timeout=10)
    sample_server.on_every_worker("/api/health")  # every line before this one is written
    lines = sample_server.access_log.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"time", "remote", "method", "path", "query", "status", "duration_ms", "worker"} <= records[-1].keys()
    assert any(r["path"] == "/api/search" and "dan+van" in r["query"] for r in records)
    assert any(r["method"] == "PUT" and r["status"] == 200 for r in records)
    assert any(r["method"] == "DELETE" and r["status"] == 403 for r in records)
    text = "\n".join(lines)
    assert KEY not in text
    assert "wrong-key" not in text and "Bearer" not in text


def test_a_rebuild_switches_every_worker_without_errors(sample_index, tmp_path):
    """python -m index build while the server is searched: no failed request, all workers move on."""
    config = copy_index(sample_index, tmp_path / "rebuild", index={"sources": [str(ROOT / "data" / "sample")]})
    with running_server(config, workers=2, env={"HNP_API_KEYS": KEY}) as server:
        before: dict[int, str] = {}
        server.on_every_worker("/api/health", lambda r, pid: before.setdefault(pid, r.json()["generation"]))
        word = "zq" + uuid.uuid4().hex[:8]
        put = requests.put(server.url + "/api/documents/kept-1", json=article(word), headers=AUTH, timeout=30)
        assert put.status_code == 200
        failures: list[str] = []
        answered = [0]
        stop = threading.Event()

        def search_continuously():
            with requests.Session() as session:
                while not stop.is_set():
                    r = session.get(server.url + "/api/search", params={"q": "dan van"}, timeout=30)
                    if r.status_code != 200 or r.json()["hits"][0]["id"] != SEED:
                        failures.append(f"{r.status_code} {r.text[:200]}")
                    answered[0] += 1

        readers = [threading.Thread(target=search_continuously) for _ in range(3)]
        for thread in readers:
            thread.start()
        try:
            build = subprocess.run(
                [sys.executable, "-m", "index", "build", "--config", str(config), "--quiet"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=300,
            )
            # Some searches after the switch too, however fast the machine.
            after_build = answered[0]
            deadline = time.monotonic() + 60
            while answered[0] < after_build + 20 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            for thread in readers:
                thread.join()
        assert build.returncode in (0, 3), build.stderr
        assert failures == []
        assert answered[0] >= after_build + 20
        old_generations = {generation.split(".")[0] for generation in before.values()}

        def moved_on(r: requests.Response, pid: int) -> None:
            assert r.json()["generation"].split(".")[0] not in old_generations, f"worker {pid} is on the old generation"

        def replayed(r: requests.Response, pid: int) -> None:
            # The acknowledged write was replayed into the new generation.
            assert r.json()["total"] == 1, f"worker {pid} lost the write"

        server.on_every_worker("/api/health", moved_on)
        server.on_every_worker("/api/search", replayed, q=word)


# --- slow clients (api/server.py: what a thread per connection buys) ---------------------------


def slow_client(port: int) -> socket.socket:
    """A connection that has sent half a request and sends nothing more."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"GET /api/search?q=dan+van HTTP/1.1\r\nHost: t\r\n")
    return sock


def test_slow_clients_hold_a_thread_each_and_every_worker_still_answers(sample_index, tmp_path):
    """As many clients stuck in the middle of their request as there are workers: had each held a
    whole worker (one request per process), nobody else would be answered until server.timeout."""
    config = copy_index(sample_index, tmp_path / "slow")
    with running_server(config, workers=2) as server, slow_client(server.port), slow_client(server.port):

        def found(r: requests.Response, pid: int) -> None:
            assert r.status_code == 200 and r.json()["hits"][0]["id"] == SEED, f"worker {pid}: {r.text[:200]}"

        server.on_every_worker("/api/search", found, q="dan van")


def test_a_worker_holding_its_connections_closes_the_next_it_answers(sample_index, tmp_path):
    """server.worker_connections: a worker holds at most that many, less its threads idle between
    requests; past that an answer closes its connection, so the client's next one goes to whichever
    worker accepts first (gunicorn's stock worker otherwise keeps every connection it accepted)."""
    config = copy_index(sample_index, tmp_path / "connections", server={"threads": 1, "worker_connections": 2})
    with running_server(config, workers=1) as server, requests.Session() as first, requests.Session() as second:
        kept = first.get(server.url + "/api/search", params={"q": "dan van"})
        assert kept.status_code == 200 and kept.headers.get("Connection", "").lower() != "close"
        # The first connection now waits idle: the one idle connection a worker of one thread keeps.
        closed = second.get(server.url + "/api/search", params={"q": "dan van"})
        assert closed.status_code == 200 and closed.headers["Connection"].lower() == "close"
        assert first.get(server.url + "/api/search", params={"q": "dân vận"}).status_code == 200


HOLD_MS = 5000  # far longer than the test: a held-back worker takes none of its connections


def test_a_worker_whose_threads_are_busy_leaves_new_connections_to_an_idle_one(sample_index, tmp_path):
    """server.accept_hold_ms: gunicorn keeps a connection with whichever worker accepted it, and a
    worker whose one thread is held (here by a client stuck mid-request) would take its share of
    new connections and leave them waiting.  It holds back instead, and the idle worker takes them."""
    config = copy_index(sample_index, tmp_path / "hold", server={"threads": 1, "accept_hold_ms": HOLD_MS})
    with running_server(config, workers=2) as server, slow_client(server.port):
        time.sleep(0.3)  # the stuck client's worker has taken it and handed it to its thread
        sessions = [requests.Session() for _ in range(6)]
        try:
            answered = []
            for session in sessions:  # each a new connection, kept open
                r = session.get(server.url + "/api/health", timeout=3)
                assert r.status_code == 200
                answered.append(r.json()["worker"])
            assert len(set(answered)) == 1, f"new connections went to both workers: {answered}"
        finally:
            for session in sessions:
                session.close()


# --- the second demonstration: writes on news-00 ------------------------------------


@pytest.fixture(scope="module")
def news_server(corpus_index, tmp_path_factory):
    """gunicorn on a private copy of the news-00 index (the session's copy is read by other tests)."""
    config = copy_index(corpus_index, tmp_path_factory.mktemp("news00-writes"))
    with running_server(config, workers=2, env={"HNP_API_KEYS": KEY}) as server:
        yield server


@pytest.mark.corpus
def test_put_is_found_by_the_next_search_on_every_worker_and_delete_removes_it(news_server):
    server = news_server
    word = "zq" + uuid.uuid4().hex[:10]
    doc_id = f"api-test-{word}"

    def total(expected: int) -> Callable[[requests.Response, int], None]:
        def check(r: requests.Response, pid: int) -> None:
            assert r.json()["total"] == expected, f"worker {pid} finds {r.json()['total']}, not {expected}"
            if expected:
                assert r.json()["hits"][0]["id"] == doc_id

        return check

    def missing(r: requests.Response, pid: int) -> None:
        assert r.status_code == 404, f"worker {pid} still has it"

    server.on_every_worker("/api/search", total(0), q=word)  # every worker has searched before the write
    put = requests.put(server.url + f"/api/documents/{doc_id}", json=article(word), headers=AUTH, timeout=60)
    assert put.status_code == 200, put.text
    server.on_every_worker("/api/search", total(1), q=word)
    deleted = requests.delete(server.url + f"/api/documents/{doc_id}", headers=AUTH, timeout=60)
    assert deleted.status_code == 200, deleted.text
    server.on_every_worker("/api/search", total(0), q=word)
    server.on_every_worker(f"/api/documents/{doc_id}", missing)


@pytest.mark.corpus
def test_100_concurrent_puts_lose_none(news_server):
    server = news_server
    word = "zq" + uuid.uuid4().hex[:10]
    ids = [f"bulk-{word}-{i:03d}" for i in range(100)]

    def put(doc_id: str) -> int:
        r = requests.put(server.url + f"/api/documents/{doc_id}", json=article(word), headers=AUTH, timeout=120)
        return r.status_code

    with ThreadPoolExecutor(max_workers=100) as pool:
        statuses = list(pool.map(put, ids))
    assert statuses == [200] * 100

    def all_there(r: requests.Response, pid: int) -> None:
        assert r.json()["total"] == 100, f"worker {pid} sees {r.json()['total']} of 100"
        assert {h["id"] for h in r.json()["hits"]} == set(ids)

    server.on_every_worker("/api/search", all_there, q=word, per_page=100)
    assert "Traceback" not in server.output()


def test_a_worker_is_replaced_after_max_requests(sample_index, tmp_path):
    config = copy_index(sample_index, tmp_path / "copy", server={"max_requests": 3, "max_requests_jitter": 0})
    with running_server(config, workers=1) as server:
        seen = []
        for _ in range(12):  # every request is answered, by the old worker or its replacement
            r = requests.get(server.url + "/api/health", headers={"Connection": "close"}, timeout=60)
            assert r.status_code == 200
            seen.append(r.json()["worker"])
        assert len(set(seen)) >= 3, seen  # a new worker every 3 requests
