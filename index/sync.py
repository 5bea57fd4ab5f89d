"""Keeping the index in step with the archive folder: only the difference is written.

``python -m index sync [SOURCES...]`` reads every record of the sources (parsing
only: no word segmentation) and compares it with what the index holds, by id:

* an id the index does not hold is **added**;
* an id whose stored ``digest`` (a hash of the parsed article) or ``origin``
  (the source file it was read from) differs is **replaced**;
* an article whose origin lies within the sources (a file named, or any file
  under a folder named) but whose id was not read this time is **deleted**: its
  file is gone, or its record left its JSON Lines file.  An article whose file
  could not be read whole this time (a broken record: see the problems) is kept,
  and so is every article written through the API (no origin) or read from a
  file outside the sources.

The changes go through :func:`index.writer.write`, the path of ``index add``
and the API: one journalled commit, so an acknowledged sync survives rebuilds,
and a sync interrupted before its commit has written nothing.  The sources
are the source of truth for the ids they hold: an article edited through the
API that a source file also holds is replaced by the file's version at the
next sync.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from index.sources import Problem, expand, read_with_origins
from index.store import IndexStore
from index.writer import delete_entry, upsert_entry, write


class SyncStopped(Exception):
    """A stop was asked for while the sources were being read: nothing was written."""


@dataclass
class SyncReport:
    added: int = 0
    replaced: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: int = 0  # records that could not be read
    duplicates: int = 0  # records whose id an earlier record of the sources had
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list, repr=False)  # the writes, in journal form

    @property
    def changes(self) -> int:
        return self.added + self.replaced + self.deleted

    def summary(self) -> str:
        line = (
            f"added {self.added}, replaced {self.replaced}, deleted {self.deleted}, "
            f"unchanged {self.unchanged}, skipped {self.skipped}"
        )
        if self.duplicates:
            line += f" ({self.duplicates} duplicate ids ignored)"
        return line


def indexed_articles(store: IndexStore) -> dict[str, tuple[str, bytes]]:
    """Id -> (origin, digest) of every article of the live generation, read from columns only.

    Without an index this raises :class:`index.store.IndexMissing`: a sync does not stand in for the first
    build, which would put the whole archive in the journal, replayed by every rebuild.
    """
    ix = store.open()
    with ix.reader() as reader:
        ids = reader.column_reader("id")
        origins = reader.column_reader("origin")
        digests = reader.column_reader("digest")
        return {ids[docnum]: (origins[docnum].decode("utf-8"), digests[docnum]) for docnum in reader.all_doc_ids()}


def plan(
    store: IndexStore,
    sources: Iterable[str | Path],
    *,
    portal_source: str = "hnp",
    on_record: Callable[[], None] = lambda: None,
    on_problem: Callable[[Problem], None] | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> SyncReport:
    """What a sync of *sources* would write (in ``report.entries``), without writing it.

    *on_record* is called once per record read (a progress bar); *stop* is asked
    between records and :class:`SyncStopped` raised when it says so.
    """
    started = time.perf_counter()
    sources = list(sources)
    files = expand(sources)  # a missing source is an error: never read "gone" as "delete all"
    scope = [str(Path(s).resolve()) for s in sources]
    indexed = indexed_articles(store)
    report = SyncReport()
    seen: set[str] = set()
    unreadable: set[str] = set()  # origins with a broken record: their missing ids may be in it
    # A warning comes before its record, and is reported only if the record is written: a watch
    # would otherwise repeat every warning of the archive each round.
    warnings: list[Problem] = []
    for origin, item in read_with_origins(files, portal_source):
        if stop():
            raise SyncStopped
        if isinstance(item, Problem):
            if not item.skipped:
                warnings.append(item)
                continue
            report.problems.append(item)
            report.skipped += 1
            unreadable.add(origin)
            on_record()
            if on_problem:
                on_problem(item)
            continue
        on_record()
        held, warnings = warnings, []
        if item.id in seen:
            report.duplicates += 1
            continue
        seen.add(item.id)
        known = indexed.get(item.id)
        if known == (origin, item.digest()):
            report.unchanged += 1
            continue
        report.problems.extend(held)
        if on_problem:
            for problem in held:
                on_problem(problem)
        if known is None:
            report.added += 1
        else:
            report.replaced += 1
        report.entries.append(upsert_entry(item, origin))
    for doc_id, (origin, _) in indexed.items():
        if doc_id not in seen and origin not in unreadable and _within(origin, scope):
            report.deleted += 1
            report.entries.append(delete_entry(doc_id))
    report.seconds = time.perf_counter() - started
    return report


def _within(origin: str, scope: list[str]) -> bool:
    """Whether the file *origin* is one of the sources or lies under one of them (absolute paths)."""
    if not origin:
        return False  # written through the API: no source owns it
    return any(origin == source or origin.startswith(source.rstrip(os.sep) + os.sep) for source in scope)


def sync(
    store: IndexStore,
    sources: Iterable[str | Path],
    *,
    portal_source: str = "hnp",
    write_timeout: float = 30.0,
    dry_run: bool = False,
    on_record: Callable[[], None] = lambda: None,
    on_problem: Callable[[Problem], None] | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> SyncReport:
    """Bring the index in step with *sources* in one commit (none when nothing changed or *dry_run*)."""
    started = time.perf_counter()
    report = plan(store, sources, portal_source=portal_source, on_record=on_record, on_problem=on_problem, stop=stop)
    if report.entries and not dry_run:
        write(store, report.entries, write_timeout)
    report.seconds = time.perf_counter() - started
    return report
