"""A first-come, first-served queue in front of the index's single writer lock, with group commit.

Whoosh takes its writer lock by polling, so under contention the write that has
waited longest has no advantage over one that just arrived: with a few workers
writing at once, an unlucky write can lose the race again and again until its
timeout.  Here each waiting write holds an ``flock`` on its own ticket file,
named by its arrival time, in ``<index>/write-queue/``; it goes on to the
writer lock only when no older ticket is still held.  The kernel releases the
``flock`` of a process that dies, so a killed writer's ticket is skipped (and
removed) rather than blocking the queue.

Commits are serialised and each costs about the same whatever it holds, so a
queue of single writes is slow.  A waiting write therefore leaves its entries
next to its ticket (``<ticket>.entries``); the write whose turn it is takes
them (:meth:`Group.claim`, a ``rename`` to ``<ticket>.claimed``, so a write
that gives up and one that claims cannot both win), commits them with its own
in one commit, and leaves each its outcome (``<ticket>.result``).  A claimed
write whose leader dies before leaving an outcome simply writes again itself:
writes are idempotent, and an unacknowledged one has no defined outcome.

The queue only orders writers; Whoosh's lock still guarantees that one writes
at a time.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ENTRIES, CLAIMED, RESULT = ".entries", ".claimed", ".result"
# A leader takes waiting writes into its commit until it holds this many bytes of their entries (a
# bulk request is at most server.max_body_bytes, 10 MB by default): a bound on its memory and on how
# long one commit makes the writes behind it wait.
MAX_GROUP_BYTES = 8 << 20
# Files of writers killed at the wrong moment are removed once they are this old (seconds).
STALE_AFTER = 600.0


class QueueTimeout(TimeoutError):
    """Older writes were still queued when the timeout ran out."""


class LeaderFailed(OSError):
    """The disk refused the commit that held this write (the leader's ``OSError``, relayed)."""


class Group:
    """The writes one commit holds: the leader's own, and those it claims from the queue."""

    def __init__(self, queue: WriteQueue, ticket: str, entries: list[dict], alone: bool = False):
        self.queue = queue
        self.ticket = ticket
        self.entries = entries
        self.claimed: list[str] = []  # tickets whose entries this commit holds, oldest first
        self._batches: list[list[dict]] | None = [] if alone else None

    def claim(self) -> list[list[dict]]:
        """The entries of the writes waiting behind this one, oldest first; taken once.

        Call it while holding the index's writer lock, so nothing claimed can wait on it.
        """
        if self._batches is not None:
            return self._batches
        self._batches, size = [], 0
        for name in self.queue.tickets():
            if name <= self.ticket:
                continue
            if size > MAX_GROUP_BYTES:
                break
            source = self.queue.directory / (name + ENTRIES)
            target = self.queue.directory / (name + CLAIMED)
            try:
                os.rename(source, target)  # atomic: the writer cannot withdraw it any more
            except FileNotFoundError:
                continue  # withdrawn, claimed already, or not written yet
            data = target.read_bytes()
            size += len(data)
            self.claimed.append(name)
            self._batches.append(json.loads(data))
        return self._batches


class WriteQueue:
    """Tickets of the writes waiting for one index."""

    def __init__(self, directory: Path, poll: float = 0.01):
        self.directory = Path(directory)
        self.poll = poll

    def submit(self, entries: list[dict], timeout: float, commit: Callable[[Group], list[Any]]) -> Any:
        """Have *entries* committed, in arrival order; returns this write's outcome.

        When this write's turn comes, ``commit(group)`` runs here: it may call
        ``group.claim()`` and must return one JSON-able outcome per batch (its own
        first).  If an older write claims these entries first, its outcome for
        them is returned instead; an ``OSError`` it met is raised here too.
        """
        with self._ticket(entries) as name:
            deadline = time.monotonic() + timeout
            returned = False  # claimed, then handed back by a leader that failed
            while True:
                outcome = self._outcome(name)
                if outcome is not None:
                    if "error" not in outcome:
                        return outcome["ok"]
                    if outcome["error"] is not None:
                        raise LeaderFailed(outcome["error"], outcome["message"])
                    returned = True  # the leader failed for a reason of its own: write again, alone
                elif not self._older_held(name):
                    if self._peek(name):  # left just before the leader let go
                        continue
                    self._withdraw(name)
                    return self._lead(name, entries, commit)
                elif time.monotonic() > deadline and (returned or self._withdraw(name)):
                    raise QueueTimeout(f"older writes still queued after {timeout:g} s")
                # Claimed, or still waiting: an older write is committing.
                time.sleep(self.poll)

    def tickets(self) -> list[str]:
        """Names of the tickets in the queue, oldest first (other files have a dot in their name)."""
        return sorted(entry for entry in os.listdir(self.directory) if "." not in entry)

    @contextlib.contextmanager
    def _ticket(self, entries: list[dict]) -> Iterator[str]:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}-{threading.get_ident()}"
        path = self.directory / name
        self._atomic_write(name + ENTRIES, json.dumps(entries, ensure_ascii=False))
        # Locked before it appears under its name, so a listed ticket never looks dead while alive.
        fd = os.open(self.directory / (name + ".new"), os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.rename(self.directory / (name + ".new"), path)
            yield name
        finally:
            for suffix in ("", ENTRIES, CLAIMED, RESULT, ".new"):
                with contextlib.suppress(FileNotFoundError):
                    (self.directory / (name + suffix)).unlink()
            os.close(fd)

    def _lead(self, name: str, entries: list[dict], commit: Callable[[Group], list[Any]], alone: bool = False) -> Any:
        group = Group(self, name, entries, alone)
        try:
            outcomes = commit(group)
        except OSError as exc:  # the disk: it fails every write of the commit alike
            self._tell(group.claimed, {"error": exc.errno, "message": exc.strerror or str(exc)})
            raise
        except Exception:
            if not group.claimed:
                raise
            # Maybe one write's entries are at fault: every write of the group tries again alone.
            self._tell(group.claimed, {"error": None})
            return self._lead(name, entries, commit, alone=True)
        except BaseException:
            self._tell(group.claimed, {"error": None})
            raise
        for ticket, outcome in zip(group.claimed, outcomes[1:], strict=True):
            self._tell([ticket], {"ok": outcome})
        self._sweep()
        return outcomes[0]

    def _tell(self, tickets: list[str], outcome: dict) -> None:
        for ticket in tickets:
            self._atomic_write(ticket + RESULT, json.dumps(outcome, ensure_ascii=False))

    def _outcome(self, name: str) -> dict | None:
        path = self.directory / (name + RESULT)
        try:
            outcome = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        path.unlink()
        return outcome

    def _peek(self, name: str) -> bool:
        return (self.directory / (name + RESULT)).exists()

    def _withdraw(self, name: str) -> bool:
        """Take this write's entries out of reach of leaders; False if one claimed them already."""
        try:
            (self.directory / (name + ENTRIES)).unlink()
        except FileNotFoundError:
            return False
        return True

    def _older_held(self, name: str) -> bool:
        return any(_held(self.directory / older) for older in self.tickets() if older < name)

    def _atomic_write(self, filename: str, text: str) -> None:
        temporary = self.directory / (filename + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.rename(temporary, self.directory / filename)

    def _sweep(self) -> None:
        """Remove what writers killed mid-write left behind (old files with no live ticket)."""
        live = set(self.tickets())
        cutoff = time.time() - STALE_AFTER
        for entry in os.listdir(self.directory):
            if "." in entry and entry.split(".", 1)[0] not in live:
                with contextlib.suppress(FileNotFoundError):
                    if (self.directory / entry).stat().st_mtime < cutoff:
                        (self.directory / entry).unlink()


def _held(path: Path) -> bool:
    """Whether a live writer holds the ticket *path*; a dead writer's ticket is removed."""
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
