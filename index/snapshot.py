"""Index snapshots: a complete generation with its log sequence, copied to a folder, from which a
new search node starts instead of re-analysing the archive.

``python -m index snapshot DIR`` copies the live generation to ``DIR/snapshot-<seq>`` (the
sequence zero-padded, so names sort in log order).  The copy is made while holding the
generation's writer lock, so no commit lands half-way through it, into a temporary folder that
is renamed only once complete: a reader of DIR never sees a partial snapshot.  DIR may be a
mount or a synchronised object-store folder shared by the nodes.

A node without an index restores the newest snapshot (the follower does it at start when
``cluster.snapshots`` is set; ``python -m index restore DIR`` by hand): the copy becomes a new
generation, published like a build, and the follower applies the log from its sequence.  A
snapshot of another index format is refused, as a generation would be (index/version.py).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from index.store import SEQ_FILE, IndexOutdated, IndexStore, fsync_path, open_writer
from index.version import READABLE, READS, read_format

_NAME = re.compile(r"^snapshot-(\d{12,})$")
# Whoosh's lock files: held by this process, meaningless in a copy.
_IGNORE = shutil.ignore_patterns("*.lock", "MAIN_WRITELOCK", "*.tmp")


def take(store: IndexStore, directory: Path, timeout: float = 30.0) -> tuple[Path, int]:
    """Copy the live generation to *directory*; returns (snapshot folder, its sequence)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    name = store.current()
    ix = store.open(name)  # IndexMissing / IndexOutdated say what to do
    writer = open_writer(ix, timeout=timeout, delay=0.05)  # no commit while copying
    try:
        seq = store.applied_seq(name)
        final = directory / f"snapshot-{seq:012d}"
        if final.is_dir():
            return final, seq  # the same state was taken before
        tmp = directory / f".{final.name}.{os.getpid()}.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(store.path / name, tmp, ignore=_IGNORE)
        for file in tmp.iterdir():
            fsync_path(file)
        os.rename(tmp, final)
        fsync_path(directory)
    finally:
        writer.cancel()
    return final, seq


def newest(directory: Path) -> Path | None:
    """The snapshot of *directory* with the highest sequence, or None."""
    try:
        found = [p for p in Path(directory).iterdir() if _NAME.match(p.name) and p.is_dir()]
    except FileNotFoundError:
        return None
    return max(found, key=lambda p: int(_NAME.match(p.name).group(1)), default=None)


def restore(store: IndexStore, snapshot: Path, keep: int = 2) -> tuple[str, int]:
    """Make *snapshot* the live generation of *store*; returns (generation, sequence).

    Refused if the live index already holds a later point of the log (it would go back)."""
    found = read_format(snapshot)
    if found not in READABLE:
        raise IndexOutdated(
            f"the snapshot {snapshot} is in index format {found or 'unknown'}, this version reads format "
            f"{READS}: take a new snapshot, or rebuild with `python -m index build`"
        )
    seq = int((snapshot / SEQ_FILE).read_text(encoding="ascii").strip() or 0) if (snapshot / SEQ_FILE).exists() else 0
    with store.build_lock():
        if store.current() is not None and store.applied_seq() > seq:
            raise ValueError(
                f"the index already holds the log up to {store.applied_seq()}, past the snapshot's {seq}: not restored"
            )
        name, _ = store.new_generation()
        target = store.path / name
        shutil.rmtree(target)
        try:
            shutil.copytree(snapshot, target, ignore=_IGNORE)
            store.publish(name, keep)
        except BaseException:
            if store.current() != name:
                store.remove_unpublished()
            raise
    return name, seq
