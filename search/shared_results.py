"""Search results shared by every server process, as JSON files in a private RAM-disk folder.

gunicorn runs several worker processes; each keeps its own recent results
(``search.result_cache``), so a popular search was evaluated once per worker,
and a reader paging back landed on a worker that had never seen it.  Here a
finished result is also written, as JSON, to one file per search in a folder
that all workers of an index share (``/dev/shm`` when there is one: memory, not
disk), and any worker answers a repeat from it in a fraction of a millisecond.

The key holds the index generation and commit, so a write or a rebuild makes
every older entry unreachable at once, and a digest of the code (:func:`code_digest`),
so a deploy of other code does too; old entries are pruned, oldest first,
when the folder holds more than ``search.shared_result_cache`` of them.

Nothing here can run code: entries are plain JSON (never a pickle), and each is
read only if the opened file itself is ours (``fstat`` on its descriptor: owned
by this user, a regular file that neither group nor others may write, not
reached through a symlink).  The folder is created private (0700) and checked
once, but it may vanish and be made again by someone else while workers run
(systemd-logind's ``RemoveIPC``, a cleanup of ``/dev/shm``), so the per-file
check is what counts.  ``prune`` deletes only this store's own files (their
names, owned by us), whatever else the folder holds.  Any failure (no such
folder, a full or read-only file system) turns the store off or skips the
entry: it is a cache, and the search answers without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import tempfile
import threading
from pathlib import Path

PRUNE_EVERY = 64  # writes between two looks at the folder's size
SUFFIX = ".result.json"
# This store's entries and its writers' temporary files: nothing else in the folder is touched.
_OWN_NAME = re.compile(r"\.?[0-9a-f]{32}\.result\.json(\.\d+\.\d+)?")
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def default_directory(index_path: Path) -> Path:
    """A folder private to this user and index, on a RAM disk when there is one."""
    base = Path("/dev/shm") if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    digest = hashlib.blake2b(str(Path(index_path).resolve()).encode(), digest_size=8).hexdigest()
    return (base or Path(tempfile.gettempdir())) / f"hnp-results-{os.getuid()}-{digest}"


_PROJECT = Path(__file__).resolve().parent.parent
# What computes a result besides the index and the settings: the search and index packages, and
# the data files they read (abbreviations).
RESULT_CODE = ("search/*.py", "index/*.py", "data/*.tsv")


def code_digest(root: Path = _PROJECT, patterns: tuple[str, ...] = RESULT_CODE) -> str:
    """A digest of the files of *patterns* under *root* (names and contents).  Entries outlive the
    server's processes (a RAM disk is emptied only at a reboot), so without it a deploy of other
    code on the same index and settings would answer from the old code's results: another
    ranking, another meaning of a hit's ``tier``."""
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted({path for pattern in patterns for path in root.glob(pattern) if path.is_file()}):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _ours(info: os.stat_result) -> bool:
    """A regular file of this user that no one else may write."""
    return stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022


class SharedResults:
    """JSON values by key, in *directory*, at most about *limit* of them (0: off)."""

    def __init__(self, directory: Path, limit: int):
        self.directory = Path(directory)
        self.limit = limit
        self._writes = 0
        self._lock = threading.Lock()
        self.enabled = limit > 0 and self._prepare()

    def _prepare(self) -> bool:
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = self.directory.stat()
        except OSError:
            return False
        # Someone else's folder, or one others may write to: not ours to fill or prune.
        return info.st_uid == os.getuid() and not info.st_mode & 0o022

    def _path(self, key: tuple) -> Path:
        return self.directory / (hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest() + SUFFIX)

    def get(self, key: tuple):
        """The value stored under *key*, or None (none, not ours, or unreadable)."""
        if not self.enabled:
            return None
        try:
            fd = os.open(self._path(key), _READ_FLAGS)
        except OSError:
            return None
        try:
            with os.fdopen(fd, "rb") as handle:
                if not _ours(os.fstat(handle.fileno())):
                    return None
                found = json.loads(handle.read())
        except (OSError, ValueError):
            return None
        # Two keys with one digest would need a 128-bit collision; check anyway.
        if isinstance(found, dict) and found.get("key") == repr(key):
            return found.get("value")
        return None

    def put(self, key: tuple, value) -> None:
        """Store *value* (anything ``json.dumps`` takes) under *key*."""
        if not self.enabled:
            return
        target = self._path(key)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            data = json.dumps({"key": repr(key), "value": value}, ensure_ascii=False).encode("utf-8")
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(temporary, flags, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, target)  # readers see the whole file or none
        except (OSError, TypeError, ValueError):
            with contextlib.suppress(OSError):
                temporary.unlink()
            return
        with self._lock:
            self._writes += 1
            due = self._writes % PRUNE_EVERY == 0
        if due:
            self.prune()

    def prune(self) -> None:
        """Remove this store's oldest entries beyond the limit (other processes may prune at once);
        files of any other name or owner are left alone."""
        try:
            entries = []
            for entry in os.scandir(self.directory):
                if not _OWN_NAME.fullmatch(entry.name):
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if _ours(info):
                    entries.append((info.st_mtime, entry.path))
        except OSError:
            return
        excess = len(entries) - self.limit
        if excess <= 0:
            return
        entries.sort()
        for _, path in entries[: excess + self.limit // 10]:  # some room, so pruning is rare
            with contextlib.suppress(OSError):  # another process pruned it first
                os.unlink(path)
