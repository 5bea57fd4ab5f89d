"""The API under a real gunicorn: the README's serve command, limits, logs, writes seen by every worker.

Each test starts its own server (tests/server.py) on a free loopback port.  To
ask a *particular* worker, a test keeps one keep-alive connection per worker:
a gthread worker serves every request of a connection it accepted, and
/api/health says which worker (pid) answered.
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


def worker_sessions(server, timeout: float = 30.0) -> dict[int, requests.Session]:
    """One open keep-alive connection to each worker, by pid.

    gunicorn closes a connection idle for its keep-alive time (5 s): use them at once.
    """
    sessions: dict[int, requests.Session] = {}
    deadline = time.monotonic() + timeout
    while set(sessions) != server.worker_pids:
        assert time.monotonic() < deadline, f"reached only workers {sorted(sessions)} of {sorted(server.worker_pids)}"
        session = requests.Session()
        pid = session.get(server.url + "/api/health", timeout=10).json()["worker"]
        if pid in sessions:
            session.close()
        else:
            sessions[pid] = session
    return sessions


class ConnectionMoved(AssertionError):
    """The keep-alive connection was closed and requests opened another, to another worker."""


def on_worker(session: requests.Session, server, pid: int, path: str, **params) -> dict:
    """GET *path* on the worker *pid* (and check that it really was that worker)."""
    body = session.get(server.url + path, params=params, timeout=30).json()
    if session.get(server.url + "/api/health", timeout=10).json()["worker"] != pid:
        raise ConnectionMoved("connection changed worker")
    return body


def on_every_worker(server, check: Callable[[requests.Session, int], None], timeout: float = 30.0) -> None:
    """Run *check* once on a connection to each worker.  A worker may close a connection after
    its answer (api/balance.py moves connections off a worker holding more than another):
    then that worker is reached again on a new one."""
    done: set[int] = set()
    deadline = time.monotonic() + timeout
    while done != server.worker_pids:
        assert time.monotonic() < deadline, f"checked only workers {sorted(done)} of {sorted(server.worker_pids)}"
        for pid, session in worker_sessions(server).items():
            if pid not in done:
                try:
                    check(session, pid)
                except ConnectionMoved:
                    continue
                done.add(pid)


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
    time.sleep(0.5)  # gunicorn writes the access line after the response
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
        sessions = worker_sessions(server)
        before = {pid: on_worker(s, server, pid, "/api/health")["generation"] for pid, s in sessions.items()}
        word = "zq" + uuid.uuid4().hex[:8]
        put = requests.put(server.url + "/api/documents/kept-1", json=article(word), headers=AUTH, timeout=30)
        assert put.status_code == 200
        failures: list[str] = []
        stop = threading.Event()

        def search_continuously():
            with requests.Session() as session:
                while not stop.is_set():
                    r = session.get(server.url + "/api/search", params={"q": "dan van"}, timeout=30)
                    if r.status_code != 200 or r.json()["hits"][0]["id"] != SEED:
                        failures.append(f"{r.status_code} {r.text[:200]}")

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
            time.sleep(0.5)
        finally:
            stop.set()
            for thread in readers:
                thread.join()
        assert build.returncode in (0, 3), build.stderr
        assert failures == []
        old_generations = {generation.split(".")[0] for generation in before.values()}

        # The build took longer than the keep-alive timeout: connect to every worker again.
        def moved_on(session: requests.Session, pid: int) -> None:
            after = on_worker(session, server, pid, "/api/health")
            assert after["generation"].split(".")[0] not in old_generations, f"worker {pid} is on the old generation"
            # The acknowledged write was replayed into the new generation.
            assert on_worker(session, server, pid, "/api/search", q=word)["total"] == 1

        on_every_worker(server, moved_on)


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
    sessions = worker_sessions(server)
    word = "zq" + uuid.uuid4().hex[:10]
    doc_id = f"api-test-{word}"
    for pid, session in sessions.items():  # every worker has searched the index before the write
        assert on_worker(session, server, pid, "/api/search", q=word)["total"] == 0
    put = requests.put(server.url + f"/api/documents/{doc_id}", json=article(word), headers=AUTH, timeout=60)
    assert put.status_code == 200, put.text
    for pid, session in sessions.items():
        found = on_worker(session, server, pid, "/api/search", q=word)
        assert found["total"] == 1 and found["hits"][0]["id"] == doc_id, f"worker {pid} missed the write"
    deleted = requests.delete(server.url + f"/api/documents/{doc_id}", headers=AUTH, timeout=60)
    assert deleted.status_code == 200, deleted.text
    for pid, session in sessions.items():
        assert on_worker(session, server, pid, "/api/search", q=word)["total"] == 0, f"worker {pid} still finds it"
        assert session.get(server.url + f"/api/documents/{doc_id}", timeout=10).status_code == 404


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
    for pid, session in worker_sessions(server).items():
        result = on_worker(session, server, pid, "/api/search", q=word, per_page=100)
        assert result["total"] == 100, f"worker {pid} sees {result['total']} of 100"
        assert {h["id"] for h in result["hits"]} == set(ids)
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
