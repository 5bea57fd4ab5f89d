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
from dataclasses import asdict, dataclass, field

from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError

from index.article import Article
from index.merging import merge_few
from index.schema import to_document
from index.store import IndexStore, open_writer
from index.writequeue import Group, LeaderFailed, QueueTimeout, WriteQueue


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
    seq: int = 0  # cluster mode: the log sequence number PostgreSQL committed the write as (index/changelog.py)


def upsert_entry(article: Article, origin: str = "") -> dict:
    """A journal entry that adds or replaces *article*, read from source file *origin* if any."""
    entry = {"op": "upsert", "article": article.to_json()}
    if origin:
        entry["origin"] = origin
    return entry


def delete_entry(doc_id: str) -> dict:
    return {"op": "delete", "id": doc_id}


def apply_entries(writer, entries: list[dict]) -> WriteResult:
    """Apply journal *entries* to an open Whoosh *writer* (no commit)."""
    return apply_batches(writer, [entries])[0]


def apply_batches(writer, batches: list[list[dict]]) -> list[WriteResult]:
    """Apply the entries of several writes, in order, to an open Whoosh *writer* (no commit).

    Only the last entry for an id counts: a Whoosh writer does not see its own
    uncommitted documents, so an upsert followed by another upsert (or a delete)
    of the same id in one commit would otherwise leave both copies.  Whether a
    delete found its article is worked out in order, so a delete that follows an
    upsert of the same id in the same commit finds it.
    """
    results = [WriteResult() for _ in batches]
    last: dict[str, dict] = {}
    present: dict[str, bool] = {}
    searcher = None
    for entries, result in zip(batches, results, strict=True):
        for entry in entries:
            if entry.get("op") == "upsert":
                doc_id = entry["article"]["id"]
                present[doc_id] = True
                result.upserted += 1
            elif entry.get("op") == "delete":
                doc_id = entry["id"]
                if doc_id not in present:
                    searcher = searcher or writer.searcher()
                    present[doc_id] = searcher.document_number(id=doc_id) is not None
                if present[doc_id]:
                    result.deleted += 1
                else:
                    result.missing.append(doc_id)
                present[doc_id] = False
            else:
                continue
            last[doc_id] = entry
    for doc_id, entry in last.items():
        if entry["op"] == "upsert":
            document = to_document(Article.from_json(entry["article"]), entry.get("origin", ""))
            # An index built before a field existed (the export column) is written without it:
            # its readers fall back to the stored article.
            writer.update_document(**{k: v for k, v in document.items() if k in writer.schema})
        else:
            writer.delete_by_term("id", doc_id)
    return results


def write(store: IndexStore, entries: list[dict], timeout: float = 30.0) -> WriteResult:
    """Apply *entries* to the live generation and commit; returns once durable and visible.

    Writes take turns in arrival order (:mod:`index.writequeue`), then take
    Whoosh's writer lock; both waits together last at most *timeout* seconds.
    The write whose turn it is commits the writes queued behind it too, in one
    commit (a group commit), so a queue of writes costs about one commit.
    """
    if not entries:
        return WriteResult(generation=store.current() or "")
    deadline = time.monotonic() + timeout
    try:
        outcome = WriteQueue(store.path / "write-queue").submit(
            entries, timeout, lambda group: _write_group(store, group, deadline, timeout)
        )
    except QueueTimeout:
        raise WriterBusy(f"the index is busy with other writes; gave up after {timeout:g} s") from None
    except WriteFailed:
        raise
    except OSError as exc:  # the queue's own files, or a leader's failure: a full or unwritable disk
        if exc.errno is None:
            raise
        raise write_failed(exc) from exc
    return WriteResult(**outcome)


def _write_group(store: IndexStore, group: Group, deadline: float, timeout: float) -> list[dict]:
    while True:
        name = store.current()
        if name is None:
            if not _create_first_generation(store):
                if time.monotonic() > deadline:
                    raise WriterBusy(f"a first build is running; gave up after {timeout:g} s")
                time.sleep(0.1)
            continue
        writer = _live_writer(store, name, deadline, timeout)
        if writer is None:  # a rebuild went live while we waited: write there
            continue
        try:
            batches = [group.entries, *group.claim()]
            start = store.journal_append([entry for batch in batches for entry in batch])
        except BaseException as exc:
            _cancel_quietly(writer)  # whatever failed, the index's writer lock must not stay held
            if isinstance(exc, OSError):
                raise write_failed(exc) from exc
            raise
        try:
            results = apply_batches(writer, batches)
            writer.commit(mergetype=merge_few)
        except BaseException as exc:
            _cancel_quietly(writer)
            store.journal_truncate(start)
            if isinstance(exc, OSError):
                raise write_failed(exc) from exc
            raise
        return [{**asdict(result), "generation": name} for result in results]


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
        raise write_failed(exc) from exc
    return True


def _cancel_quietly(writer) -> None:
    with contextlib.suppress(Exception):  # the original error is the one to report
        writer.cancel()


def _live_writer(store: IndexStore, name: str, deadline: float, timeout: float):
    """A writer of generation *name*, waiting for its lock until *deadline*; None when another
    generation went live meanwhile.  Merged-away segments' files are kept a while
    (:class:`RetiringStorage`): serving workers may still read them."""
    try:
        ix = store.open(name)
        ix.storage = RetiringStorage(ix.storage.folder)
        writer = open_writer(ix, timeout=max(0.1, deadline - time.monotonic()), delay=0.02)
    except LockError:
        raise WriterBusy(f"the index is busy with another write; gave up after {timeout:g} s") from None
    except OSError as exc:
        raise write_failed(exc) from exc
    if store.current() != name:
        writer.cancel()
        return None
    return writer


def write_failed(exc: OSError) -> WriteFailed:
    reasons = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EROFS: "the index is on a read-only file system",
        errno.EACCES: "no permission to write the index",
        errno.EPERM: "no permission to write the index",
    }
    if isinstance(exc, WriteFailed | LeaderFailed):
        return WriteFailed(exc.errno, exc.strerror)  # described already, by this write or its group's leader
    reason = reasons.get(exc.errno, exc.strerror or str(exc))
    return WriteFailed(exc.errno, f"write refused: {reason}; the served index is unchanged")


def apply_log(store: IndexStore, changes: list[tuple[int, dict]], timeout: float = 30.0) -> int:
    """Apply *changes* of the cluster's ordered log, ``(seq, entry)`` in sequence order, to the live
    generation in one commit, and record the last one applied in it; returns the generation's sequence.

    The cluster's follower (index/follower.py) is the only writer of a node's index, so it needs no
    queue: a batch of the log is its group commit.  The live generation's own sequence is read
    under Whoosh's writer lock, and changes it already holds are skipped: a rebuild or a snapshot
    restored meanwhile may have gone live ahead of the batch, which must not be taken back.
    """
    deadline = time.monotonic() + timeout
    while True:
        name = store.current()
        if name is None:
            if _first_generation_from_log(store, changes):
                return changes[-1][0]
            if time.monotonic() > deadline:
                raise WriterBusy(f"a first build is running; gave up after {timeout:g} s")
            time.sleep(0.1)
            continue
        writer = _live_writer(store, name, deadline, timeout)
        if writer is None:  # a rebuild went live while we waited: write there
            continue
        applied = store.applied_seq(name)
        fresh = [entry for seq, entry in changes if seq > applied]
        if not fresh:
            writer.cancel()
            return applied
        try:
            apply_batches(writer, [fresh])
            writer.commit(mergetype=merge_few)
        except BaseException as exc:
            _cancel_quietly(writer)
            if isinstance(exc, OSError):
                raise write_failed(exc) from exc
            raise
        last = changes[-1][0]
        store.set_applied_seq(name, last)
        return last


def _first_generation_from_log(store: IndexStore, changes: list[tuple[int, dict]]) -> bool:
    """A node's first generation, holding *changes*, published only once committed (readers never
    open an empty index).  False if a build is running (the caller waits for its CURRENT)."""
    from index.store import BuildBusy

    try:
        with store.build_lock():
            if store.current() is not None:
                return False  # one went live meanwhile: the caller writes there
            name, ix = store.new_generation()
            writer = open_writer(ix)
            try:
                apply_batches(writer, [[entry for _, entry in changes]])
                writer.commit()
            except BaseException:
                _cancel_quietly(writer)
                store.remove_unpublished()
                raise
            store.set_applied_seq(name, changes[-1][0])
            store.publish(name)
    except BuildBusy:
        return False
    except OSError as exc:
        raise write_failed(exc) from exc
    return True


# Seconds a merged-away segment's files outlive it: longer than any request (search.deadline_ms).
RETIRE_AFTER = 30.0
_retired: dict[tuple[str, str], float] = {}  # (folder, file) -> when a commit first left it unused


class RetiringStorage(FileStorage):
    """Whoosh storage that deletes the files of a segment a merge removed only :data:`RETIRE_AFTER`
    seconds after the commit that removed it.

    A reader opens a segment's column files when it first needs them (the stored articles, say),
    not when it opens the segment; serving workers in other processes read a commit older than
    this one until their next request.  Whoosh deletes a merged-away segment's files at once, so
    such a reader found its stored-fields column gone (a 500: ``'NoneType' object is not
    subscriptable`` in ``stored_fields``), about once in 10,000 searches while the follower
    committed several times a second.  Whoosh proposes every unused file again at each commit;
    one retired long enough is deleted then.  Old tables of contents go at once: no reader opens
    one late.
    """

    def delete_file(self, name: str) -> None:
        if name.endswith(".toc") or name.startswith("_"):
            return super().delete_file(name)
        first = _retired.setdefault((self.folder, name), time.monotonic())
        if time.monotonic() - first >= RETIRE_AFTER:
            super().delete_file(name)
            _retired.pop((self.folder, name), None)
