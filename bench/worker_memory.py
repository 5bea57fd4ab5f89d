"""A serving worker's memory over a long life: every cache filled, RSS against the 500 MB target.

``bench/load_100k.py`` samples the workers' RSS during 60 s of searches: long enough to fill
the posting cache, not the others.  A worker lives for ``server.max_requests`` requests plus
up to ``server.max_requests_jitter`` (25,000 and 2,500 as shipped) and serves more than
searches: suggestions on every keystroke, live results as a
reader types, "similar articles", exact phrases sorted by date.  Each of those fills caches of
its own (walked texts, phrase keys, short strings), so the memory a worker ends with is what
they all hold once full.  This benchmark serves such a life in one process, as a worker's
searcher does (``api.server.warm`` first, the config's own settings), and prints what each cache
holds and the process's RSS every ``--every`` rounds.  A round is one request of
``bench/load.py``'s mix, then a reader typing one dev query: a suggestion every other key, and
every 10th round the live results of two thirds of it, every 25th the articles similar to a
result, every 50th the query as an exact phrase sorted newest first: some 8.4 calls a round,
each a request of its own.  It serves the longest life the config allows (its calls reach
``max_requests + max_requests_jitter``) unless ``--rounds`` says otherwise.

    .venv/bin/python bench/worker_memory.py --config ALL100K.toml [--rounds 8000]

Corpus: whatever the config's index holds; machine: one core.  Prints a table, and whether the
peak stayed under the target.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import random
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.server import warm  # noqa: E402
from bench.load import QUERIES, load_queries, request_paths  # noqa: E402
from bench.load_100k import TARGET_RSS_MB, rss_mb  # noqa: E402
from bench.search_mix import _OPTIONS  # noqa: E402
from index import analysis  # noqa: E402
from index.settings import load_config  # noqa: E402
from search.searcher import Searcher  # noqa: E402


def cache_mb(searcher: Searcher) -> dict[str, float]:
    """MB each byte-bounded cache of *searcher* holds now, as the caches count it."""
    state, view = searcher._state, searcher._view
    held = {
        "postings": view.cache.postings.lists.bytes,
        "BM25F": view.contributions.bytes,
        "articles": state.articles.articles.bytes,
        "texts": state.texts.short.bytes + state.texts.bodies.bytes,
        "phrase keys": state.keys.bytes,
        "term arrays": view._terms.bytes,
    }
    return {name: amount / 2**20 for name, amount in held.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="the index to serve (the config's cache settings)")
    parser.add_argument(
        "--rounds",
        type=int,
        help="rounds of requests (see the docstring; default: until the calls reach the config's "
        "server.max_requests + server.max_requests_jitter, a worker's longest life)",
    )
    parser.add_argument("--every", type=int, default=1000, help="rounds between rows of the table")
    args = parser.parse_args()

    config = load_config(args.config)
    if not args.rounds and not config["server.max_requests"]:
        parser.error("the config's workers are never replaced (server.max_requests = 0): give --rounds")
    searcher = Searcher(config)
    life = config["server.max_requests"] + config["server.max_requests_jitter"]
    warm(searcher, logging.getLogger("worker_memory"))
    dev, questions = load_queries(QUERIES)
    streams = [request_paths(client, dev, questions) for client in range(16)]
    rng = random.Random(2026)
    shown: list[str] = []
    ready = rss_mb(os.getpid())
    rounds = f"--rounds {args.rounds}" if args.rounds else f"until {life:,} calls (a worker's longest life)"
    print(f"bench/worker_memory.py --config {args.config} {rounds}")
    print(
        f"machine: {platform.machine()}, one core, Python {platform.python_version()}; "
        f"{searcher.document_count():,} articles; RSS after warming: {ready[0]:.0f} MB\n"
    )
    names = list(cache_mb(searcher))
    # The short strings' caches are bounded by entries (index.analysis.STRING_CACHE): the fullest.
    print("| rounds | calls | s | " + " MB | ".join(names) + " MB | strings, entries | RSS MB | peak MB |")
    print("|" + "---:|" * (len(names) + 6))
    started = time.perf_counter()
    peak = 0.0
    calls = number = 0

    def done() -> bool:
        return number >= args.rounds if args.rounds else calls >= life

    while not done():
        number += 1
        calls += 1
        _kind, path = next(streams[number % len(streams)])
        options = {_OPTIONS.get(k, k): v[0] for k, v in parse_qs(urlsplit(path).query).items()}
        found = searcher.search(**options)
        if found.hits:
            shown.append(found.hits[0].id)
        typed = rng.choice(dev)
        for cut in range(3, len(typed) + 1, 2):
            searcher.suggest(typed[:cut])
            calls += 1
        if number % 10 == 0:
            searcher.search(typed[: max(3, len(typed) * 2 // 3)], typing=True)
            calls += 1
        if number % 25 == 0 and shown:
            searcher.similar(rng.choice(shown))
            calls += 1
        if number % 50 == 0:
            searcher.search(f'"{typed}"', match="phrase", sort="newest")
            calls += 1
        if number % args.every == 0 or done():
            cells = [f"{amount:.0f}" for amount in cache_mb(searcher).values()]
            cells.append(f"{analysis.canonical_syllable.cache_info().currsize:,}")
            now, high = rss_mb(os.getpid())
            peak = max(peak, high)
            took = time.perf_counter() - started
            row = f"| {number:,} | {calls:,} | {took:.0f} | " + " | ".join(cells)
            print(row + f" | {now:.0f} | {high:.0f} |", flush=True)
    verdict = "ok" if peak < TARGET_RSS_MB else "OVER"
    print(f"\n{verdict}: peak RSS {peak:.0f} MB (target < {TARGET_RSS_MB} MB)")
    return 0 if peak < TARGET_RSS_MB else 1


if __name__ == "__main__":
    raise SystemExit(main())
