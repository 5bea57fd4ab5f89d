"""Full builds: sources into a fresh generation, journal replayed, then switched in atomically."""

from __future__ import annotations

import contextlib
import ctypes
import gzip
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from whoosh.index import LockError

from index.impacts import ImpactParams, average_lengths
from index.schema import to_document
from index.sources import Problem, expand, read_with_origins
from index.store import IndexOutdated, IndexStore, open_build_writer, open_writer
from index.writer import WriteFailed, apply_entries, write_failed


@dataclass
class BuildReport:
    generation: str = ""
    indexed: int = 0
    skipped: int = 0
    warnings: int = 0
    duplicates: int = 0
    replayed: int = 0
    seconds: float = 0.0
    input_bytes: int = 0
    problems: list[Problem] = field(default_factory=list)


def count_records(paths: Iterable[Path]) -> int:
    """How many records the files hold (lines of JSON Lines, one per portal file)."""
    total = 0
    for path in paths:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                total += sum(1 for line in handle if line.strip())
        elif path.name.lower().endswith(".jsonl"):
            with open(path, "rb") as handle:
                total += sum(1 for line in handle if line.strip())
        else:
            total += 1
    return total


def input_size(paths: Iterable[Path]) -> int:
    """Uncompressed bytes of input (for MB/s)."""
    size = 0
    for path in paths:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    size += len(chunk)
        else:
            size += path.stat().st_size
    return size


def build(
    store: IndexStore,
    sources: list[str | Path],
    *,
    procs: int = 2,
    memory_mb: int = 256,
    keep: int = 2,
    portal_source: str = "hnp",
    write_timeout: float = 30.0,
    progress: bool = True,
    on_problem: Callable[[Problem], None] | None = None,
    impacts: ImpactParams | None = None,
) -> BuildReport:
    """Index *sources* into a new generation and make it live; the old one serves until then.
    *impacts*: the ranking settings the impact views are computed with (index/impacts.py; the
    settings' defaults when None), their average lengths measured here on the articles."""
    started = time.perf_counter()
    report = BuildReport()
    files = expand(sources)  # fail early on a missing path, before any work
    total = count_records(files)
    report.input_bytes = sum(f.stat().st_size for f in files)
    # A first look at a sample of the articles, for the impact views' average lengths: a build
    # of 100,000 articles reads them in about 25 s more (BENCHMARKS.md, issue 16's twenty-second round).
    articles = (item for _, item in read_with_origins(files, portal_source) if not isinstance(item, Problem))
    params = replace(impacts or ImpactParams.default(), averages=tuple(average_lengths(articles, total).items()))
    with store.build_lock(), helpers_die_with_the_build():
        name, ix = store.new_generation(params)
        report.generation = name
        try:
            # Several processes analyse the articles, each writes a segment, and the segments are
            # joined into one at the commit (index/joining.py): a search reads each term's list
            # once, not once per process (one segment against two: 16 % less CPU per search on
            # news-00, BENCHMARKS.md).
            writer = (
                open_build_writer(ix, procs, limitmb=memory_mb)
                if procs > 1 and total > 200
                else open_writer(ix, limitmb=memory_mb)
            )
            seen: set[str] = set()
            bar = progress_bar(total, progress)
            try:
                for origin, item in read_with_origins(files, portal_source):
                    if isinstance(item, Problem):
                        report.problems.append(item)
                        if item.skipped:
                            report.skipped += 1
                            bar.update(1)
                        else:
                            report.warnings += 1
                        if on_problem:
                            on_problem(item)
                        continue
                    bar.update(1)
                    if item.id in seen:
                        report.duplicates += 1
                        continue
                    seen.add(item.id)
                    writer.add_document(**to_document(item, origin))
                    report.indexed += 1
                bar.set_postfix_str("committing")
                writer.commit()
            except BaseException:
                # After a failed commit the writer is closed and cancel() raises: report the first error.
                with contextlib.suppress(Exception):
                    writer.cancel()
                raise
            finally:
                bar.close()
            report.replayed = _replay_and_publish(store, name, keep, write_timeout)
        except BaseException as exc:
            if store.current() != name:
                # Nothing of a failed build stays behind: on a full disk its files would keep
                # every later write failing too.
                store.remove_unpublished()
            if isinstance(exc, OSError) and not isinstance(exc, WriteFailed):
                raise write_failed(exc) from exc  # "the disk is full; the served index is unchanged"
            raise
    report.seconds = time.perf_counter() - started
    return report


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_building: int | None = None  # while a build's writer is open: that process's pid
_registered = False


@contextlib.contextmanager
def helpers_die_with_the_build() -> Iterator[None]:
    """Make the indexing processes Whoosh forks meanwhile die with the build that forked them.

    They wait for work on a queue whose write end each of them also holds, so after a
    ``kill -9`` of the build (an operator, the OOM killer) they would wait forever, holding
    the build lock and refusing every later build.  Linux's ``PR_SET_PDEATHSIG`` has the
    kernel kill each one with its parent.  Only processes forked while the writer is open
    are touched; it relies on Whoosh forking them from this process (``fork``, Python's
    default start method on Linux up to 3.13).
    """
    global _building, _registered
    if not sys.platform.startswith("linux"):
        yield
        return
    if not _registered:
        libc = ctypes.CDLL(None, use_errno=True)

        def in_child() -> None:
            if _building is not None:
                libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
                if os.getppid() != _building:  # the build died between fork() and prctl()
                    os._exit(1)

        os.register_at_fork(after_in_child=in_child)
        _registered = True
    _building = os.getpid()
    try:
        yield
    finally:
        _building = None


def _replay_and_publish(store: IndexStore, name: str, keep: int, write_timeout: float) -> int:
    """Replay the journal into generation *name*, then make it live.

    Most of the journal is replayed first; the tail is replayed while holding the
    live generation's writer lock, so no incremental write can slip in between
    the replay and the switch.
    """
    new_ix = store.open(name)
    # The file's size may fall inside an entry being appended: journal_read stops at the last
    # complete line and says where the tail starts.
    entries, mark = store.journal_read(0, store.journal_size())
    replayed = _replay(new_ix, entries)
    live = store.current()
    live_writer = None
    if live is not None:
        try:
            live_writer = open_writer(store.open(live), timeout=write_timeout, delay=0.05)
        except IndexOutdated:
            pass  # a generation of an older format takes no writes (store.open refuses it): nothing to hold
        except LockError:
            raise RuntimeError(f"the live index stayed busy for {write_timeout:g} s; build not switched in") from None
    try:
        replayed += _replay(new_ix, store.journal_read(mark)[0])
        store.publish(name, keep)
    finally:
        if live_writer is not None:
            live_writer.cancel()
    return replayed


def _replay(ix, entries: list[dict]) -> int:
    if not entries:
        return 0
    writer = open_writer(ix)
    try:
        apply_entries(writer, entries)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    return len(entries)


class _NoBar:
    def update(self, n: int = 1) -> None: ...
    def set_postfix_str(self, s: str) -> None: ...
    def close(self) -> None: ...


def progress_bar(total: int, enabled: bool):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit=" docs", unit_scale=False, file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
