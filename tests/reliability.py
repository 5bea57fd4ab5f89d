"""Helpers of the reliability tests (tests/test_reliability_*.py): generated articles, locks, disks.

* :func:`articles` makes deterministic Vietnamese news-like articles (real words,
  random order) for corpora that must be big enough to interrupt, without the
  shared corpus;
* :func:`lock_holders` reads ``/proc/locks`` to say which processes hold a
  ``flock`` on a file (the build lock, Whoosh's ``MAIN_WRITELOCK``), so a test
  can kill exactly the process that is writing, and check afterwards that no
  lock outlived it;
* :func:`small_filesystem` mounts a tmpfs of a few MB (root only), so a test can
  fill it for a real ``ENOSPC`` or remount it read-only for a real ``EROFS``.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

KEY = "reliability-key-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {KEY}"}

# Words of Hanoi news, to make text that pyvi and the analyzer treat like the real thing.
NEWS_TEXT = """
Hà Nội thành phố Ủy ban nhân dân quận huyện phường xã người dân cán bộ công an giao thông đường bộ dự án
xây dựng kế hoạch năm nay tháng trước hội nghị triển khai nhiệm vụ trọng tâm kinh tế xã hội doanh nghiệp
đầu tư phát triển bền vững môi trường học sinh trường học giáo dục y tế bệnh viện sức khỏe phòng chống
dịch bệnh văn hóa du lịch lễ hội di tích lịch sử Thủ đô chính quyền điện tử dịch vụ công trực tuyến hồ sơ
thủ tục hành chính cải cách thuận lợi Thành ủy Bí thư Chủ tịch Phó Chủ tịch đại biểu Quốc hội cử tri tiếp
xúc kiến nghị giải quyết mưa lớn ngập úng thoát nước cây xanh chiếu sáng vệ sinh rác thải khu đô thị nhà ở
tái định cư hòa bình thúy ủy khỏe lúa gạo nông nghiệp nông thôn mới chợ giá cả thị trường hàng hóa an toàn
thực phẩm kiểm tra xử lý vi phạm tuyên truyền vận động Dân vận khéo mặt trận tổ quốc đoàn thể
"""
WORDS = NEWS_TEXT.split()


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def articles(count: int, *, prefix: str = "gen", seed: int = 7, sentences: int = 6, marker: str = "") -> Iterator[dict]:
    """*count* articles ``{id, title, body, date}``; *marker* (a made-up word) is put in every title."""
    rng = random.Random(seed)
    for i in range(count):
        title = sentence(rng, 9)[:-1] + (f" {marker}" if marker else "")
        body = " ".join(sentence(rng, rng.randint(10, 25)) for _ in range(sentences))
        day = f"20{rng.randint(10, 22)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        yield {"id": f"{prefix}-{i:05d}", "title": title, "body": body, "date": day}


def run_writers_with_readers(
    writers: list[threading.Thread], readers: list[threading.Thread], stop: threading.Event
) -> float:
    """Start *readers* and *writers*; when every writer is done, set *stop* and wait for the
    readers.  Returns the seconds the writers took."""
    started = time.perf_counter()
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    elapsed = time.perf_counter() - started
    stop.set()
    for thread in readers:
        thread.join()
    return elapsed


def write_ndjson(path: Path, records) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def token() -> str:
    """A made-up word no article contains: a search for it finds exactly what a test wrote."""
    return "zq" + uuid.uuid4().hex[:10]


def wait_until(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.05):
    """Poll *condition* until it returns something true; fail the test after *timeout* seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


# --- the server's answers ----------------------------------------------------------------------


def health(server) -> dict:
    return requests.get(server.url + "/api/health", timeout=30).json()


def total(server, query: str, **params) -> int:
    r = requests.get(server.url + "/api/search", params={"q": query, **params}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["total"]


def exported_ids(server, query: str) -> list[str]:
    """Ids of every article matching *query* (the CSV/NDJSON export has no page limit)."""
    r = requests.get(server.url + "/api/search/export", params={"q": query, "format": "ndjson"}, timeout=120)
    assert r.status_code == 200, r.text
    return [json.loads(line)["id"] for line in r.text.splitlines() if line.strip()]


def assert_json_error(response, *statuses: int) -> dict:
    """*response* is one of *statuses* with the API's error shape; returns the body."""
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert body["title"] and body["description"], body
    return body


# --- locks --------------------------------------------------------------------------------------


def lock_holders(path: Path) -> set[int]:
    """Pids that /proc/locks lists as holding a lock on *path* (by inode); empty if the file is gone.

    /proc/locks names the process that took the lock; after a fork the lock is
    shared with the children, so also check that those pids are alive.
    """
    try:
        inode = os.stat(path).st_ino
    except FileNotFoundError:
        return set()
    holders = set()
    with open("/proc/locks", encoding="ascii") as handle:
        for line in handle:
            fields = line.split()
            # "1: FLOCK  ADVISORY  WRITE 27839 fe:00:2220516 0 EOF" (a "->" marks a waiter)
            if "->" in fields:
                continue
            pid, device_inode = fields[4], fields[5]
            if int(device_inode.rsplit(":", 1)[1]) == inode:
                holders.add(int(pid))
    return holders


def children(pid: int) -> set[int]:
    """Direct child processes of *pid*."""
    found = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found.update(int(p) for p in handle.read().split())
    except FileNotFoundError:
        pass
    return found


def alive(pid: int) -> bool:
    """True while *pid* runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


# --- a small file system ------------------------------------------------------------------------


def mount_problem() -> str | None:
    """Why this process cannot mount a tmpfs (None if it can)."""
    if os.geteuid() != 0:
        return "mounting a small tmpfs (a disk that can really fill up or turn read-only) needs root"
    probe = Path(f"/tmp/hnp-mount-probe-{os.getpid()}")
    probe.mkdir(exist_ok=True)
    try:
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)], capture_output=True, text=True
        )
        if result.returncode != 0:
            return f"mount -t tmpfs failed here ({result.stderr.strip() or result.returncode}): no CAP_SYS_ADMIN?"
        subprocess.run(["umount", str(probe)], check=True)
        return None
    except FileNotFoundError:
        return "no mount command"
    finally:
        probe.rmdir()


@contextmanager
def small_filesystem(path: Path, size_kb: int) -> Iterator[Path]:
    """A tmpfs of *size_kb* KB mounted at *path* for the ``with`` block."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=755", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        # Lazy: a process that still has a file open there must not leave the mount behind.
        subprocess.run(["umount", "-l", str(path)], check=False)


def remount(path: Path, mode: str) -> None:
    """``mode`` is "ro" or "rw"."""
    subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], check=True)


def fill(directory: Path, leave_bytes: int = 0) -> Path:
    """Write a filler file until the file system has at most *leave_bytes* free; returns it."""
    filler = directory / "filler.bin"
    stat = os.statvfs(directory)
    free = stat.f_bavail * stat.f_frsize
    with open(filler, "wb") as handle:
        try:
            handle.write(b"\0" * max(0, free - leave_bytes))
            handle.flush()
            os.fsync(handle.fileno())
        except OSError:
            pass  # full: that was the point
    return filler


def free_bytes(directory: Path) -> int:
    stat = os.statvfs(directory)
    return stat.f_bavail * stat.f_frsize
