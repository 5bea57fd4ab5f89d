"""Auth on a real gunicorn: writes need ``Authorization: Bearer KEY``; nothing else is a key,
and no key ever reaches a log (the access log file and gunicorn's error log both grepped)."""

from __future__ import annotations

import base64
import json
import socket
import time
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
    time.sleep(0.5)  # gunicorn writes the access line after the response
    access = auth_server.access_log.read_text(encoding="utf-8")
    errors = auth_server.output()  # gunicorn's error log (stderr) and everything else it printed
    assert access.count("\n") >= 12 and "Invalid request" in errors, "the logs were not written"
    for key in KEYS:
        assert key not in access, "a key is in the access log"
        assert key not in errors, "a key is in the error log:\n" + "\n".join(
            line for line in errors.splitlines() if key in line
        )
    assert "Bearer" not in access
