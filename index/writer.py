"""Incremental writes: upserts and deletes on the live generation, one writer at a time.

Whoosh allows one writer per index (a file lock); everyone else reads.  A write
that finds the lock taken waits for it, up to ``index.write_timeout`` seconds,
and then fails with :class:`WriterBusy` rather than a raw ``LockError``.  A
write is journalled before it is committed and the journal entry is removed if
the commit fails, so the journal holds exactly the acknowledged writes.
"""

from __future__ import annotations

import contextlib
import errno
import time
from dataclasses import dataclass, field

from whoosh.index import LockError

from index.article import Article
from index.schema import to_document
from index.store import IndexStore, open_writer
from index.writequeue import QueueTimeout, WriteQueue


class WriterBusy(RuntimeError):
    """The index's writer lock was not free within the timeout."""


class WriteFailed(OSError):
    """The disk refused the write (full, read-only, no permission); nothing changed."""


@dataclass
class WriteResult:
    upserted: int = 0
    deleted: int = 0
    missing: list[str] = field(default_factory=list)  # ids asked to be deleted that were not there
    generation: str = ""


def upsert_entry(article: Article) -> dict:
    return {"op": "upsert", "article": article.to_json()}


def delete_entry(doc_id: str) -> dict:
    return {"op": "delete", "id": doc_id}


def apply_entries(writer, entries: list[dict]) -> WriteResult:
    """Apply journal *entries* to an open Whoosh *writer* (no commit).

    Only the last entry for an id counts: a Whoosh writer does not see its own
    uncommitted documents, so an upsert followed by another upsert (or a delete)
    of the same id in one batch would otherwise leave both copies.
    """
    result = WriteResult()
    last: dict[str, dict] = {}
    for entry in entries:
        if entry.get("op") == "upsert":
            last[entry["article"]["id"]] = entry
            result.upserted += 1
        elif entry.get("op") == "delete":
            last[entry["id"]] = entry
    for doc_id, entry in last.items():
        if entry["op"] == "upsert":
            writer.update_document(**to_document(Article.from_json(entry["article"])))
        elif writer.delete_by_term("id", doc_id):
            result.deleted += 1
        else:
            result.missing.append(doc_id)
    return result


def write(store: IndexStore, entries: list[dict], timeout: float = 30.0) -> WriteResult:
    """Apply *entries* to the live generation and commit; returns once durable and visible.

    Writes take turns in arrival order (:mod:`index.writequeue`), then take
    Whoosh's writer lock; both waits together last at most *timeout* seconds.
    """
    if not entries:
        return WriteResult(generation=store.current() or "")
    deadline = time.monotonic() + timeout
    try:
        with WriteQueue(store.path / "write-queue").turn(timeout):
            return _write_in_turn(store, entries, deadline, timeout)
    except QueueTimeout:
        raise WriterBusy(f"the index is busy with other writes; gave up after {timeout:g} s") from None
    except WriteFailed:
        raise
    except OSError as exc:  # the queue's own files: an unwritable or full index directory
        if exc.errno is None:
            raise
        raise _write_failed(exc) from exc


def _write_in_turn(store: IndexStore, entries: list[dict], deadline: float, timeout: float) -> WriteResult:
    while True:
        name = store.current()
        if name is None:
            if not _create_first_generation(store):
                if time.monotonic() > deadline:
                    raise WriterBusy(f"a first build is running; gave up after {timeout:g} s")
                time.sleep(0.1)
            continue
        ix = store.open(name)
        try:
            writer = open_writer(ix, timeout=max(0.1, deadline - time.monotonic()), delay=0.02)
        except LockError:
            raise WriterBusy(f"the index is busy with another write; gave up after {timeout:g} s") from None
        except OSError as exc:
            raise _write_failed(exc) from exc
        if store.current() != name:  # a rebuild went live while we waited: write there
            writer.cancel()
            continue
        try:
            start = store.journal_append(entries)
        except BaseException as exc:
            _cancel_quietly(writer)  # whatever failed, the index's writer lock must not stay held
            if isinstance(exc, OSError):
                raise _write_failed(exc) from exc
            raise
        try:
            result = apply_entries(writer, entries)
            writer.commit()
        except BaseException as exc:
            _cancel_quietly(writer)
            store.journal_truncate(start)
            if isinstance(exc, OSError):
                raise _write_failed(exc) from exc
            raise
        result.generation = name
        return result


def _create_first_generation(store: IndexStore) -> bool:
    """A write before any build: start an empty generation.  False if a build is running."""
    from index.store import BuildBusy

    try:
        with store.build_lock():
            if store.current() is None:
                name, _ = store.new_generation()
                store.publish(name)
    except BuildBusy:
        return False  # the caller waits for the running build's CURRENT
    except OSError as exc:
        raise _write_failed(exc) from exc
    return True


def _cancel_quietly(writer) -> None:
    with contextlib.suppress(Exception):  # the original error is the one to report
        writer.cancel()


def _write_failed(exc: OSError) -> WriteFailed:
    reasons = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EROFS: "the index is on a read-only file system",
        errno.EACCES: "no permission to write the index",
        errno.EPERM: "no permission to write the index",
    }
    reason = reasons.get(exc.errno, exc.strerror or str(exc))
    return WriteFailed(exc.errno, f"write refused: {reason}; the served index is unchanged")
