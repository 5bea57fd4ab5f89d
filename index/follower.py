"""Cluster mode on a search node: the follower that applies the log of record to this node's index,
and rebuilds that read the articles from the database instead of source files.

**Where it runs.**  ``python -m index follow --config C``: one process per node, which
``python -m api`` starts beside gunicorn in cluster mode (and which dies with it).  A process of
its own rather than a thread in a gunicorn worker: applying changes means word segmentation
(CPU, under the GIL) and index commits, which would stall that worker's searches; and it is
simple to reason about: one process, one loop, one writer of the index.  A second follower on
the same index folder (an operator running it by hand) exits at once: it holds ``follower.lock``
(``flock``, released by the kernel when the process dies, even by ``kill -9``).

**The loop.**  Read the live generation's sequence (its ``SEQ`` file, index/store.py); fetch
the next ``cluster.batch`` changes after it; apply them through :func:`index.writer.apply_log`
(one commit, then ``SEQ``); repeat until none are left; then wait for a ``NOTIFY`` of the next
commit (or ``cluster.poll_seconds``).  Every change is a whole article or a delete, so applying
a change twice is harmless: a crash between a commit and its ``SEQ`` re-applies that batch and
ends in the same state, and a restart resumes from ``SEQ``.

**When PostgreSQL is unreachable** the index is left as it is (searches go on), the status
says so, and the follower tries again every ``cluster.poll_seconds``; it catches up when the
database returns.

**Status.**  After each round the follower writes ``FOLLOWER.json`` in the index folder:
its pid, the sequence applied, the log's head, the lag in changes and seconds, and whether the
database answered.  ``/api/health`` reads it (api/cluster.py): the workers need no database
connection to report lag.

**Joining and rebuilding.**  A follower that finds no index and a snapshot folder
(``cluster.snapshots``) starts from the newest snapshot (index/snapshot.py).  :func:`rebuild`
(``python -m index build`` in cluster mode) reads the ``articles`` table in one consistent
snapshot with the sequence it was read at, builds a new generation beside the live one, applies
the changes committed meanwhile, and switches: nothing written during the build is lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from index.article import Article
from index.changelog import CHANNEL, ChangeLog, DatabaseUnavailable, connect
from index.impacts import ImpactParams
from index.schema import to_document
from index.store import IndexStore, open_build_writer, open_writer
from index.writer import apply_batches, apply_log

log = logging.getLogger("index.follower")

STATUS_FILE = "FOLLOWER.json"
LOCK_FILE = "follower.lock"


class FollowerRunning(RuntimeError):
    """Another follower holds this index folder."""


@contextlib.contextmanager
def follower_lock(store: IndexStore) -> Iterator[None]:
    store.path.mkdir(parents=True, exist_ok=True)
    with open(store.path / LOCK_FILE, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FollowerRunning(f"another follower is applying the log to {store.path}") from None
        yield


@dataclass
class Status:
    """What the follower last knew; ``FOLLOWER.json``."""

    pid: int
    applied: int
    head: int
    lag_changes: int
    lag_seconds: float
    checked_at: float  # unix time of this status
    database: str  # "ok", or why it could not be read

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def write_status(store: IndexStore, status: Status) -> None:
    tmp = store.path / (STATUS_FILE + ".tmp")
    tmp.write_text(json.dumps(status.as_dict()), encoding="utf-8")
    os.replace(tmp, store.path / STATUS_FILE)


def read_status(store: IndexStore) -> dict | None:
    try:
        found = json.loads((store.path / STATUS_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return found if isinstance(found, dict) else None


class Follower:
    """Applies *changelog* to *store* until :meth:`stop` (see the module's docstring)."""

    def __init__(
        self,
        store: IndexStore,
        changelog: ChangeLog,
        *,
        batch: int = 500,
        poll_seconds: float = 1.0,
        commit_interval: float = 0.0,
        write_timeout: float = 30.0,
        snapshots: Path | None = None,
        keep: int = 2,
    ):
        self.store = store
        self.changelog = changelog
        self.batch = max(1, batch)
        self.poll_seconds = poll_seconds
        self.commit_interval = commit_interval
        self.write_timeout = write_timeout
        self.snapshots = snapshots
        self.keep = keep
        self._stop = threading.Event()
        self._listener: psycopg.Connection | None = None
        self._head = 0

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        with follower_lock(self.store):
            self._join()
            while not self._stop.is_set():
                try:
                    self._listen()
                    started = time.monotonic()
                    if self.step():
                        # More may be waiting: let it gather for the rest of the interval, so a stream
                        # of single writes becomes a few larger commits (each commit costs a segment,
                        # and every 16th or so a merge), then go on without waiting for a notification.
                        self._stop.wait(max(0.0, started + self.commit_interval - time.monotonic()))
                        continue
                    self._wait()
                except DatabaseUnavailable as exc:
                    self._close_listener()
                    self._report(str(exc))
                    log.warning("%s; serving what the index holds, trying again in %g s", exc, self.poll_seconds)
                    self._stop.wait(self.poll_seconds)
                except Exception:
                    # The index refused the batch (disk full, busy past index.write_timeout, a format to
                    # rebuild): nothing of it was applied.  Keep trying; the growing lag takes the node
                    # out of the balancer meanwhile, and the log says why.
                    log.exception("applying the log failed; trying again in %g s", self.poll_seconds)
                    self._report("ok")
                    self._stop.wait(self.poll_seconds)
            self._close_listener()

    def step(self) -> int:
        """Apply the next batch of changes, if any; returns how many were fetched (0: caught up)."""
        applied = self.store.applied_seq()
        changes = self.changelog.changes_after(applied, self.batch)
        # The log has no gaps (index/changelog.py); stop at one rather than skip a change.
        contiguous = [c for i, c in enumerate(changes) if c[0] == applied + 1 + i]
        if contiguous:
            apply_log(self.store, contiguous, self.write_timeout)
        self._report("ok")
        return len(contiguous)

    def _report(self, database: str) -> None:
        applied = self.store.applied_seq()
        lag_seconds = 0.0
        if database == "ok":
            with contextlib.suppress(DatabaseUnavailable):
                self._head, lag_seconds = self.changelog.position(applied)
        head = max(self._head, applied)
        status = Status(os.getpid(), applied, head, head - applied, lag_seconds, time.time(), database)
        with contextlib.suppress(OSError):  # a status not written is only stale; the index is what counts
            write_status(self.store, status)

    def _join(self) -> None:
        if self.store.current() is not None or self.snapshots is None:
            return
        from index.snapshot import newest, restore

        found = newest(self.snapshots)
        if found is not None:
            name, seq = restore(self.store, found, keep=self.keep)
            log.info("started from snapshot %s: generation %s at sequence %d", found, name, seq)

    def _listen(self) -> None:
        if self._listener is None:
            conn = connect(self.changelog.url)
            try:
                conn.execute(f"LISTEN {CHANNEL}")
            except psycopg.Error as exc:
                conn.close()
                raise DatabaseUnavailable(f"the database of record failed: {exc}") from None
            self._listener = conn

    def _wait(self) -> None:
        """Until a commit is announced, :attr:`poll_seconds` pass, or :meth:`stop`."""
        deadline = time.monotonic() + self.poll_seconds
        while not self._stop.is_set() and (left := deadline - time.monotonic()) > 0:
            try:
                # Short waits, so a stop is seen promptly; notifications that came meanwhile are queued.
                for _ in self._listener.notifies(timeout=min(left, 0.25), stop_after=1):
                    return
            except psycopg.Error as exc:
                raise DatabaseUnavailable(f"the database of record failed: {exc}") from None

    def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                self._listener.close()
            self._listener = None


@dataclass
class RebuildReport:
    generation: str = ""
    indexed: int = 0
    read_at: int = 0  # the log sequence the articles were read at
    caught_up: int = 0  # changes committed during the build, applied before the switch
    seq: int = 0  # the new generation's sequence when it went live
    seconds: float = 0.0


def rebuild(
    store: IndexStore,
    changelog: ChangeLog,
    *,
    procs: int = 2,
    memory_mb: int = 256,
    keep: int = 2,
    write_timeout: float = 30.0,
    batch: int = 500,
    impacts: ImpactParams | None = None,
) -> RebuildReport:
    """A new generation from the ``articles`` table, brought up to the log's head, then made live.
    *impacts*: the ranking settings its impact views are computed with (index/impacts.py), with
    the declared average lengths (the table's rows are read once, as they stream)."""
    from index.build import helpers_die_with_the_build

    started = time.perf_counter()
    report = RebuildReport()
    with store.build_lock(), helpers_die_with_the_build():
        name, ix = store.new_generation(impacts)
        report.generation = name
        try:
            report.read_at, count, rows = changelog.articles()
            # One segment, as a full build leaves (index/joining.py): a node rebuilt from the
            # table serves as fast as one built from files.
            writer = (
                open_build_writer(ix, procs, limitmb=memory_mb)
                if procs > 1 and count > 200
                else open_writer(ix, limitmb=memory_mb)
            )
            try:
                for article, origin in rows:
                    writer.add_document(**to_document(Article.from_json(article), origin))
                    report.indexed += 1
                writer.commit()
            except BaseException:
                with contextlib.suppress(Exception):
                    writer.cancel()
                raise
            store.set_applied_seq(name, report.read_at)
            # What was committed during the build, up to the log's head now; then, while the live
            # generation's writer lock holds the follower, up to where the live generation is, so
            # readers never see the index go back.  Later changes are the follower's, on the new
            # generation.  (Catching up "until nothing is left" would never end under steady writes.)
            report.caught_up = _catch_up(store, name, changelog, batch, upto=changelog.position(0)[0])
            live = store.current()
            live_writer = open_writer(store.open(live), timeout=write_timeout, delay=0.05) if live else None
            try:
                if live is not None:
                    report.caught_up += _catch_up(store, name, changelog, batch, upto=store.applied_seq(live))
                store.publish(name, keep)
            finally:
                if live_writer is not None:
                    live_writer.cancel()
        except BaseException:
            if store.current() != name:
                store.remove_unpublished()
            raise
    report.seq = store.applied_seq(name)
    report.seconds = time.perf_counter() - started
    return report


def _catch_up(store: IndexStore, name: str, changelog: ChangeLog, batch: int, upto: int) -> int:
    """Apply to (not yet live) generation *name* the changes after its sequence up to *upto*; returns how many."""
    total = 0
    while (applied := store.applied_seq(name)) < upto:
        changes = [c for c in changelog.changes_after(applied, min(batch, upto - applied)) if c[0] <= upto]
        if not changes:
            return total
        writer = open_writer(store.open(name))
        try:
            apply_batches(writer, [[entry for _, entry in changes]])
            writer.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                writer.cancel()
            raise
        store.set_applied_seq(name, changes[-1][0])
        total += len(changes)
    return total
