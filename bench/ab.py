"""A/B of two source trees on the same indexes: what a change buys, measured against drift.

    git worktree add --detach ../base HEAD~1 && ln -s "$PWD/.venv" ../base/.venv
    .venv/bin/python bench/ab.py --base ../base --config NEWS00.toml --config ALL100K.toml
    .venv/bin/python bench/ab.py --config NEW.toml --base-config OLD.toml   # two indexes, this code

This machine's speed drifts by up to a fifth within minutes, so two runs of
``bench/query_speed.py`` a minute apart cannot tell a change of a few per cent.  Here the
tree this file is in (A) and *base* (B) each serve the same queries from their own long-lived
process, pinned to the same core and never running at once: the queries go in batches, each
batch to A and B back to back (in turn A first, then B first), so drift falls on both alike.
The searches are ``query_speed``'s (first page of 10, snippets and facets, evaluation cache
emptied before each, after the warm-up a worker does), and every page is compared: a change
meant to leave results alone is shown to.

Each index gets its pair of processes in turn; each line gives CPU ms per search of A and
of B over the same searches, A against B, and the spread of the batches' own ratios (the
quartiles: a change inside them is not shown).  The same tree as both A and B, four runs on
news-00 (2026-12-06): +2.5, +1.4, -1.2, -1.2 %: a difference under about 3 % is noise.

``--seen`` first runs every search once on both sides, untimed, as ``query_speed --seen`` does:
then the two compare what a search costs in a server that has served the queries before (its
posting lists, scores and readings remembered), where a change to a step those caches hide shows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from query_speed import KINDS  # noqa: E402 - after the path is set
from relevance import load_queries, typed_folded  # noqa: E402 - after the path is set


def queries(limit: int, kinds: tuple[str, ...] = KINDS) -> list[str]:
    """The dev mix as ``query_speed`` runs it: up to *limit* of each kind, kinds interleaved.
    ``question-folded``: the readers' questions as typed with the input method off (folded,
    lower case: ``bench/relevance.py``'s kind of that name)."""
    found, _ = load_queries()
    by_kind: dict[str, list[str]] = {}
    for text, kind in found.values():
        by_kind.setdefault(kind, []).append(text)
        if kind == "question":
            by_kind.setdefault("question-folded", []).append(typed_folded(text))
    lists = [by_kind[kind][: limit or None] for kind in kinds]
    # Interleaved, so that every batch holds every kind and a batch's ratio means something.
    return [texts[i] for i in range(max(map(len, lists))) for texts in lists if i < len(texts)]


def serve(config_path: str, limit: int, kinds: tuple[str, ...]) -> int:
    """A worker: warm up, then run the batches asked for on stdin, answering CPU ms and a digest."""
    from api.server import warm
    from index.settings import load_config
    from search.searcher import Searcher

    config = load_config(config_path)
    # No remembered results: with --seen, a search's second run would be its remembered page.
    searcher = Searcher(
        config.with_overrides(search__result_cache=0, search__shared_result_cache=0, search__deadline_ms=600_000)
    )
    warm(searcher, logging.getLogger("ab"))
    texts = queries(limit, kinds)
    print(json.dumps({"queries": len(texts)}), flush=True)
    for line in sys.stdin:
        start, end = json.loads(line)
        spent, digest = 0.0, hashlib.sha256()
        for text in texts[start:end]:
            searcher._recent.clear()
            began = time.thread_time()
            result = searcher.search(text, per_page=10)
            spent += time.thread_time() - began
            page = [(hit.id, hit.tier, round(hit.score, 3)) for hit in result.hits]
            digest.update(repr((text, result.total, page)).encode())
        print(json.dumps({"ms": spent * 1000, "digest": digest.hexdigest()}), flush=True)
    return 0


class Worker:
    """One tree's serving process, pinned to *core*."""

    def __init__(self, tree: Path, config: str, limit: int, core: int, kinds: tuple[str, ...] = KINDS):
        python = tree / ".venv" / "bin" / "python"
        # --kinds only when asked for: a base tree from before the option runs the dev mix.
        chosen = ["--kinds", ",".join(kinds)] if kinds != KINDS else []
        self.process = subprocess.Popen(
            [str(python), str(tree / "bench" / "ab.py"), "--serve", config, "--limit", str(limit), *chosen],
            cwd=tree,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=(lambda: os.sched_setaffinity(0, {core})) if hasattr(os, "sched_setaffinity") else None,
        )
        self.count = self._read()["queries"]

    def _read(self) -> dict:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"a worker stopped (exit {self.process.wait()}): see its error above")
        return json.loads(line)

    def run(self, start: int, end: int) -> dict:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps([start, end]) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


def compare(
    base: Path,
    config: str,
    base_config: str,
    limit: int,
    batch: int,
    core: int,
    seen: bool = False,
    kinds: tuple[str, ...] = KINDS,
) -> str:
    workers = [Worker(ROOT, config, limit, core, kinds), Worker(base, base_config, limit, core, kinds)]
    try:
        count = workers[0].count
        if workers[1].count != count:
            raise SystemExit("the two trees read different query sets")
        if seen:  # every search once, untimed, on both sides: then their caches are warm
            # A base tree from before --seen keeps its process's results: the timed pass must not be
            # answered from them (run in the same order, more searches than it holds evict each one).
            from index.settings import load_config

            kept = load_config(base_config)["search.result_cache"]
            if count <= kept:
                raise SystemExit(f"--seen: B may keep {kept} results; run more than {kept} searches (--limit)")
            for start in range(0, count, batch):
                for worker in workers:
                    worker.run(start, min(count, start + batch))
        spent, ratios, differ = [0.0, 0.0], [], 0
        for number, start in enumerate(range(0, count, batch)):
            end = min(count, start + batch)
            order = (0, 1) if number % 2 == 0 else (1, 0)
            answers = {}
            for side in order:
                answers[side] = workers[side].run(start, end)
            for side in (0, 1):
                spent[side] += answers[side]["ms"]
            ratios.append(answers[0]["ms"] / max(answers[1]["ms"], 1e-9))
            differ += answers[0]["digest"] != answers[1]["digest"]
    finally:
        for worker in workers:
            worker.close()
    a, b = spent[0] / count, spent[1] / count
    low, _, high = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else (ratios[0],) * 3
    return (
        f"| {config} | {count} | {a:.2f} | {b:.2f} | **{a / b - 1:+.1%}** | "
        f"{low - 1:+.1%} .. {high - 1:+.1%} | {differ} of {len(ratios)} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, help="the other source tree (B), with its .venv (default: this one)")
    parser.add_argument(
        "--base-config", action="append", default=[], help="B's index instead of A's, one for each --config"
    )
    parser.add_argument("--config", action="append", default=[], help="an index's config (repeat for several)")
    parser.add_argument("--limit", type=int, default=150, help="queries per kind (0 = all)")
    parser.add_argument("--batch", type=int, default=20, help="searches a batch (each side runs each batch once)")
    parser.add_argument(
        "--seen", action="store_true", help="run every search once, untimed, first (caches warm, as in a server)"
    )
    parser.add_argument(
        "--kinds",
        default=",".join(KINDS),
        help=f"comma-separated kinds of query (default the dev mix: {','.join(KINDS)}; also question-folded)",
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # a worker's config (internal)
    args = parser.parse_args()
    kinds = tuple(args.kinds.split(","))
    if unknown := set(kinds) - {*KINDS, "question-folded"}:
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    if args.serve:
        return serve(args.serve, args.limit, kinds)
    if not args.config or (args.base is None and not args.base_config):
        parser.error("at least one --config, and --base or --base-config, are needed")
    if args.base_config and len(args.base_config) != len(args.config):
        parser.error("give one --base-config for each --config")
    base = (args.base or ROOT).resolve()
    core = sorted(os.sched_getaffinity(0))[0] if hasattr(os, "sched_getaffinity") else 0
    print(f"command: .venv/bin/python bench/ab.py {' '.join(sys.argv[1:])}")
    print(f"A: {ROOT} ({_commit(ROOT)}); B: {base} ({_commit(base)}); both on core {core}")
    print()
    print(
        "| index | searches | A, CPU ms a search | B | A against B | batches' quartiles | batches whose pages differ |"
    )
    print("|---|---:|---:|---:|---:|---|---|")
    for number, config in enumerate(args.config):
        other = args.base_config[number] if args.base_config else config
        row = compare(
            base,
            str(Path(config).resolve()),
            str(Path(other).resolve()),
            args.limit,
            args.batch,
            core,
            args.seen,
            kinds,
        )
        print(row, flush=True)
    return 0


def _commit(tree: Path) -> str:
    found = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(tree), "status", "--porcelain", "-uno"], capture_output=True, text=True)
    return found.stdout.strip() + (" with changes" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    sys.exit(main())
