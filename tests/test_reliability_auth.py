"""Auth on a real gunicorn: writes need ``Authorization: Bearer KEY``; nothing else is a key,
and no key ever reaches a log (the access log file and gunicorn's error log both grepped)."""

from __future__ import annotations

import base64
import json
import socket
import uuid

import pytest
import requests

from tests.reliability import assert_json_error, token
from tests.server import copy_index, running_server

pytestmark = pytest.mark.server

# One key from the environment, one from the config file: both must stay out of the logs.
ENV_KEY = "env-" + uuid.uuid4().hex + uuid.uuid4().hex
FILE_KEY = "file-" + uuid.uuid4().hex + uuid.uuid4().hex
KEYS = (ENV_KEY, FILE_KEY)


@pytest.fixture(scope="module")
def auth_server(sample_index, tmp_path_factory):
    directory = tmp_path_factory.mktemp("auth")
    config = copy_index(
        sample_index, directory, api={"keys": [FILE_KEY]}, server={"access_log": str(directory / "access.log")}
    )
    with running_server(config, workers=2, env={"HNP_API_KEYS": ENV_KEY}) as server:
        server.access_log = directory / "access.log"
        yield server


def article(word: str) -> dict:
    return {"title": f"Tin {word}", "body": f"Nội dung {word}.", "date": "2024-06-01"}


def write(server, method: str, doc_id: str, word: str, *, headers=None, params=None) -> requests.Response:
    if method == "POST":
        url, body = server.url + "/api/documents", json.dumps({"id": doc_id, **article(word)})
    else:
        url, body = server.url + f"/api/documents/{doc_id}", json.dumps(article(word))
    return requests.request(method, url, data=body.encode(), headers=headers or {}, params=params, timeout=30)


def refusals(key: str) -> list[tuple[str, dict, dict, tuple[int, ...]]]:
    """(what, headers, query parameters, accepted statuses) of requests that carry no valid key."""
    wrong = [key[:-1], key + "x", key.upper(), key[::-1], "", "null", "Bearer"]
    basic = base64.b64encode(f"user:{key}".encode()).decode()
    cases = [("no Authorization", {}, {}, (401,))]
    cases += [(f"wrong key {w[:12]!r}", {"Authorization": f"Bearer {w}"}, {}, (401, 403)) for w in wrong]
    cases += [
        ("key without scheme", {"Authorization": key}, {}, (401,)),
        ("Basic scheme", {"Authorization": f"Basic {basic}"}, {}, (401,)),
        ("Token scheme", {"Authorization": f"Token {key}"}, {}, (401,)),
        ("X-API-Key header", {"X-API-Key": key}, {}, (401,)),
        ("Api-Key header", {"Api-Key": key}, {}, (401,)),
        ("cookie", {"Cookie": f"api_key={key}; token={key}"}, {}, (401,)),
        ("Proxy-Authorization", {"Proxy-Authorization": f"Bearer {key}"}, {}, (401,)),
    ]
    for name in ("api_key", "key", "access_token", "token", "apikey", "authorization"):
        cases.append((f"?{name}=", {}, {name: key}, (401,)))
    cases.append(("?authorization=Bearer", {}, {"authorization": f"Bearer {key}"}, (401,)))
    return cases


@pytest.mark.parametrize("method", ["PUT", "DELETE", "POST"])
def test_writes_without_a_valid_key_in_the_authorization_header_are_refused(auth_server, method):
    documents = requests.get(auth_server.url + "/api/health", timeout=30).json()["documents"]
    doc_id = f"auth-{method.lower()}"
    if method == "DELETE":  # something to (not) delete
        assert write(auth_server, "PUT", doc_id, token(), headers={"Authorization": f"Bearer {ENV_KEY}"}).ok
        documents += 1
    word = token()
    for what, headers, params, statuses in refusals(ENV_KEY):
        r = write(auth_server, method, doc_id, word, headers=headers, params=params)
        body = assert_json_error(r, *statuses)
        if r.status_code == 401:
            assert r.headers["www-authenticate"].startswith("Bearer"), what
        assert ENV_KEY not in r.text, f"{what}: the answer repeats the key"
    # Nothing was written, replaced or deleted.
    assert requests.get(auth_server.url + "/api/health", timeout=30).json()["documents"] == documents
    assert requests.get(auth_server.url + "/api/search", params={"q": word}, timeout=30).json()["total"] == 0
    # And the same request with a key, from the environment or from the config file, is accepted.
    for key in KEYS:
        r = write(auth_server, method, doc_id, token(), headers={"Authorization": f"bearer  {key} "})
        assert r.ok, (r.status_code, r.text)
        if method == "DELETE":
            write(auth_server, "PUT", doc_id, token(), headers={"Authorization": f"Bearer {key}"})
    assert body["description"]


def test_reads_never_need_a_key(auth_server):
    for path in ("/api/search?q=dan+van", "/api/health", "/api/documents/000_2ebd19a772751180", "/", "/openapi.json"):
        assert requests.get(auth_server.url + path, timeout=30).status_code == 200, path


def raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_keys_never_appear_in_the_access_or_error_log(auth_server):
    url, port = auth_server.url, auth_server.port
    for key in KEYS:
        k = key.encode()
        bearer = {"Authorization": f"Bearer {key}"}
        # Accepted requests with the key where it does not belong, as well as where it does.
        requests.get(url + "/api/search", params={"q": "dan van", "api_key": key, "note": key}, timeout=30)
        requests.get(
            url + "/", params={"q": key}, headers={"Referer": f"{url}/?key={key}", "User-Agent": key}, timeout=30
        )
        requests.put(url + f"/api/documents/{key}", json=article(token()), headers=bearer, timeout=30)
        requests.delete(url + f"/api/documents/{key}", headers=bearer, timeout=30)
        requests.get(url + f"/api/documents/{key}", timeout=30)  # 404: the path is logged
        requests.put(url + "/api/documents/x", data=b"{not json", headers=bearer, timeout=30)  # 400
        requests.post(url + "/api/documents", data=b'{"id": "a b"}', headers=bearer, timeout=30)  # 422
        # Requests gunicorn itself rejects, which its error log quotes.
        answers = [
            raw(port, b"GET /api/search?api_key=" + k + b"\x01 HTTP/1.1\r\nHost: t\r\n\r\n"),  # bad request line
            raw(port, b"GET /api/health HTTP/1.1\r\nHost: t\r\n" + k + b"\r\n\r\n"),  # a header line without name
            raw(port, b"GET /api/health HTTP/1.1\r\nHost: t\r\nX-" + k + b"\x01: 1\r\n\r\n"),  # bad header name
            raw(port, b"GET /api/health HTTP/1.1\r\nAuthorization: Bearer " + k + b"\x00\r\n\r\n"),  # bad value
            raw(port, b"GET /?q=" + k + b"x" * 9000 + b" HTTP/1.1\r\nHost: t\r\n\r\n"),  # too long
            raw(port, b"GET / HTTP/1.1\r\nAuthorization: Bearer " + k + b"x" * 9000 + b"\r\n\r\n"),  # too large
        ]
        for answer in answers:
            assert answer.startswith(b"HTTP/1.1 4"), answer[:200]
    auth_server.on_every_worker("/api/health")  # gunicorn writes a request's access line after its answer
    access = auth_server.access_log.read_text(encoding="utf-8")
    errors = auth_server.output()  # gunicorn's error log (stderr) and everything else it printed
    assert access.count("\n") >= 12 and "Invalid request" in errors, "the logs were not written"
    for key in KEYS:
        assert key not in access, "a key is in the access log"
        assert key not in errors, "a key is in the error log:\n" + "\n".join(
            line for line in errors.splitlines() if key in line
        )
    assert "Bearer" not in access


def test_a_key_is_scrubbed_in_every_encoding_a_log_line_can_hold(monkeypatch):
    from urllib.parse import quote, quote_plus

    from api import accesslog

    key = 'Zk+/9a=b c"d\\e\u00e9\u20ac' + uuid.uuid4().hex  # what base64 and pasted keys hold
    monkeypatch.setattr(accesslog, "SECRETS", [key])
    b64 = base64.b64encode(uuid.uuid4().bytes + b"\xfb\xff").decode()  # holds + / =
    forms = [
        key,
        quote(key, safe=""),
        quote(key, safe="").replace("%2F", "%2f").replace("%C3%A9", "%c3%a9"),
        quote_plus(key),
        json.dumps(key)[1:-1],
        json.dumps(key, ensure_ascii=False)[1:-1],
        repr(key)[1:-1],
    ]
    for form in forms:
        line = accesslog.scrub(f"GET /?q={form}&x=1")
        assert key not in line and form not in line and "[redacted]" in line, form
    # The access log's own record of a request with the key in q=: percent-encoded, then JSON.
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": f"/api/documents/{key}", "QUERY_STRING": "q=" + quote_plus(key)}
    line = accesslog.scrub(json.dumps(accesslog.access_record("404 Not Found", environ, 10, 0.01)))
    assert line.count("[redacted]") == 2 and quote_plus(key) not in line
    monkeypatch.setattr(accesslog, "SECRETS", [b64])
    assert b64 not in accesslog.scrub(json.dumps({"query": "q=" + quote_plus(b64)}))
    assert accesslog.scrub("an ordinary line, no key") == "an ordinary line, no key"


def test_keys_shorter_than_16_characters_are_refused_at_start_up(sample_index, tmp_path):
    import subprocess
    import sys

    from tests.server import ROOT

    config = copy_index(sample_index, tmp_path / "short", api={"keys": ["short-key-15chr"]})
    done = subprocess.run(
        [sys.executable, "-m", "api", "--config", str(config), "--bind", "127.0.0.1:0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HNP_API_KEYS": ""},
    )
    assert done.returncode == 2 and "shorter than 16 characters" in done.stderr
    assert "short-key-15chr" not in done.stderr
