"""Indexing speed and index size: ``python -m index build`` on the shared corpus.

    .venv/bin/python bench/index_speed.py               # news-00: 10,000 articles
    .venv/bin/python bench/index_speed.py --files 10    # all 100,000 articles

Runs the real build (the code ``python -m index build`` runs, with the
config's two processes) into a fresh directory under var/bench/, and prints
documents per second, input MB per second and the index size against the size
of the text it holds.  The corpus, machine and command are printed with the table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus"


def text_size(files: list[Path]) -> tuple[int, int, int]:
    """(records, characters, UTF-8 bytes) of the text indexed: title, summary, body, captions."""
    records = chars = size = 0
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                parts = [record.get(k) or "" for k in ("title", "summary", "body")]
                text = "".join([*parts, *(record.get("captions") or [])])
                records += 1
                chars += len(text)
                size += len(text.encode("utf-8"))
    return records, chars, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1, help="corpus files to index (1 = news-00, 10 = all)")
    parser.add_argument("--procs", type=int, default=2, help="indexing processes (index.procs)")
    args = parser.parse_args()

    from index.build import build, input_size
    from index.stats import index_stats
    from index.store import IndexStore

    files = [CORPUS / f"news-{i:02d}.jsonl.gz" for i in range(args.files)]
    target = ROOT / "var" / "bench" / f"index-speed-{args.files}"
    shutil.rmtree(target, ignore_errors=True)
    store = IndexStore(target)
    records, chars, text_bytes = text_size(files)
    raw = input_size(files)

    started = time.perf_counter()
    report = build(store, files, procs=args.procs, progress=sys.stderr.isatty())
    seconds = time.perf_counter() - started
    stats = index_stats(store)

    label = "news-00" if args.files == 1 else f"news-00..news-{args.files - 1:02d}"
    print(
        f"corpus: {label}, {records:,} articles, {chars / 1e6:.1f} M characters of text ({text_bytes / 1e6:.1f} MB UTF-8); input {raw / 1e6:.1f} MB of JSON Lines"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; {args.procs} indexing processes"
    )
    print(f"command: .venv/bin/python bench/index_speed.py {' '.join(sys.argv[1:])}".rstrip())
    print()
    print(
        "| articles | seconds | docs/s | input MB/s | index MB | index / text bytes | index / text chars | segments |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {report.indexed:,} | {seconds:.0f} | {report.indexed / seconds:.0f} | {raw / 1e6 / seconds:.2f} "
        f"| {stats.size_bytes / 1e6:.1f} | {stats.size_bytes / text_bytes:.2f} | {stats.size_bytes / chars:.2f} | {stats.segments} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
