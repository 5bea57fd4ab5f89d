"""Reading endpoints over the searcher: ``/api/search``, ``/api/search/export``, ``/api/coverage``, ``/api/suggest``."""

from __future__ import annotations

import csv
import io
import itertools
import json
import logging
import re
from collections.abc import Iterator

import falcon

from api.errors import BadParameter
from api.params import filters, one, raw, search_options
from index.analysis import fold
from index.schema import UNDATED

log = logging.getLogger("api")

EXPORT_FIELDS = ("id", "published", "title", "author", "url", "source")
EXPORT_FORMATS = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson; charset=utf-8"}
# Spreadsheets run cells starting with these as formulas (OWASP's CSV injection list: `-2+3+cmd|...`
# is one too); a leading apostrophe keeps them text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_EXPORT_BATCH = 200


class SearchResource:
    cache = "index"

    def __init__(self, searcher):
        self.searcher = searcher

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        result = self.searcher.search(one(req, "q", ""), **search_options(req))
        # The generation the result was computed on is exact: the ETag is made from it (api/caching.py).
        resp.context.generation = result.generation
        resp.media = result.as_dict()


class ExportResource:
    cache = "index"

    def __init__(self, searcher, keys=None, max_rows: int = 0):
        self.searcher = searcher
        self.keys = keys  # a valid API key lifts the cap on rows
        self.max_rows = max_rows  # api.export_max_rows, for callers without a key

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        fmt = one(req, "format", "csv")
        if fmt not in EXPORT_FORMATS:
            raise BadParameter("format", "format must be csv or ndjson")
        query = one(req, "q", "")
        options = filters(req)
        options["sort"] = one(req, "sort", "newest")
        capped = self.max_rows and not (self.keys is not None and self.keys.valid(req))
        rows = self.searcher.export(query, max_rows=self.max_rows if capped else 0, **options)
        # Start the generator now: a bad parameter or a missing index must become a 4xx/503,
        # which is impossible once the body has started.
        first = list(itertools.islice(rows, 1))
        rows = itertools.chain(first, rows)
        resp.content_type = EXPORT_FORMATS[fmt]
        resp.downloadable_as = f"hnp-export-{_slug(query)}.{fmt}"
        resp.stream = _streamed(_csv_lines(rows) if fmt == "csv" else _ndjson_lines(rows))


class CoverageResource:
    """``GET /api/coverage?q=``: the numbers of the coverage view (``/coverage``), for dashboards:
    how many articles, month by month, and the spellings found.  ``match`` defaults to
    ``phrase`` here, as on the page: a name is counted where it is written."""

    cache = "index"

    def __init__(self, searcher):
        self.searcher = searcher

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        options = filters(req)
        options["match"] = options["match"] or "phrase"
        options["sort"] = "newest"
        # Counted exactly as typed, as on the page: never a correction's results.
        result = self.searcher.search(one(req, "q", ""), per_page=1, highlight=False, verbatim=True, **options)
        resp.context.generation = result.generation
        resp.media = coverage_numbers(result)


def coverage_numbers(result) -> dict:
    """The coverage of a search result: its count, per month (dated articles) and per spelling."""
    months = [m for m in result.facets.get("month", []) if m["value"] != UNDATED]
    return {
        "query": result.query,
        "match": result.match,
        "diacritics": result.diacritics,
        "total": result.total,
        "folded_only": result.folded_only,
        "months": [{"month": m["value"], "count": m["count"]} for m in months],
        "undated": result.total - sum(m["count"] for m in months),
        "spellings": result.spellings,
        "did_you_mean": result.did_you_mean,
        "generation": result.generation,
    }


def _slug(query: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(query).lower()).strip("-")[:60].strip("-")
    return slug or "all"


def _ndjson_lines(rows: Iterator[dict]) -> Iterator[str]:
    for row in rows:
        yield json.dumps({k: row.get(k, "") for k in EXPORT_FIELDS}, ensure_ascii=False) + "\n"


def _csv_lines(rows: Iterator[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_FIELDS)
    # A byte-order mark: Excel on Windows reads UTF-8 without one as a legacy code page.
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(row.get(k, "")) for k in EXPORT_FIELDS])
        yield buffer.getvalue()


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _streamed(lines: Iterator[str]) -> Iterator[bytes]:
    """Encode in batches of rows (fewer, larger writes), logging a failure mid-stream."""
    try:
        while batch := list(itertools.islice(lines, _EXPORT_BATCH)):
            yield "".join(batch).encode("utf-8")
    except Exception:
        # Headers are gone: all that is left is to cut the response short (the client sees
        # an incomplete chunked body, not a complete-looking file) and log why.
        log.exception("export failed after the response started")
        raise


class SuggestResource:
    cache = "index"

    def __init__(self, searcher):
        self.searcher = searcher

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        prefix = raw(req, "q")  # as typed: a trailing space says the last word is finished
        suggestions = self.searcher.suggest(prefix, one(req, "limit", 8))
        resp.media = {"query": prefix, "suggestions": suggestions}
