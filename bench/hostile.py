"""Hostile queries: CPU time and peak memory of each, one process, one core.

    .venv/bin/python bench/hostile.py --config /work/idx/news00/config.toml

Queries an anonymous caller can send to ``/api/search`` that cost far more than
their size (issue 18).  Each runs in a fresh :class:`Searcher` (cold posting
cache, as a new query is), after one ordinary warm-up search that opens the
index and loads pyvi; the shared result cache is off.  The CPU time is the
process's (``time.process_time``) around ``Searcher.search``; the peak memory
is ``tracemalloc``'s peak during a second, separate run of the same query in
another fresh searcher (numpy reports its arrays to tracemalloc), so tracing
does not inflate the CPU time.  A query refused with a 400 is reported as such.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.relevance import typed_folded  # noqa: E402 - after the path is set

CONSONANTS = "bcdghklmnpqrstvx"
VOWELS = "aeiouy"
# Common syllables of the news (distinct words for the clause-count cases).
COMMON = str.split(
    "của và có là được cho trong các với những không người một này đã đến khi từ ra về "
    "năm nhiều công ty tại theo cũng như đó để sẽ nhà nước phải làm việc thể thành "
    "hiện trên sau lại mới số đang họ vào hơn nên bị vì nhưng chỉ rất tôi chúng ta đi "
    "hai nay ngày động ông bà anh chị em con cả thì hay nơi đây kinh tế xã hội giao "
    "thông đường phố quận huyện tỉnh trung ương chính phủ bộ trưởng thủ tướng quốc gia "
    "dân vận hà nội sài gòn bóng đá thời tiết mưa nắng giá vàng đô la chứng khoán"
)


def cases() -> dict[str, str]:
    prefixes = [c + v for c in CONSONANTS for v in VOWELS]  # 96 two-letter prefixes
    long_word = "".join(CONSONANTS[i * 7 % len(CONSONANTS)] + VOWELS[i % len(VOWELS)] for i in range(455))
    words = (COMMON * 3)[:300]
    return {
        "96 two-letter prefixes (issue)": " ".join(p + "*" for p in prefixes),
        # A question of words found inside many others: the passage stage looks for each in the
        # first articles' bodies (search/passages.py).
        "96 two-letter words": " ".join(prefixes),
        "one word quoted 332 times (issue)": '"' + " ".join(["là"] * 332) + '"',
        "910-letter word, spelling (issue)": long_word,
        "26 one-letter prefixes": " ".join(ch + "*" for ch in "abcdefghijklmnopqrstuvwxyz"),
        "300 common words": " ".join(words),
        # As many syllables as accent restoration reads (search.helpers.MAX_RESTORED), each a run
        # with the next in some body: the bodies are looked in for every pair (search/restore.py).
        "32 common words typed without diacritics": typed_folded(" ".join(COMMON[:32])),
        "150 words OR-ed": " OR ".join(COMMON[:150]),
        "160 exclusions": "hà nội " + " ".join("-" + w for w in COMMON[2:162]),
        "100 two-word phrases": " ".join(f'"{a} {b}"' for a, b in itertools.pairwise(COMMON))[:1000],
        "the same word 330 times, unquoted": " ".join(["người"] * 165),
        # Past search.max_query_chars (the query is cut) but within a request line: what is cut
        # must cost nothing (each Telex tone key looked back over the word: 1.9 s on news-00).
        "8,000 Telex tone keys in one word, cut": "x" * 8000,
        **reference(),
    }


def reference() -> dict[str, str]:
    """For scale, an ordinary request: the longest reader's question of the dev set."""
    path = ROOT.parent / "shared" / "queries" / "vinewsqa-dev-queries.tsv"
    if not path.exists():
        return {}
    questions = [line.split("\t")[1] for line in path.read_text(encoding="utf-8").splitlines()[1:] if "\t" in line]
    longest = max(questions, key=lambda q: (len(q.split()), q))
    return {
        "reference: the longest dev question": longest,
        "reference: the same typed without diacritics": typed_folded(longest),
    }


def run(config, query: str, traced: bool) -> tuple[float, float, str]:
    """``(cpu seconds, peak MB, outcome)`` of one search in a fresh searcher."""
    from search.searcher import Searcher, SearchError

    searcher = Searcher(config)
    for warm_up in ("giao thông", "hoi nghi truc tuyn", "dân*"):  # open the index, load pyvi, read the vocabulary
        searcher.search(warm_up)
    gc.collect()
    if traced:
        tracemalloc.start()
    started = time.process_time()
    try:
        result = searcher.search(query)
        outcome = f"{result.total} hits" + (", truncated" if result.truncated else "")
    except SearchError as exc:
        outcome = f"400: {exc}"
    cpu = time.process_time() - started
    peak = 0.0
    if traced:
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return cpu, peak, outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="config of a built index")
    parser.add_argument("--only", help="run the cases whose name contains this")
    args = parser.parse_args()

    from index.settings import load_config
    from index.stats import index_stats
    from index.store import IndexStore

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    config = load_config(args.config).with_overrides(search__shared_result_cache=0)
    stats = index_stats(IndexStore(config.path("index.path")))
    print(f"index: {args.config} ({stats.documents} documents)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; one core used")
    print(f"command: .venv/bin/python bench/hostile.py --config {args.config}\n")
    print("| case | chars | CPU ms | peak MB | outcome |")
    print("|---|---:|---:|---:|---|")
    for name, query in cases().items():
        if args.only and args.only not in name:
            continue
        cpu, _, outcome = run(config, query, traced=False)
        _, peak, _ = run(config, query, traced=True)
        print(f"| {name} | {len(query)} | {cpu * 1000:.0f} | {peak:.1f} | {outcome[:80]} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
