"""Relevance on the judged query sets, through the same code path as the API.

Builds (or reuses) an index of ``../shared/corpus`` files, runs every judged
query of ``../shared/queries`` through ``Searcher.search`` (what ``/api/search``
calls) and prints, per kind of query:

* known items (a piece of a title, typed with or without diacritics): MRR@10, Success@1;
* names (every article naming the person is relevant): MAP and Recall@1000;
* reader questions (UIT-ViNewsQA): MRR@10 and nDCG@10; ``question-folded``: the same
  typed without diacritics, in lower case, as readers with the input method off type them;
* the known items and names typed in Telex and VNI with the input method off
  (``known-telex``, ``known-vni``, ``name-telex``, ``name-vni``), scored the same;
* ``known-half-typed``: the accented known items with their last word cut in half
  (``dân vậ``), searched as the live results do (``typing=1``; ``--typing off``: as
  submitted with Enter; ``--typing on`` searches every kind so);
* ``known-typo``: the known items (with and without diacritics) with one letter of one
  syllable doubled, dropped, swapped with the next or replaced by a key beside it
  (:func:`letter_typo`), the first page as shown (a correction offered is not followed);
* ``known-dropped`` and ``known-reordered``: the known items of four syllables or more
  (with and without diacritics) as a reader half remembers a headline, the middle
  syllable left out or the two halves swapped, so the words no longer stand as in the
  title and the phrase rules cannot find it: what the title rule (and the proximity signal) are for;
* how many ordinary queries (with and without diacritics) would be wrongly read as
  Telex or VNI (``search/typing.py``): the share the searcher decodes at all; and
  how many are shown the results of a correction (``showing_results_for``);

The judgments cover all ten corpus files; on a smaller index only the judged
articles it holds count, and queries without one are left out (so the peers'
numbers in issue 3, measured on news-00, compare with ``--files 1``).

and the median time per query.  Corpus, machine and command are printed with
the table.

    .venv/bin/python bench/relevance.py                      # news-00 (builds var/bench/news-00 once)
    .venv/bin/python bench/relevance.py --files 10           # all 100,000 articles
    .venv/bin/python bench/relevance.py --config C.toml      # an index you already built
    .venv/bin/python bench/relevance.py --config C.toml --kinds question --halves   # a setting checked on two halves
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import sys
import time
import zlib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared"
QUERIES = SHARED / "queries"
KINDS = (
    "known-folded",
    "known-accented",
    "name-accented",
    "name-folded",
    "question",
    "known-telex",
    "known-vni",
    "name-telex",
    "name-vni",
    "known-half-typed",
    "known-dropped",
    "known-reordered",
    "known-typo",
    "question-folded",
)
ORDINARY = ("known-folded", "known-accented", "name-accented", "name-folded", "question")


def load_queries() -> tuple[dict[str, tuple[str, str]], dict[str, set[str]]]:
    queries: dict[str, tuple[str, str]] = {}
    for name in ("dev-queries.tsv", "vinewsqa-dev-queries.tsv", "dev-typed-queries.tsv"):
        lines = (QUERIES / name).read_text(encoding="utf-8").splitlines()[1:]
        for line in lines:
            qid, text, kind = line.split("\t")
            queries[qid] = (text, kind)
    relevant: dict[str, set[str]] = defaultdict(set)
    for name in ("dev-qrels.txt", "vinewsqa-dev-qrels.txt", "dev-typed-qrels.txt"):
        for line in (QUERIES / name).read_text(encoding="utf-8").splitlines():
            qid, _, doc, grade = line.split()
            if int(grade) > 0:
                relevant[qid].add(doc)
    return queries, relevant


def ranking(searcher, text: str, depth: int, typing: bool = False) -> list[str]:
    """The first *depth* ids for *text*, paging through ``Searcher.search``."""
    ids: list[str] = []
    page = 1
    while len(ids) < depth:
        per_page = min(100, depth - len(ids)) if depth > 10 else depth
        result = searcher.search(text, page=page, per_page=per_page, highlight=False, typing=typing)
        ids.extend(hit.id for hit in result.hits)
        if len(result.hits) < per_page or page * per_page >= result.total:
            break
        page += 1
    return ids[:depth]


def typed_folded(text: str) -> str:
    """*text* as a reader with the input method off types it (``question-folded``): without
    diacritics, in lower case."""
    from index.analysis import fold

    return fold(text).lower()


def half_typed(text: str) -> str:
    """*text* as the live results see it mid-word: its last word cut to its first half
    (``dân vận`` -> ``dân v``, ``Nguyễn Văn Phong`` -> ``Nguyễn Văn Ph``)."""
    head, _, last = text.rpartition(" ")
    cut = last[: max(1, (len(last) + 1) // 2)]
    return f"{head} {cut}" if head else cut


_KEYS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_BESIDE = {key: row[max(0, i - 1) : i] + row[i + 1 : i + 2] for row in _KEYS for i, key in enumerate(row)}


def letter_typo(query: str, rng: random.Random) -> str | None:
    """*query* with one letter of one of its syllables of three letters or more doubled,
    dropped (not the first), swapped with the next, or replaced by a key beside it; None if
    no syllable is that long."""
    from index.analysis import fold

    words = query.split()
    long = [i for i, w in enumerate(words) if len(w) >= 3 and w.isalpha()]
    if not long:
        return None
    at = rng.choice(long)
    word, kind = words[at], rng.choice(("double", "drop", "swap", "beside"))
    i = rng.randrange(1 if kind == "drop" else 0, len(word) - (kind == "swap"))
    if kind == "double":
        word = word[: i + 1] + word[i:]
    elif kind == "drop":
        word = word[:i] + word[i + 1 :]
    elif kind == "swap":
        word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    else:
        base = fold(word[i].lower())
        if base not in _BESIDE:
            return None
        word = word[:i] + rng.choice(_BESIDE[base]) + word[i + 1 :]
    words[at] = word
    return " ".join(words)


def typo(text: str) -> str | None:
    """*text* with a letter typo (:func:`letter_typo`), the same for the same text every run."""
    return letter_typo(text, random.Random(zlib.crc32(text.encode("utf-8"))))


def dropped(text: str) -> str | None:
    """*text* without its middle syllable (``giá vàng hôm nay`` -> ``giá vàng nay``); None under
    four syllables, where too little would be left."""
    words = text.split()
    if len(words) < 4:
        return None
    del words[len(words) // 2]
    return " ".join(words)


def reordered(text: str) -> str | None:
    """*text* with its two halves swapped (``giá vàng hôm nay`` -> ``hôm nay giá vàng``); None
    under four syllables."""
    words = text.split()
    if len(words) < 4:
        return None
    half = len(words) // 2
    return " ".join(words[half:] + words[:half])


def half(relevant: set[str]) -> int:
    """0 or 1: which half of the queries one belongs to, by the article judged for it (the first
    by id of those the index holds), so every query about one article falls in the same half: a
    setting chosen on one half is checked on the other, which it was not chosen on."""
    return zlib.crc32(min(relevant).encode("utf-8")) & 1


def reciprocal_rank(ids: list[str], relevant: set[str], k: int = 10) -> float:
    for rank, doc in enumerate(ids[:k], start=1):
        if doc in relevant:
            return 1.0 / rank
    return 0.0


def average_precision(ids: list[str], relevant: set[str]) -> float:
    hits, total = 0, 0.0
    for rank, doc in enumerate(ids, start=1):
        if doc in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant) if relevant else 0.0


def ndcg(ids: list[str], relevant: set[str], k: int = 10) -> float:
    gain = sum(1.0 / math.log2(rank + 1) for rank, doc in enumerate(ids[:k], start=1) if doc in relevant)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    return gain / ideal if ideal else 0.0


def ensure_index(files: int, config_path: str | None):
    from index.build import build
    from index.settings import load_config
    from index.store import IndexStore

    if config_path:
        return load_config(config_path), config_path
    directory = ROOT / "var" / "bench" / ("news-00" if files == 1 else f"news-00-{files - 1:02d}")
    directory.mkdir(parents=True, exist_ok=True)
    config_file = directory / "config.toml"
    config_file.write_text(f'[index]\npath = "{directory / "index"}"\nprocs = 2\n', encoding="utf-8")
    config = load_config(config_file)
    store = IndexStore(config.path("index.path"))
    if not store.exists():
        sources = [SHARED / "corpus" / f"news-{i:02d}.jsonl.gz" for i in range(files)]
        print(f"building {directory / 'index'} from {len(sources)} corpus file(s)...", file=sys.stderr)
        build(store, sources, procs=2, progress=sys.stderr.isatty())
    return config, str(config_file)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1, help="how many corpus files to index (1 = news-00, 10 = all)")
    parser.add_argument("--config", help="use the index of this config instead of building one")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds to run")
    parser.add_argument("--limit", type=int, default=0, help="at most this many queries per kind (0 = all)")
    parser.add_argument(
        "--typing",
        choices=("auto", "on", "off"),
        default="auto",
        help="typing=1 (live results) for known-half-typed only (auto), for every query (on), or for none (off)",
    )
    parser.add_argument("--show-misses", type=int, default=0, help="print this many failed queries per kind")
    parser.add_argument(
        "--halves",
        action="store_true",
        help="also the first metric on each half of the queries, split by the article judged (held-out check of a setting)",
    )
    args = parser.parse_args()

    from index.stats import index_stats
    from index.store import IndexStore
    from search.searcher import Searcher

    config, _ = ensure_index(args.files, args.config)
    # Every query evaluated here: results shared by server processes would flatter the times.
    # No deadline: a judged query cut short on a busy machine would count as a miss.
    searcher = Searcher(config.with_overrides(search__shared_result_cache=0, search__deadline_ms=600_000))
    stats = index_stats(IndexStore(config.path("index.path")))
    queries, relevant = load_queries()
    # The judgments cover all 100,000 articles: keep those of articles in this index,
    # and the queries that still have one.
    with searcher._lock:
        searcher._refresh()
        indexed = {t.decode() for t in searcher._searcher.reader().lexicon("id")}
    relevant = {qid: docs & indexed for qid, docs in relevant.items()}
    wanted = args.kinds.split(",")
    by_kind: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for qid, (text, kind) in queries.items():
        if kind in wanted and relevant.get(qid):
            by_kind[kind].append((qid, text))
        if kind == "question" and "question-folded" in wanted and relevant.get(qid):
            by_kind["question-folded"].append((qid, typed_folded(text)))
        if kind == "known-accented" and "known-half-typed" in wanted and relevant.get(qid):
            by_kind["known-half-typed"].append((qid, half_typed(text)))
        for derived, change in (("known-dropped", dropped), ("known-reordered", reordered), ("known-typo", typo)):
            changed = change(text) if kind in ("known-folded", "known-accented") else None
            if changed and derived in wanted and relevant.get(qid):
                by_kind[derived].append((qid, changed))

    searcher.search("khởi động")  # warm: open the index, load pyvi
    rows = []
    for kind in wanted:
        items = by_kind.get(kind, [])
        if args.limit:
            items = items[: args.limit]
        if not items:
            continue
        depth = 1000 if kind.startswith("name") else 10
        first, second, times, misses, halves = [], [], [], [], []
        for qid, text in items:
            started = time.perf_counter()
            ids = ranking(
                searcher,
                text,
                depth,
                typing=args.typing == "on" or (args.typing == "auto" and kind == "known-half-typed"),
            )
            times.append((time.perf_counter() - started) * 1000)
            rel = relevant[qid]
            if kind.startswith("name"):
                first.append(average_precision(ids, rel))
                second.append(len(rel & set(ids)) / len(rel))
            elif kind.startswith("question"):
                first.append(reciprocal_rank(ids, rel))
                second.append(ndcg(ids, rel))
            else:
                first.append(reciprocal_rank(ids, rel))
                second.append(1.0 if ids[:1] and ids[0] in rel else 0.0)
            halves.append(half(relevant[qid]))
            if first[-1] < 1.0:
                misses.append((first[-1], text, ids[:3], sorted(rel)[:3]))
        names = {"name": ("MAP", "Recall@1000"), "question": ("MRR@10", "nDCG@10")}.get(
            kind.split("-")[0], ("MRR@10", "Success@1")
        )
        rows.append(
            (
                kind,
                len(items),
                names[0],
                statistics.mean(first),
                names[1],
                statistics.mean(second),
                statistics.median(times),
                [statistics.mean([v for v, h in zip(first, halves, strict=True) if h == n] or [0.0]) for n in (0, 1)],
            )
        )
        for score, text, got, want in sorted(misses)[: args.show_misses]:
            print(f"  miss {kind} {score:.2f} {text!r} got {got} want {want}", file=sys.stderr)

    print(
        f"corpus: {stats.documents} articles ({'news-00' if args.files == 1 else f'news-00..{args.files - 1:02d}'}), index {config.path('index.path')}"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; one process, one thread"
    )
    print(f"command: .venv/bin/python bench/relevance.py {' '.join(sys.argv[1:])}".rstrip())
    print()
    extra = " half A | half B |" if args.halves else ""
    print("| kind | queries | metric | value | metric | value | p50 ms |" + extra)
    print("|---|---|---|---|---|---|---|" + "---|---|" * args.halves)
    for kind, count, m1, v1, m2, v2, p50, (a, b) in rows:
        extra = f" {a:.3f} | {b:.3f} |" if args.halves else ""
        print(f"| {kind} | {count} | {m1} | {v1:.3f} | {m2} | {v2:.3f} | {p50:.1f} |" + extra)
    ordinary = [(text, kind) for kind in wanted if kind in ORDINARY for _, text in by_kind.get(kind, [])]
    if ordinary:
        decoded, corrected = [], []
        for text, kind in ordinary:
            with searcher._lock:
                keys = searcher.helpers.decode(text)
            if keys is not None:
                decoded.append((kind, text, keys))
            else:
                instead = searcher.search(text, per_page=1, highlight=False).showing_results_for
                if instead is not None:
                    corrected.append((kind, text, instead))
        print()
        print(
            f"ordinary queries read as Telex/VNI: {len(decoded)} of {len(ordinary)} ({len(decoded) / len(ordinary):.2%})"
        )
        print(
            f"ordinary queries shown a correction's results: {len(corrected)} of {len(ordinary)}"
            f" ({len(corrected) / len(ordinary):.2%})"
        )
        for kind, text, instead in (decoded + corrected)[: args.show_misses]:
            print(f"  instead {kind} {text!r} -> {instead!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
