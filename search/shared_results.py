"""Search results shared by every server process, as files in a private RAM-disk folder.

gunicorn runs several worker processes; each keeps its own recent results
(``search.result_cache``), so a popular search was evaluated once per worker,
and a reader paging back landed on a worker that had never seen it.  Here a
finished result is also written, pickled, to one file per search in a folder
that all workers of an index share (``/dev/shm`` when there is one: memory, not
disk), and any worker answers a repeat from it in a fraction of a millisecond.

The key holds the index generation and commit, so a write or a rebuild makes
every older entry unreachable at once; old entries are pruned, oldest first,
when the folder holds more than ``search.shared_result_cache`` of them.

The folder is created private (0700) and is only used when it is ours: the
files are pickles, and only this user's processes may write them.  Any failure
(no such folder, a full or read-only file system) turns the store off or
skips the entry: it is a cache, and the search answers without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
import threading
from pathlib import Path

PRUNE_EVERY = 64  # writes between two looks at the folder's size


def default_directory(index_path: Path) -> Path:
    """A folder private to this user and index, on a RAM disk when there is one."""
    base = Path("/dev/shm") if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    digest = hashlib.blake2b(str(Path(index_path).resolve()).encode(), digest_size=8).hexdigest()
    return (base or Path(tempfile.gettempdir())) / f"hnp-results-{os.getuid()}-{digest}"


class SharedResults:
    """Pickled results by key, in *directory*, at most about *limit* of them (0: off)."""

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
        # Someone else's folder (or one others may write to) could hold hostile pickles.
        return info.st_uid == os.getuid() and not info.st_mode & 0o022

    def _path(self, key: tuple) -> Path:
        return self.directory / (hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest() + ".pickle")

    def get(self, key: tuple):
        if not self.enabled:
            return None
        try:
            data = self._path(key).read_bytes()
            found = pickle.loads(data)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
            return None
        # Two keys with one digest would need a 128-bit collision; check anyway.
        return found[1] if isinstance(found, tuple) and len(found) == 2 and found[0] == key else None

    def put(self, key: tuple, value) -> None:
        if not self.enabled:
            return
        target = self._path(key)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            temporary.write_bytes(pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(temporary, target)  # readers see the whole file or none
        except OSError:
            temporary.unlink(missing_ok=True)
            return
        with self._lock:
            self._writes += 1
            due = self._writes % PRUNE_EVERY == 0
        if due:
            self.prune()

    def prune(self) -> None:
        """Remove the oldest entries beyond the limit (other processes may prune at once)."""
        try:
            entries = []
            for entry in os.scandir(self.directory):
                try:
                    entries.append((entry.stat().st_mtime, entry.path))
                except OSError:
                    continue
        except OSError:
            return
        excess = len(entries) - self.limit
        if excess <= 0:
            return
        entries.sort()
        for _, path in entries[: excess + self.limit // 10]:  # some room, so pruning is rare
            with contextlib.suppress(OSError):  # another process pruned it first
                os.unlink(path)
