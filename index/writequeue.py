"""A first-come, first-served queue in front of the index's single writer lock.

Whoosh takes its writer lock by polling, so under contention the write that has
waited longest has no advantage over one that just arrived: with a few workers
writing at once, an unlucky write can lose the race again and again until its
timeout.  Here each waiting write holds an ``flock`` on its own ticket file,
named by its arrival time, in ``<index>/write-queue/``; it goes on to the
writer lock only when no older ticket is still held.  The kernel releases the
``flock`` of a process that dies, so a killed writer's ticket is skipped (and
removed) rather than blocking the queue.

The queue only orders writers; Whoosh's lock still guarantees that one writes
at a time, so a ticket lost in a race (see :func:`_held`) costs fairness, never
correctness.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path


class QueueTimeout(TimeoutError):
    """Older writes were still queued when the timeout ran out."""


class WriteQueue:
    """Tickets of the writes waiting for one index."""

    def __init__(self, directory: Path, poll: float = 0.01):
        self.directory = Path(directory)
        self.poll = poll

    @contextlib.contextmanager
    def turn(self, timeout: float) -> Iterator[None]:
        """Wait until every write that arrived earlier is done (or dead), then hold the turn."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}-{threading.get_ident()}"
        path = self.directory / name
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            deadline = time.monotonic() + timeout
            while any(_held(self.directory / older) for older in self._older_than(name)):
                if time.monotonic() > deadline:
                    raise QueueTimeout(f"older writes still queued after {timeout:g} s")
                time.sleep(self.poll)
            yield
        finally:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            os.close(fd)

    def _older_than(self, name: str) -> list[str]:
        return sorted(entry for entry in os.listdir(self.directory) if entry < name)


def _held(path: Path) -> bool:
    """Whether a live writer holds the ticket *path*; a dead writer's ticket is removed.

    A ticket created but not yet locked by its writer looks dead for an instant;
    that writer then simply competes for Whoosh's lock without its place in line.
    """
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return False
    finally:
        os.close(fd)
