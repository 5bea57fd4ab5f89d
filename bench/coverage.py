"""The coverage view's counts against the judged names, driven as a person would.

For every dev name of ``../shared/queries/dev-queries.tsv`` (kinds
``name-accented`` and ``name-folded``), through the real app (Falcon's test
client, the same WSGI app gunicorn serves): open ``/coverage?q=NAME``, read the
count on the page, follow its CSV link, and compare the CSV's set of ids with
the judged articles (``dev-qrels.txt``: every article that names the person,
syllables side by side on one line).  Prints per kind: precision and recall
(pooled over all the queries' rows, and the mean per query), how often the
page's count equals the CSV's rows, and the time per coverage view (the page;
the page and its CSV).  Judgments of articles not in the index are left out,
and so are the queries left with none.

    .venv/bin/python bench/coverage.py --config /work/idx/news00/config.toml
    .venv/bin/python bench/coverage.py --config /work/idx/100k/config.toml
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import os
import platform
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.relevance import load_queries  # noqa: E402

KINDS = ("name-accented", "name-folded")
_TOTAL = re.compile(r'<span class="total">([\d.]+) bài viết</span>')
_EXPORT = re.compile(r'<a class="button" href="([^"]+)" download>')


def coverage(client, query: str) -> tuple[int, set[str], float, float]:
    """``(count on the page, ids of its CSV, seconds for the page, seconds for page and CSV)``."""
    started = time.perf_counter()
    page = client.simulate_get("/coverage", params={"q": query})
    page_time = time.perf_counter() - started
    if page.status_code != 200:
        raise SystemExit(f"/coverage?q={query} answered {page.status_code}")
    count = int(_TOTAL.search(page.text).group(1).replace(".", ""))
    ids: set[str] = set()
    found = _EXPORT.search(page.text)
    if found:
        link = urlsplit(html.unescape(found.group(1)))
        exported = client.simulate_get(link.path, query_string=link.query)
        text = exported.content.decode("utf-8-sig")
        ids = {row["id"] for row in csv.DictReader(io.StringIO(text, newline=""))}
    return count, ids, page_time, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="the config of the index to measure")
    parser.add_argument("--limit", type=int, default=0, help="at most this many queries per kind (0 = all)")
    parser.add_argument("--show-misses", type=int, default=0, help="print this many imperfect queries per kind")
    args = parser.parse_args()

    from falcon import testing

    from api.app import create_app
    from index.settings import load_config
    from index.stats import index_stats
    from index.store import IndexStore
    from search.searcher import Searcher

    # Every view computed here: results shared by server processes would flatter the times.
    config = load_config(args.config).with_overrides(search__shared_result_cache=0, search__result_cache=0)
    searcher = Searcher(config)
    client = testing.TestClient(create_app(config, searcher, environ={}))
    stats = index_stats(IndexStore(config.path("index.path")))
    with searcher._lock:
        searcher._refresh()
        indexed = {t.decode() for t in searcher._searcher.reader().lexicon("id")}
    queries, judged = load_queries()
    by_kind: dict[str, list[tuple[str, str, set[str]]]] = defaultdict(list)
    for qid, (text, kind) in queries.items():
        relevant = judged.get(qid, set()) & indexed
        if kind in KINDS and relevant:
            by_kind[kind].append((qid, text, relevant))

    client.simulate_get("/coverage", params={"q": "khởi động"})  # warm: open the index, load pyvi
    rows = []
    for kind in KINDS:
        items = by_kind[kind][: args.limit] if args.limit else by_kind[kind]
        if not items:
            continue
        true_positives = returned = wanted = agreed = 0
        precisions, recalls, page_times, both_times, misses = [], [], [], [], []
        for _, text, relevant in items:
            count, ids, page_time, both_time = coverage(client, text)
            hits = len(ids & relevant)
            true_positives += hits
            returned += len(ids)
            wanted += len(relevant)
            agreed += count == len(ids)
            precisions.append(hits / len(ids) if ids else 0.0)
            recalls.append(hits / len(relevant))
            page_times.append(page_time * 1000)
            both_times.append(both_time * 1000)
            if hits < len(ids) or hits < len(relevant):
                misses.append((text, len(ids) - hits, len(relevant) - hits, sorted(ids - relevant)[:3]))
        rows.append(
            (
                kind,
                len(items),
                true_positives / returned if returned else 0.0,
                true_positives / wanted,
                statistics.mean(precisions),
                statistics.mean(recalls),
                agreed,
                statistics.median(page_times),
                max(page_times),
                statistics.median(both_times),
            )
        )
        for text, extra, missing, examples in misses[: args.show_misses]:
            print(f"  {kind} {text!r}: {extra} not judged {examples}, {missing} judged not exported", file=sys.stderr)

    print(f"corpus: {stats.documents} articles, index {config.path('index.path')}")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        "one process, Falcon's test client (no network)"
    )
    print(f"command: .venv/bin/python bench/coverage.py {' '.join(sys.argv[1:])}".rstrip())
    print()
    print(
        "| kind | queries | precision (pooled) | recall (pooled) | precision (mean) | recall (mean) "
        "| count = CSV rows | page p50 ms | page max ms | page + CSV p50 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind, count, p, r, mp, mr, agreed, p50, worst, both in rows:
        print(
            f"| {kind} | {count} | {p:.3f} | {r:.3f} | {mp:.3f} | {mr:.3f} | {agreed}/{count} "
            f"| {p50:.1f} | {worst:.1f} | {both:.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
