"""Disk trouble: a full disk and a read-only file system under a write and under a build.

The index lives on a tmpfs of a few MB mounted for the test, so the failures are
the kernel's own: ``ENOSPC`` when the filler file has taken the space, ``EROFS``
after ``mount -o remount,ro``.  (Tests run as root, for whom ``chmod`` proves
nothing.)  Without the right to mount, the tests are skipped with the reason.

Each time: the client gets a clear JSON error (507 for a full disk, 503 for a
read-only one, as api/documents.py maps them), the served index answers exactly
as before, the journal holds nothing of the refused write, and the first write
after the space comes back works.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import requests

from index.settings import load_config
from index.store import IndexStore
from tests.conftest import write_config
from tests.reliability import (
    AUTH,
    KEY,
    articles,
    assert_json_error,
    fill,
    free_bytes,
    health,
    mount_problem,
    remount,
    small_filesystem,
    token,
    total,
)
from tests.server import ROOT, running_server

pytestmark = pytest.mark.server

SAMPLE = ROOT / "data" / "sample"
SEED = "000_2ebd19a772751180"
# The sample index takes ~0.7 MB; a write merges it into a new segment of the same size.
DISK_KB = 4096


@pytest.fixture(scope="module")
def can_mount():
    problem = mount_problem()
    if problem:
        pytest.skip(f"full and read-only disks cannot be simulated here: {problem}")


@pytest.fixture
def disk(can_mount, sample_index, tmp_path):
    """A copy of the sample index on its own small tmpfs; yields (config path, mount point)."""
    with small_filesystem(tmp_path / "disk", DISK_KB) as mount:
        source = load_config(sample_index).path("index.path")
        shutil.copytree(source, mount / "index", ignore=shutil.ignore_patterns("*.lock", "MAIN_WRITELOCK"))
        config = write_config(
            tmp_path,
            index={"path": str(mount / "index"), "procs": 1, "sources": [str(SAMPLE)], "write_timeout": 10.0},
            server={"access_log": ""},
        )
        yield config, mount


def put(server, doc_id: str, word: str) -> requests.Response:
    article = {"title": f"Tin {word}", "body": f"Bài viết {word} về Hà Nội. " * 20, "date": "2024-06-01"}
    return requests.put(server.url + f"/api/documents/{doc_id}", json=article, headers=AUTH, timeout=60)


def snapshot(server) -> tuple:
    """What a reader sees: document count, and the ids of a search's first page."""
    ids = [
        h["id"] for h in requests.get(server.url + "/api/search", params={"q": "dan van"}, timeout=30).json()["hits"]
    ]
    return health(server)["documents"], ids


def test_a_full_disk_refuses_the_write_clearly_and_the_next_write_after_space_returns_works(disk):
    config, mount = disk
    store = IndexStore(load_config(config).path("index.path"))
    with running_server(config, workers=1, env={"HNP_API_KEYS": KEY}) as server:
        kept = token()
        assert put(server, "kept-1", kept).status_code == 200
        seen = snapshot(server)
        journal = store.journal_size()

        # Full to the last byte: the journal append itself fails.
        filler = fill(mount)
        assert free_bytes(mount) < 4096
        lost = token()
        body = assert_json_error(put(server, "refused-1", lost), 507)
        assert "disk is full" in body["description"]
        assert snapshot(server) == seen and total(server, lost) == 0 and total(server, kept) == 1
        assert store.journal_size() == journal, "a refused write must leave no journal entry"

        # Room for the journal entry (~1 kB) but not for the new segment (~20 kB): the commit
        # fails, and the journal entry is taken back.
        filler.unlink()
        fill(mount, leave_bytes=8 * 1024)
        body = assert_json_error(put(server, "refused-2", lost), 507)
        assert "disk is full" in body["description"]
        assert snapshot(server) == seen and total(server, lost) == 0
        assert store.journal_size() == journal
        # The same for a bulk write: 50 articles take ~40 kB of journal and ~230 kB of segment.
        (mount / "filler.bin").unlink()
        fill(mount, leave_bytes=64 * 1024)
        bulk = "\n".join(
            json.dumps(a, ensure_ascii=False) for a in articles(50, prefix="refused-bulk", marker=lost, sentences=6)
        )
        r = requests.post(server.url + "/api/documents", data=bulk.encode(), headers=AUTH, timeout=60)
        assert "disk is full" in assert_json_error(r, 507)["description"]
        assert snapshot(server) == seen and total(server, lost) == 0
        assert store.journal_size() == journal

        # Space comes back: the very next write works, and is searchable.
        (mount / "filler.bin").unlink()
        after = token()
        assert put(server, "after-1", after).status_code == 200
        assert total(server, after) == 1
        assert health(server)["documents"] == seen[0] + 1

    # The journal holds exactly the acknowledged writes: a rebuild has them and nothing else.
    rebuilt = subprocess.run(
        [sys.executable, "-m", "index", "build", "--config", str(config), "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert rebuilt.returncode in (0, 3), rebuilt.stderr
    ids = {doc["id"] for doc in store.open().searcher().documents()}
    assert {"kept-1", "after-1"} <= ids
    assert not {i for i in ids if i.startswith("refused")}


def test_a_read_only_file_system_refuses_writes_and_keeps_serving(disk):
    config, mount = disk
    with running_server(config, workers=1, env={"HNP_API_KEYS": KEY}) as server:
        assert put(server, "before-ro", token()).status_code == 200
        seen = snapshot(server)
        remount(mount, "ro")
        try:
            body = assert_json_error(put(server, "refused-ro", token()), 503)
            assert "read-only" in body["description"]
            assert body["title"] == "Index not writable"
            assert_json_error(requests.delete(server.url + "/api/documents/before-ro", headers=AUTH, timeout=30), 503)
            assert snapshot(server) == seen
        finally:
            remount(mount, "rw")
        word = token()
        assert put(server, "after-ro", word).status_code == 200
        assert total(server, word) == 1


def test_a_full_disk_during_a_build_leaves_the_live_index_serving(disk):
    config, mount = disk
    store = IndexStore(load_config(config).path("index.path"))
    live = store.current()
    command = [sys.executable, "-m", "index", "build", "--config", str(config), "--quiet"]
    with running_server(config, workers=1, env={"HNP_API_KEYS": KEY}) as server:
        kept = token()
        assert put(server, "kept-build", kept).status_code == 200
        seen = snapshot(server)
        fill(mount, leave_bytes=128 * 1024)
        failed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert failed.returncode == 1, failed.stderr
        assert "write refused: the disk is full; the served index is unchanged" in failed.stderr, failed.stderr
        assert "Traceback" not in failed.stderr, failed.stderr
        assert store.current() == live
        assert store.generations() == [live], "the failed build left its files (and the disk full)"
        assert snapshot(server) == seen and total(server, kept) == 1

        (mount / "filler.bin").unlink()
        rebuilt = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert rebuilt.returncode in (0, 3), rebuilt.stderr
        assert store.current() != live
        assert total(server, kept) == 1
