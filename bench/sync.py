"""What ``python -m index sync`` costs against a build: nothing changed, and a few hundred changes.

    .venv/bin/python bench/sync.py               # news-00: 10,000 articles
    .venv/bin/python bench/sync.py --files 10    # all 100,000 articles

Copies the corpus files into an archive folder under var/bench/ (outside the
repository), builds it with the real build code (two processes, as the
config's ``index.procs``), then times the real sync code (:func:`index.sync.sync`,
what ``python -m index sync`` runs):

1. nothing changed;
2. ``--new`` new articles (a new JSON Lines file of records from a corpus file
   not in the archive) and ``--changed`` changed ones (a sentence added to the
   body of records of the first file, which is rewritten whole, as a scraper
   rewrites its output);
3. nothing changed again;
4. nothing changed, through ``python -m index sync`` in a new process, which
   also counts the records for its progress bar.

``--reuse`` skips the copy and the build and runs the syncs on the archive
and index of an earlier run (another round of changes).

Each sync's counts are checked against what was changed.  The corpus, machine
and command are printed with the table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus"


def records_of(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_gz(path: Path, records: list[dict]) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1, help="corpus files in the archive (1 = news-00, 10 = all)")
    parser.add_argument("--new", type=int, default=100, help="new articles for the second sync")
    parser.add_argument("--changed", type=int, default=100, help="changed articles for the second sync")
    parser.add_argument("--procs", type=int, default=2, help="build processes (index.procs)")
    parser.add_argument("--reuse", action="store_true", help="sync the archive and index of an earlier run, no build")
    args = parser.parse_args()

    from index.build import build
    from index.store import IndexStore
    from index.sync import indexed_articles, sync

    target = ROOT / "var" / "bench" / f"sync-{args.files}"
    archive = target / "archive"
    files = [CORPUS / f"news-{i:02d}.jsonl.gz" for i in range(args.files)]
    store = IndexStore(target / "index")
    rows: list[tuple[str, float, str]] = []
    if args.reuse and store.exists():
        count = len(indexed_articles(store))
    else:
        shutil.rmtree(target, ignore_errors=True)
        archive.mkdir(parents=True)
        for path in files:
            shutil.copy(path, archive)
        started = time.perf_counter()
        count = build(store, [archive], procs=args.procs, progress=False).indexed
        rows.append(("build", time.perf_counter() - started, f"{count:,} indexed"))

    def timed(label: str, expected: dict[str, int]) -> None:
        started = time.perf_counter()
        report = sync(store, [archive])
        seconds = time.perf_counter() - started
        got = {k: getattr(report, k) for k in ("added", "replaced", "deleted", "unchanged", "skipped")}
        if any(got[k] != v for k, v in expected.items()):
            raise SystemExit(f"{label}: expected {expected}, got {report.summary()}")
        rows.append((label, seconds, report.summary()))

    unchanged = {"added": 0, "replaced": 0, "deleted": 0, "unchanged": count}
    timed("sync, nothing changed", unchanged)

    first = archive / files[0].name
    records = records_of(first)
    for record in records[: args.changed]:
        record["body"] = (record.get("body") or "") + "\nBài viết đã được cập nhật."
    write_gz(first, records)
    spare = CORPUS / f"news-{args.files % 10:02d}.jsonl.gz"  # a file not in the archive (or news-00 again)
    round_ = len(list(archive.glob("new-*.jsonl.gz")))  # --reuse: earlier rounds' new articles are there
    fresh = [dict(r, id=f"new{round_}-{r['id']}") for r in records_of(spare)[: args.new]]
    write_gz(archive / f"new-{round_}.jsonl.gz", fresh)
    timed(
        f"sync, {args.new} new and {args.changed} changed",
        {"added": args.new, "replaced": args.changed, "deleted": 0, "unchanged": count - args.changed},
    )
    count += args.new
    timed("sync, nothing changed again", {**unchanged, "unchanged": count})

    # The command an operator schedules: a new process, and the records counted for its progress bar.
    config = target / "config.toml"
    config.write_text(f'[index]\npath = "{store.path}"\nsources = ["{archive}"]\n', encoding="utf-8")
    started = time.perf_counter()
    command = [sys.executable, "-m", "index", "sync", "--quiet", "--config", str(config)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    rows.append(
        ("`python -m index sync`, nothing changed", time.perf_counter() - started, done.stdout.split(" in ")[0])
    )

    label = "news-00" if args.files == 1 else f"news-00..news-{args.files - 1:02d}"
    print(f"corpus: {label} in {len(files)} JSON Lines file(s), {count:,} articles after the syncs")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"command: .venv/bin/python bench/sync.py {' '.join(sys.argv[1:])}".rstrip())
    print()
    print("| step | seconds | result |")
    print("|---|---:|---|")
    for step, seconds, result in rows:
        print(f"| {step} | {seconds:.1f} | {result} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
