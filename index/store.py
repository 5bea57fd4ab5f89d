"""Where the index lives on disk: generations, the live pointer, and the write journal.

Layout of ``index.path``::

    CURRENT            name of the live generation (replaced atomically)
    gen-000001/        a complete Whoosh index, and FORMAT: its format version (index/version.py),
                       and in cluster mode SEQ: the last change of the log it holds (index/follower.py)
    gen-000002/        ...
    journal.ndjson     every incremental write (add, upsert, delete), in order
    build.lock         held (flock) while a full build runs

A full build writes a new generation beside the live one and then replaces
``CURRENT``: readers never see a half-built index, and a build that dies
leaves the live generation untouched.  Incremental writes (``index add``,
``index delete``, the API) go to the live generation under Whoosh's writer
lock and are also appended to the journal, which every rebuild replays, so an
acknowledged write survives rebuilds.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index

from index.codec import CompactCodec
from index.impacts import ImpactParams
from index.joining import JoiningWriter
from index.schema import build_schema
from index.version import READABLE, READS, read_format, write_format

_GEN_RE = re.compile(r"^gen-(\d{6,})$")
_OPEN_ATTEMPTS = 10
SEQ_FILE = "SEQ"


def open_writer(ix: whoosh_index.Index, **kwargs):
    """A Whoosh writer on *ix* that writes (and merges into) the compact codec.

    Segments stay separate files (``compound=False``): a reader opens a compound
    segment as ``BytesIO`` copies of its parts, so each serving worker held the
    whole index in its own memory (1 GB RSS per worker on 100,000 articles, 466
    MB of index); separate files are read through the page cache, shared by all.
    """
    kwargs.setdefault("compound", False)
    return ix.writer(codec=CompactCodec(), **kwargs)


def open_build_writer(ix: whoosh_index.Index, procs: int, **kwargs):
    """:func:`open_writer` over *procs* processes, whose segments are joined into one at the
    commit (:mod:`index.joining`)."""
    kwargs.setdefault("compound", False)
    return JoiningWriter(ix, procs, codec=CompactCodec(), **kwargs)


class IndexMissing(FileNotFoundError):
    """No index has been built at this path yet."""


class IndexOutdated(IndexMissing):
    """The live generation was written in another index format: it must be rebuilt, not misread."""


class BuildBusy(RuntimeError):
    """Another full build is running on this index."""


class IndexStore:
    """The generations of one index directory."""

    def __init__(self, path: Path):
        self.path = Path(path)

    # --- reading the live generation ----------------------------------------------

    @property
    def current_file(self) -> Path:
        return self.path / "CURRENT"

    @property
    def journal_file(self) -> Path:
        return self.path / "journal.ndjson"

    def current(self) -> str | None:
        """Name of the live generation, or None before the first build."""
        try:
            name = self.current_file.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        return name if _GEN_RE.match(name) and (self.path / name).is_dir() else None

    def exists(self) -> bool:
        return self.current() is not None

    def open(self, name: str | None = None) -> whoosh_index.FileIndex:
        """The Whoosh index of generation *name* (default: the live one)."""
        name = name or self.current()
        if name is None:
            raise IndexMissing(f"no index at {self.path}: run `python -m index build` first")
        found = read_format(self.path / name)
        if found not in READABLE and (self.path / name).is_dir():  # a folder gone is open_dir's error
            raise IndexOutdated(
                f"the index at {self.path / name} is in format {found or 'unknown'}, this version reads "
                f"format {READS}: run `python -m index build` to rebuild it from the sources"
            )
        attempts = 0
        while True:
            try:
                return whoosh_index.open_dir(str(self.path / name))
            except FileNotFoundError:
                # A commit in another process replaced the table of contents between open_dir's
                # listing and its reading it (~1 open in 2,000 while writes stream in); Whoosh's
                # own reader() retries the same way.  A generation that is really gone still fails.
                attempts += 1
                if attempts == _OPEN_ATTEMPTS or not (self.path / name).is_dir():
                    raise
                time.sleep(0.01 * attempts)

    def generations(self) -> list[str]:
        if not self.path.is_dir():
            return []
        names = [p.name for p in self.path.iterdir() if p.is_dir() and _GEN_RE.match(p.name)]
        return sorted(names, key=lambda n: int(_GEN_RE.match(n).group(1)))

    # --- full builds ---------------------------------------------------------------

    @contextmanager
    def build_lock(self) -> Iterator[None]:
        """Hold the build lock; a crashed build's lock is released by the kernel."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / "build.lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BuildBusy(f"another build is running on {self.path}") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def new_generation(self, impacts: ImpactParams | None = None) -> tuple[str, whoosh_index.FileIndex]:
        """Create an empty generation (call with the build lock held); *impacts*: what its
        impact views are computed with (index/impacts.py)."""
        self.remove_unpublished()
        existing = self.generations()
        number = int(_GEN_RE.match(existing[-1]).group(1)) + 1 if existing else 1
        name = f"gen-{number:06d}"
        directory = self.path / name
        directory.mkdir(parents=True)
        write_format(directory)
        return name, whoosh_index.create_in(str(directory), build_schema(impacts))

    def publish(self, name: str, keep: int = 2) -> None:
        """Make generation *name* live, atomically, then prune old generations."""
        tmp = self.path / "CURRENT.tmp"
        with open(tmp, "w", encoding="ascii") as handle:
            handle.write(name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.current_file)
        fsync_path(self.path)
        self.prune(keep)

    def prune(self, keep: int) -> None:
        """Delete all but the newest *keep* published generations."""
        current = self.current()
        names = [n for n in self.generations() if current and n <= current]
        for name in names[: max(0, len(names) - max(keep, 1))]:
            shutil.rmtree(self.path / name, ignore_errors=True)

    def remove_unpublished(self) -> None:
        """Remove generations newer than the live one: leftovers of builds that died."""
        current = self.current()
        for name in self.generations():
            if current is None or name > current:
                shutil.rmtree(self.path / name, ignore_errors=True)

    # --- the journal of incremental writes ---------------------------------------------

    def journal_append(self, entries: list[dict]) -> int:
        """Append *entries* durably; returns the journal's size before them (for undo)."""
        self.path.mkdir(parents=True, exist_ok=True)
        data = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries).encode("utf-8")
        with open(self.journal_file, "a+b") as handle:
            start = handle.seek(0, os.SEEK_END)
            if start:
                handle.seek(start - 1)
                if handle.read(1) != b"\n":
                    # A crash cut the last append short (never acknowledged). Without a line break the
                    # next entry would be glued to it, unreadable, and skipped by every replay.
                    data = b"\n" + data
            try:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            except OSError:
                handle.truncate(start)
                raise
        return start

    def journal_truncate(self, size: int) -> None:
        """Undo appends after *size* (their commit failed, so they were never acknowledged)."""
        with open(self.journal_file, "ab") as handle:
            handle.truncate(size)
            os.fsync(handle.fileno())

    def journal_size(self) -> int:
        try:
            return self.journal_file.stat().st_size
        except FileNotFoundError:
            return 0

    def journal_entries(self, start: int = 0, end: int | None = None) -> Iterator[dict]:
        """Entries of the complete lines from byte *start* (a line boundary) up to byte *end*."""
        yield from self.journal_read(start, end)[0]

    def journal_read(self, start: int = 0, end: int | None = None) -> tuple[list[dict], int]:
        """(entries, offset): the entries of the complete lines from byte *start* (a line boundary)
        up to byte *end*, and the offset just after the last complete line, where the next read
        must start.  A line without its line break is not consumed: a crash cut it (it was never
        acknowledged), or it is still being written, so an *end* taken from the file's size while
        another process appends never splits an entry between two reads and loses it.
        """
        try:
            with open(self.journal_file, "rb") as handle:
                handle.seek(start)
                data = handle.read(None if end is None else max(0, end - start))
        except FileNotFoundError:
            return [], start
        complete = data[: data.rfind(b"\n") + 1]
        entries = []
        for line in complete.splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue  # a line cut by a crash mid-append, followed by later appends
        return entries, start + len(complete)

    # --- cluster mode: how far along the change log a generation is ----------------------------

    def applied_seq(self, name: str | None = None) -> int:
        """The last change of the cluster's log that generation *name* (default: the live one) holds; 0: none."""
        name = name or self.current()
        if name is None:
            return 0
        try:
            text = (self.path / name / SEQ_FILE).read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return 0
        return int(text) if text.isdigit() else 0

    def set_applied_seq(self, name: str, seq: int) -> None:
        """Record that generation *name* holds the log up to *seq* (written after the commit that applied it:
        the file may lag the index by one batch after a crash, which re-applying, idempotent, repairs)."""
        folder = self.path / name
        tmp = folder / (SEQ_FILE + ".tmp")
        with open(tmp, "w", encoding="ascii") as handle:
            handle.write(f"{seq}\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, folder / SEQ_FILE)

    def size_on_disk(self, name: str | None = None) -> int:
        name = name or self.current()
        if name is None:
            return 0
        return sum(f.stat().st_size for f in (self.path / name).iterdir() if f.is_file())


def fsync_path(path: Path) -> None:
    """Flush a file or a directory (its entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
