"""Where a search's time went, by step, from a sampling profiler's record (py-spy).

``query_speed.py --profile`` times each step with cProfile, which adds a fixed cost to every
Python call it sees, the same on every index: its milliseconds are up to twice the search's
own, and it shrinks growth.  On news-00 and 100,000 articles it said a search costs 1.87 times as
much on 100,000, where query_speed without it, and the sampler, said 2.7 (BENCHMARKS.md, issue
16's twelfth round).  A sampler looks at the stack 400 times a second and charges nothing per
call, so each step's milliseconds add up to the search's CPU time, and its growth is the
program's own:

    .venv/bin/py-spy record -r 400 -f raw -o news00.txt -- .venv/bin/python bench/query_speed.py --config NEWS00.toml --limit 150
    .venv/bin/py-spy record -r 400 -f raw -o all.txt -- .venv/bin/python bench/query_speed.py --config ALL100K.toml --limit 150
    .venv/bin/python bench/sampled_steps.py news00.txt all.txt --searches 716

(``--searches``: the searches each run made, the ``all`` row of query_speed's table.)  The steps
are ``bench/search_mix.py``'s, each counted where its function is anywhere on a sampled stack
(inclusive; steps nest); the server's warm-up before the timed searches is left out, and so is
``query_speed --seen``'s first pass over the queries (the record then says what a search costs in a
server that has served them before).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search_mix import STEPS

_FRAME = re.compile(r"^(?P<function>\S+) \((?P<file>[^:]+):\d+\)$")  # "Searcher.search (search/searcher.py:350)"


def step_times(path: Path, rate: int, searches: int) -> list[float]:
    """Milliseconds per search of each of :data:`STEPS` in py-spy's raw record *path*."""
    samples: dict[int, int] = defaultdict(int)
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [_FRAME.match(frame) for frame in stack.split(";")]
        seen = {(m["file"], m["function"].rpartition(".")[2]) for m in frames if m}
        # The worker's warm-up, and query_speed's untimed first pass (--seen): not timed searches.
        if any(
            function == "warm" or (function == "seen" and file.endswith("query_speed.py")) for file, function in seen
        ):
            continue
        for number, (_, _, step_file, step_function) in enumerate(STEPS):
            if any(file.endswith(step_file) and function in step_function.split("|") for file, function in seen):
                samples[number] += int(count)
    return [samples[number] / rate / searches * 1000 for number in range(len(STEPS))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("records", nargs="+", type=Path, help="py-spy raw records (-f raw), the first the base")
    parser.add_argument("--searches", type=int, required=True, help="searches each recorded run made")
    parser.add_argument("--rate", type=int, default=400, help="samples a second the records were taken at")
    args = parser.parse_args()
    times = [step_times(path, args.rate, args.searches) for path in args.records]
    heads = [f"{path.stem}, ms" for path in args.records] + [f"grows by, {path.stem}" for path in args.records[1:]]
    print(f"| step (sampled, inclusive; steps nest) | {' | '.join(heads)} |")
    print("|---" + "|---:" * len(heads) + "|")
    for number, (indent, label, _, _) in enumerate(STEPS):
        own = " | ".join(f"{t[number]:.2f}" for t in times)
        more = "".join(f" | {t[number] - times[0][number]:+.2f}" for t in times[1:])
        print(f"| {'- ' * indent}{label} | {own}{more} |")
    for path, t in zip(args.records[1:], times[1:], strict=True):
        print(f"a search, {path.stem} against {args.records[0].stem}: {t[0] / (times[0][0] or 1.0):.2f} x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
