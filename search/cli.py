"""``python -m search "query"``: results in a terminal, for newsroom staff and debugging."""

from __future__ import annotations

import argparse
import html
import json
import re
import sys

from index.settings import load_config_or_exit

_MARK = re.compile(r"<mark>(.*?)</mark>")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m search", description=__doc__.split("\n")[0])
    parser.add_argument("query", nargs="?", default="", help='what to look for, e.g. dan van or "Nguyễn Văn Phong"')
    parser.add_argument("--config", metavar="PATH", help="TOML config file (default: config.toml of the project)")
    parser.add_argument("--page", type=int, default=1)
    parser.add_argument("--per-page", type=int, default=None)
    parser.add_argument("--sort", choices=("relevance", "newest", "oldest"))
    parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    parser.add_argument("--author")
    parser.add_argument("--source")
    parser.add_argument("--category")
    parser.add_argument(
        "--verbatim", action="store_true", help="exactly as typed: no Telex/VNI decoding, no results of a correction"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON (the API's shape)")
    parser.add_argument("--export", action="store_true", help="print every match as JSON lines, newest first")
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    from index.store import IndexMissing
    from search.searcher import Searcher, SearchError

    searcher = Searcher(config)
    options = {
        "sort": args.sort,
        "date_from": args.date_from,
        "date_to": args.date_to,
        "author": args.author,
        "source": args.source,
        "category": args.category,
    }
    try:
        if args.export:
            for row in searcher.export(args.query, **options):
                print(json.dumps(row, ensure_ascii=False))
            return 0
        result = searcher.search(args.query, page=args.page, per_page=args.per_page, verbatim=args.verbatim, **options)
    except SearchError as exc:
        print(f"error: {exc.param}: {exc}", file=sys.stderr)
        return 2
    except IndexMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return 0
    print(_terminal(result, sys.stdout.isatty()))
    return 0


def _terminal(result, color: bool) -> str:
    def show(marked: str) -> str:
        text = _MARK.sub(r"\x1b[1;33m\1\x1b[0m" if color else r"[\1]", marked)
        return html.unescape(text)

    lines = [f"{result.total} results for {result.query!r} ({result.took_ms:.0f} ms, sorted by {result.sort})"]
    if result.showing_results_for:
        lines.append(f"Showing results for: {result.showing_results_for} (--verbatim: exactly as typed)")
    if result.did_you_mean and result.did_you_mean != result.showing_results_for:
        lines.append(f"Did you mean: {result.did_you_mean}")
    if result.relaxed:
        lines.append("(no article has every word; showing articles with most of them)")
    first = (result.page - 1) * result.per_page
    for n, hit in enumerate(result.hits, start=first + 1):
        meta = " · ".join(x for x in (hit.published, hit.author, hit.source, hit.id) if x)
        lines += [
            "",
            f"{n}. {show(hit.title_html)}",
            f"   {meta}   score {hit.score:g}",
            f"   {show(hit.snippet_html)}",
        ]
    years = ", ".join(f"{f['value']}: {f['count']}" for f in result.facets.get("year", []))
    if years:
        lines += ["", f"By year: {years}"]
    return "\n".join(lines)
