"""Analysis speed: the CPU a build's processes spend turning articles into terms, A/B.

    .venv/bin/python bench/analysis_speed.py                       # this tree, 1,000 articles of news-00
    .venv/bin/python bench/analysis_speed.py --base ../other-tree  # this tree against another, alternating

Analysing the articles (syllables, their folded and paired views, breaks, pyvi's words) is most
of ``python -m index build``'s CPU.  A build's wall time on this shared machine drifts by a
quarter within minutes (BENCHMARKS.md), more than a change to the analysers moves it; here each
tree analyses the same articles in its own process, as Whoosh's ``SegmentWriter.add_document``
does (every indexed field in name order, ``FieldType.index``), without writing anything, the two
trees taking turns, and the best of each tree's runs is kept.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "news-00.jsonl.gz"


def analyse(tree: Path, articles: int) -> float:
    """CPU seconds the source *tree* takes to analyse the first *articles* of news-00."""
    sys.path.insert(0, str(tree))
    from index.article import Article
    from index.schema import build_schema, to_document

    schema = build_schema()
    documents = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        for line in handle:
            documents.append(to_document(Article.from_json(json.loads(line))))
            if len(documents) == articles:
                break
    started = time.process_time()
    for document in documents:
        for name in sorted(document):
            field = schema[name]
            if field.indexed:
                for _ in field.index(document[name]):
                    pass
    return time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="articles of news-00 analysed")
    parser.add_argument("--base", help="the other source tree (B), with its .venv")
    parser.add_argument("--rounds", type=int, default=4, help="runs of each tree, taking turns")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a run of that tree alone
    args = parser.parse_args()
    if args.one:
        print(analyse(Path(args.one), args.articles))
        return 0
    trees = [ROOT] + ([Path(args.base).resolve()] if args.base else [])
    best: dict[Path, float] = {}
    for round_ in range(args.rounds):
        for tree in trees if round_ % 2 == 0 else trees[::-1]:
            command = [str(tree / ".venv/bin/python"), __file__, "--one", str(tree)]
            found = float(
                subprocess.run(
                    [*command, "--articles", str(args.articles)], capture_output=True, text=True, check=True
                ).stdout
            )
            best[tree] = min(found, best.get(tree, found))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"command: .venv/bin/python bench/analysis_speed.py {' '.join(sys.argv[1:])}".rstrip())
    print(
        f"corpus: the first {args.articles:,} articles of news-00; best of {args.rounds} runs each, trees taking turns"
    )
    print()
    print("| tree | CPU ms an article |")
    print("|---|---:|")
    for tree in trees:
        print(f"| {tree} | {1000 * best[tree] / args.articles:.2f} |")
    if args.base:
        print(f"\nA against B: {100 * (best[trees[0]] / best[trees[1]] - 1):+.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
