"""Suggestions per keystroke, their latency and whether they offer the query being typed.

Each query of ``../shared/queries/dev-queries.tsv`` is typed into
``Searcher.suggest`` key by key (``n``, ``ng``, ... ``ngheo thanh chuong``), as
the search box does; the time of each call is one sample.  The first call of a
fresh searcher (opening the index, reading the vocabulary of each segment) is
reported apart.

And what the suggestions are worth, by kind: the share of queries that some suggestion
offers whole before the reader has typed it all (folded and in lower case, so ``Hà Nội``
offers ``ha noi``), and the share of keystrokes that clicking it saves, averaged over every
query (0 for a query never offered): the usual measures of a query autocompletion.  And, at
each keystroke inside a word, whether a suggestion completes that word as the reader means it
(it begins with the query up to the word's end), also over readers' questions
(``vinewsqa-dev-queries.tsv``, ``--question-limit`` of them), which no suggestion offers whole.
The known items are fragments of headlines cut anywhere (``smartphone nhanh va``), and about
half of the names are not in news-00's articles: on news-00, a name it lacks is offered whole
only when a suggestion happens to fold to it.

    .venv/bin/python bench/suggest.py --config /work/devindex/news00.toml

Corpus: whatever the config's index holds (news-00 + the sample for the dev
index); machine: 2 cores.  Prints a table.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.analysis import fold, normalize, syllables  # noqa: E402
from index.settings import load_config  # noqa: E402
from search.searcher import Searcher  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", help="config of the index to measure (default: the project's)")
    parser.add_argument("--queries", default=str(ROOT.parent / "shared" / "queries" / "dev-queries.tsv"))
    parser.add_argument("--kinds", default="known-folded,known-accented,name-folded,name-accented")
    parser.add_argument("--limit", type=int, default=8, help="suggestions asked per call")
    parser.add_argument("--questions", default=str(ROOT.parent / "shared" / "queries" / "vinewsqa-dev-queries.tsv"))
    parser.add_argument("--question-limit", type=int, default=150, help="readers' questions typed (0: none)")
    args = parser.parse_args(argv)

    kinds = set(args.kinds.split(","))
    queries = []
    for line in Path(args.queries).read_text(encoding="utf-8").splitlines()[1:]:
        _, query, kind = line.split("\t")
        if kind in kinds:
            queries.append((query, kind))

    # Every query evaluated here: results shared by server processes would flatter the times.
    searcher = Searcher(load_config(args.config).with_overrides(search__shared_result_cache=0))
    started = time.perf_counter()
    searcher.suggest("a", args.limit)
    first = (time.perf_counter() - started) * 1000

    took: list[float] = []
    cpu: list[float] = []  # this process's CPU time: steadier than wall time on a shared machine
    empty = 0
    saved: dict[str, list[float]] = {}  # by kind: the share of keystrokes saved, per query
    completed: dict[str, list[bool]] = {}  # by kind: the word being typed completed, per keystroke
    for query, kind in queries:
        wanted, query_saved = _key(query), 0.0
        for end in range(1, len(query) + 1):
            started, started_cpu = time.perf_counter(), time.process_time()
            found = searcher.suggest(query[:end], args.limit)
            took.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            empty += not found
            if not query_saved and end < len(query) and any(_key(text) == wanted for text in found):
                query_saved = (len(query) - end) / len(query)
            _completes(completed.setdefault(kind, []), query, end, found)
        saved.setdefault(kind, []).append(query_saved)
    # Readers' questions: long, never offered whole; what counts is the word being typed.
    questions = [line.split("\t")[1] for line in Path(args.questions).read_text(encoding="utf-8").splitlines()[1:]]
    for query in questions[: args.question_limit]:
        for end in range(1, len(query) + 1):
            _completes(completed.setdefault("question", []), query, end, searcher.suggest(query[:end], args.limit))

    print(f"index: {searcher.document_count()} documents ({args.config or 'config.toml'}); {len(queries)} queries")
    print(
        "| keystrokes | p50 ms | p90 ms | p99 ms | max ms | CPU p50 ms | CPU p99 ms | no suggestion | first call ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {len(took)} | {statistics.median(took):.1f} | {percentile(took, 0.9):.1f} | "
        f"{percentile(took, 0.99):.1f} | {max(took):.0f} | {statistics.median(cpu):.1f} | "
        f"{percentile(cpu, 0.99):.1f} | {empty / len(took):.1%} | {first:.0f} |"
    )
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print()
    print(
        f"| kind | queries | offered whole before typed (first {args.limit}) | keystrokes saved "
        "| keystrokes within a word | the word completed |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    everything = [v for vs in saved.values() for v in vs]
    rows = [*sorted(saved.items()), *([("question", [])] if "question" in completed else [])]
    for kind, values in [*rows, ("**all but questions**", everything)]:
        words = completed.get(kind) or [c for k, cs in completed.items() if k != "question" for c in cs]
        whole = (
            f"{sum(1 for v in values if v) / len(values):.1%} | {statistics.fmean(values):.1%}" if values else "- | -"
        )
        print(
            f"| {kind} | {len(values) or args.question_limit} | {whole} | {len(words)} | {sum(words) / len(words):.1%} |"
        )
    return 0


def _completes(into: list[bool], query: str, end: int, found: list[str]) -> None:
    """Whether, typed up to *end* inside a word of *query*, a suggestion completes that word as
    the reader means it (it begins with the query up to that word's end); nothing between words."""
    if end >= len(query) or not query[end - 1].isalnum() or not query[end].isalnum():
        return  # the word is finished, or nothing of it typed yet
    word_end = end
    while word_end < len(query) and query[word_end].isalnum():
        word_end += 1
    target = _key(query[:word_end])
    into.append(any(key == target or key.startswith(target + " ") for key in map(_key, found)))


def _key(text: str) -> str:
    """A suggestion as the query it stands for: folded, lower case, one space between words."""
    return " ".join(fold(word) for word in syllables(normalize(text)))


if __name__ == "__main__":
    sys.exit(main())
