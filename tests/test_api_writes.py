"""Writes through Falcon's TestClient, on a private copy of the sample index."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import tempfile
import traceback
import uuid
from pathlib import Path

import pytest
from falcon import testing

from api.app import create_app
from index.settings import load_config
from index.store import IndexStore
from tests.server import copy_index
from tests.test_api_search import assert_error

KEY = "test-key-" + "x" * 24
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def config(sample_index, tmp_path):
    return load_config(copy_index(sample_index, tmp_path / "copy", api={"keys": [KEY]}))


@pytest.fixture
def client(config):
    return testing.TestClient(create_app(config, environ={}))


def token() -> str:
    """A word no article contains, so a search for it finds exactly what a test wrote."""
    return "zq" + uuid.uuid4().hex[:10]


def article(word: str, **extra) -> dict:
    return {"title": f"Bài thử {word}", "body": f"Nội dung về {word} ở Hà Nội.", "date": "2024-05-01T08:00", **extra}


def total(client, query: str) -> int:
    r = client.simulate_get("/api/search", params={"q": query})
    assert r.status_code == 200, r.text
    return r.json["total"]


def test_put_is_found_by_the_next_search_in_this_and_another_worker(config, client):
    other_worker = testing.TestClient(create_app(config, environ={}))  # its own Searcher, like a second process
    word = token()
    assert total(other_worker, word) == 0  # the other worker has the index open before the write
    r = client.simulate_put("/api/documents/put-1", json=article(word, author="Lê Hương"), headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json["id"] == "put-1" and r.json["status"] == "indexed"
    assert total(client, word) == 1
    assert total(other_worker, word) == 1
    stored = other_worker.simulate_get("/api/documents/put-1").json
    assert stored["author"] == "Lê Hương"
    # The author facet shows the new article's byline as it was written (not its lower-case key).
    facets = other_worker.simulate_get("/api/search", params={"q": word}).json["facets"]
    assert facets["author"] == [{"value": "Lê Hương", "count": 1}]
    assert stored["published"].startswith("2024-05-01T08:00")
    # The write is journalled, so a rebuild keeps it.
    entries = list(IndexStore(config.path("index.path")).journal_entries())
    assert entries[-1]["op"] == "upsert" and entries[-1]["article"]["id"] == "put-1"


def test_put_replaces_an_article_with_the_same_id(client):
    old, new = token(), token()
    assert client.simulate_put("/api/documents/put-2", json=article(old), headers=AUTH).status_code == 200
    assert client.simulate_put("/api/documents/put-2", json=article(new), headers=AUTH).status_code == 200
    assert total(client, old) == 0
    assert total(client, new) == 1
    assert client.simulate_get("/api/health").json["documents"] == 26


def test_write_answers_carry_a_generation_the_search_also_reports(client):
    word = token()
    written = client.simulate_put("/api/documents/put-3", json=article(word), headers=AUTH).json
    searched = client.simulate_get("/api/search", params={"q": word}).json
    assert written["generation"] == searched["generation"]


def test_delete_removes_and_unknown_delete_is_404(client):
    word = token()
    client.simulate_put("/api/documents/del-1", json=article(word), headers=AUTH)
    r = client.simulate_delete("/api/documents/del-1", headers=AUTH)
    assert r.status_code == 200 and r.json["status"] == "deleted"
    assert total(client, word) == 0
    assert_error(client.simulate_get("/api/documents/del-1"), 404)
    assert_error(client.simulate_delete("/api/documents/del-1", headers=AUTH), 404)
    # A sample article can be deleted too, and the count follows.
    assert client.simulate_delete("/api/documents/013_b01aa6451e93bc1c", headers=AUTH).status_code == 200
    assert client.simulate_get("/api/health").json["documents"] == 24


def test_etag_changes_after_a_write(client):
    before = client.simulate_get("/api/search", params={"q": "dan van"})
    client.simulate_put("/api/documents/etag-1", json=article(token()), headers=AUTH)
    revalidated = client.simulate_get(
        "/api/search", params={"q": "dan van"}, headers={"If-None-Match": before.headers["etag"]}
    )
    assert revalidated.status_code == 200
    assert revalidated.headers["etag"] != before.headers["etag"]


# --- keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "DELETE", "POST"])
def test_writes_need_a_valid_key(client, method):
    path = "/api/documents" if method == "POST" else "/api/documents/k-1"
    body = json.dumps(article(token()))
    missing = client.simulate_request(method, path, body=body)
    assert_error(missing, 401)
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert_error(client.simulate_request(method, path, body=body, headers={"Authorization": "Bearer wrong"}), 403)
    assert_error(client.simulate_request(method, path, body=body, headers={"Authorization": f"Basic {KEY}"}), 401)
    assert_error(client.simulate_get("/api/documents/k-1"), 404)  # nothing was written


def test_keys_from_the_environment(config):
    client = testing.TestClient(create_app(config, environ={"HNP_API_KEYS": " env-key-1 , env-key-2 "}))
    for key in ("env-key-2", KEY):
        r = client.simulate_put(
            "/api/documents/env-1", json=article(token()), headers={"Authorization": f"Bearer {key}"}
        )
        assert r.status_code == 200, r.text


def test_without_any_key_configured_writes_are_refused(sample_index, tmp_path):
    config = load_config(copy_index(sample_index, tmp_path / "nokeys"))
    client = testing.TestClient(create_app(config, environ={}))
    body = assert_error(client.simulate_put("/api/documents/x", json=article("x"), headers=AUTH), 403)
    assert "no API keys" in body["description"]


# --- bad bodies ------------------------------------------------------------------------------


def test_bad_put_bodies(client):
    def put(**kw):
        return client.simulate_put("/api/documents/bad-1", headers=AUTH, **kw)

    assert_error(put(body="{not json"), 400)
    assert_error(put(body=b"\xff\xfe"), 400)
    assert_error(put(json=["a list"]), 422)
    assert "no text" in assert_error(put(json={"author": "only a byline"}), 422)["description"]
    assert "date" in assert_error(put(json=article("x", date="yesterday")), 422)["description"]
    assert_error(put(json=article("x", id="another-id")), 422)
    assert client.simulate_put("/api/documents/bad-1", json=article("x", id="bad-1"), headers=AUTH).status_code == 200
    bad_id = client.simulate_put("/api/documents/has%20space", json=article("x"), headers=AUTH)
    assert assert_error(bad_id, 400)["parameter"] == "id"


def test_deep_json_and_out_of_range_dates_are_4xx_and_reject_only_their_record(client):
    deep = '{"title": "x", "body": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert (
        "nested too deeply"
        in assert_error(client.simulate_put("/api/documents/deep-1", body=deep, headers=AUTH), 400)["description"]
    )
    # 9999-12-31 at 23:59 UTC-5 is already year 10000 in Hanoi (UTC+7).
    for date in ("9999-12-31T23:59-05:00", "0001-01-01T00:00+08:00"):
        r = client.simulate_put("/api/documents/late-1", json=article("x", date=date), headers=AUTH)
        assert "out of range" in assert_error(r, 422)["description"]
    word = token()
    lines = [
        json.dumps({"id": "bulk-ok", **article(word)}),
        deep,
        json.dumps({"id": "bulk-late", **article(word, date="9999-12-31T23:59-05:00")}),
    ]
    r = client.simulate_post("/api/documents", body="\n".join(lines), headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json["indexed"] == 1 and r.json["rejected"] == 2
    assert {e["line"] for e in r.json["errors"]} == {2, 3}
    array = "[" + ",".join([json.dumps({"id": "arr-ok", **article(word)}), "[" * 100_000 + "]" * 100_000]) + "]"
    assert (
        "nested too deeply"
        in assert_error(client.simulate_post("/api/documents", body=array, headers=AUTH), 400)["description"]
    )
    assert total(client, word) == 1


def test_ids_that_could_spoof_text_or_paths_are_refused_saying_what_is_allowed(client):
    word = token()
    bad = [".", "..", "a\x85b", "x\u202ey", "rlm\u200f", "iso\u2066late"]
    lines = [json.dumps({"id": i, **article(word)}) for i in [*bad, "good.id-1"]]
    r = client.simulate_post("/api/documents", body="\n".join(lines), headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json["indexed"] == 1 and r.json["rejected"] == len(bad)
    assert all("allowed" in e["reason"] for e in r.json["errors"])
    only_bad = "\n".join(json.dumps({"id": i, **article(word)}) for i in bad)
    assert (
        "allowed"
        in assert_error(client.simulate_post("/api/documents", body=only_bad, headers=AUTH), 422)["errors"][0]["reason"]
    )
    r = client.simulate_put("/api/documents/x%E2%80%AEy", json=article(word), headers=AUTH)
    assert assert_error(r, 400)["parameter"] == "id" and "allowed" in r.json["description"]
    assert total(client, word) == 1


def test_a_deleted_article_is_not_counted_in_stats_facets_or_suggestions(config, client):
    from index.stats import index_stats

    store = IndexStore(config.path("index.path"))
    before = index_stats(store)
    word = token()
    late = article(word, date="2026-11-27T08:00")
    assert client.simulate_put("/api/documents/late-1", json=late, headers=AUTH).status_code == 200
    assert index_stats(store).last_day == "2026-11-27"
    assert word in client.simulate_get("/api/suggest", params={"q": word[:6]}).json["suggestions"]
    assert client.simulate_delete("/api/documents/late-1", headers=AUTH).status_code == 200
    after = index_stats(store)
    assert (after.first_day, after.last_day, after.documents) == (before.first_day, before.last_day, before.documents)
    years = {f["value"] for f in client.simulate_get("/api/search").json["facets"]["year"]}
    assert "2026" not in years
    assert word not in client.simulate_get("/api/suggest", params={"q": word[:6]}).json["suggestions"]


def test_exports_without_a_key_are_capped_and_a_key_lifts_the_cap(sample_index, tmp_path):
    config = load_config(copy_index(sample_index, tmp_path / "capped", api={"keys": [KEY], "export_max_rows": 10}))
    client = testing.TestClient(create_app(config, environ={}))
    body = assert_error(client.simulate_get("/api/search/export", params={"format": "ndjson"}), 400)
    assert "at most 10" in body["description"] and "API key" in body["description"]
    wrong = client.simulate_get("/api/search/export", headers={"Authorization": "Bearer not-the-key-at-all"})
    assert wrong.status_code == 400
    rows = client.simulate_get("/api/search/export", params={"format": "ndjson"}, headers=AUTH).text.splitlines()
    assert len(rows) == 25  # the whole sample
    few = client.simulate_get("/api/search/export", params={"q": "dân vận", "format": "ndjson", "from": "2022-01-01"})
    assert few.status_code == 200 and 0 < len(few.text.splitlines()) <= 10


def test_a_body_over_max_body_bytes_is_413(sample_index, tmp_path):
    config = load_config(
        copy_index(sample_index, tmp_path / "small", api={"keys": [KEY]}, server={"max_body_bytes": 1000})
    )
    client = testing.TestClient(create_app(config, environ={}))
    big = article("x", body="chữ " * 500)
    assert_error(client.simulate_put("/api/documents/big-1", json=big, headers=AUTH), 413)
    assert_error(client.simulate_post("/api/documents", body=json.dumps(big) + "\n", headers=AUTH), 413)
    assert client.simulate_put("/api/documents/small-1", json=article("x"), headers=AUTH).status_code == 200


# --- bulk ------------------------------------------------------------------------------------


def test_bulk_ndjson_counts_indexed_and_rejected_with_reasons(client):
    word = token()
    lines = [
        json.dumps(article(word, id="bulk-1")),
        "",
        "{broken json",
        json.dumps({"id": "bulk-2"}),  # no text
        json.dumps(article(word, id="bulk-3")),
        json.dumps(article(word + " lần hai", id="bulk-1")),  # same id again: the last one wins
        json.dumps({"title": "no id"}),
    ]
    r = client.simulate_post(
        "/api/documents", body="\n".join(lines), headers={**AUTH, "Content-Type": "application/x-ndjson"}
    )
    assert r.status_code == 200, r.text
    body = r.json
    assert (body["indexed"], body["rejected"], body["superseded"]) == (2, 3, 1)
    reasons = {e["line"]: e for e in body["errors"]}
    assert set(reasons) == {3, 4, 7}
    assert "JSON" in reasons[3]["reason"]
    assert reasons[4]["id"] == "bulk-2" and "no text" in reasons[4]["reason"]
    assert "id" in reasons[7]["reason"]
    assert total(client, word) == 2
    assert "lần hai" in client.simulate_get("/api/documents/bulk-1").json["title"]


def test_bulk_accepts_a_json_array(client):
    word = token()
    records = [article(word, id=f"arr-{i}") for i in range(5)]
    r = client.simulate_post("/api/documents", json=records, headers=AUTH)
    assert r.status_code == 200 and r.json["indexed"] == 5
    assert total(client, word) == 5


def test_bulk_with_nothing_valid_is_422_and_writes_nothing(client):
    before = client.simulate_get("/api/health").json["documents"]
    r = client.simulate_post("/api/documents", body='{"id": "x"}\n[1]\n', headers=AUTH)
    body = assert_error(r, 422)
    assert body["indexed"] == 0 and body["rejected"] == 2
    assert client.simulate_get("/api/health").json["documents"] == before
    assert_error(client.simulate_post("/api/documents", body="\n \n", headers=AUTH), 400)


def test_a_read_only_index_is_a_503_that_names_the_cause(sample_index):
    # Root ignores file permissions: as root (CI's containers), the app runs in a child that has
    # given up that power, so the copy below is read-only for it as for anyone else.
    home = Path(tempfile.mkdtemp(prefix="hnp-read-only-"))
    try:
        config = load_config(copy_index(sample_index, home / "ro", api={"keys": [KEY]}))
        index_dir = config.path("index.path")
        paths = [index_dir, *index_dir.rglob("*")]
        for p in paths:
            p.chmod(p.stat().st_mode & ~0o222)
        failure = _unprivileged(_read_only_answers_503, config) if os.geteuid() == 0 else _read_only_answers_503(config)
        assert failure is None, failure
    finally:
        for p in [home, *home.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)
        shutil.rmtree(home)


def _read_only_answers_503(config) -> str | None:
    """None if a write to *config*'s read-only index is a 503 naming the cause and searches
    still work; else what went wrong."""
    client = testing.TestClient(create_app(config, environ={}))
    if total(client, "dan van") <= 0:
        return "the read-only index finds nothing before the write"
    r = client.simulate_put("/api/documents/ro-1", json=article("x"), headers=AUTH)
    description = (r.json or {}).get("description", "") if r.status_code >= 400 else ""
    if r.status_code != 503 or not ("permission" in description or "read-only" in description):
        return f"the write answered {r.status_code}: {r.text[:300]}"
    if total(client, "dan van") <= 0:
        return "the read-only index finds nothing after the write"
    return None


def _unprivileged(check, *args) -> str | None:
    """*check(*args)* in a forked child that keeps root's user but not its power to ignore file
    permissions (the capabilities ``CAP_DAC_OVERRIDE`` and ``CAP_DAC_READ_SEARCH``): its result,
    or its error.  (Another user could not read the interpreter's modules under ``/root``.)"""
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the child: drop the capabilities, run, report, leave without pytest's teardown
        code = 1
        try:
            os.close(reader)
            _drop_permission_override()
            found = check(*args)
            os.write(writer, (found or "").encode("utf-8"))
            code = 0
        except BaseException:
            os.write(writer, traceback.format_exc().encode("utf-8"))
        finally:
            os._exit(code)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        said = pipe.read().decode("utf-8")
    _, status = os.waitpid(child, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return said or f"the child failed (status {status})"
    return said or None


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_permission_override() -> None:
    """Leave this process's capabilities without CAP_DAC_OVERRIDE (1) and CAP_DAC_READ_SEARCH (2)
    (capset(2), version 3), and check that a file without write permission now refuses a write."""
    libc = ctypes.CDLL(None, use_errno=True)
    header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    keep = ~((1 << 1) | (1 << 2)) & 0xFFFFFFFF
    data[0].effective &= keep
    data[0].permitted &= keep
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")
    descriptor, name = tempfile.mkstemp(prefix="hnp-probe-")
    os.close(descriptor)
    probe = Path(name)
    try:
        probe.chmod(0o444)
        try:
            probe.open("a").close()
        except PermissionError:
            return
        raise AssertionError("a file without write permission still took a write: the test would prove nothing")
    finally:
        probe.unlink()
