"""``/openapi.json`` (OpenAPI 3.0) describing every endpoint, and ``/docs``, a page rendered from it.

The document is written here by hand, next to nothing else, so that other
services can rely on it: tests check that every route of the app is in it and
that real responses conform to it.  ``/docs`` is plain server-side HTML made
from the same dictionary (no JavaScript, nothing loaded from elsewhere).
"""

from __future__ import annotations

import hashlib
import html
import json
import re

import falcon

from api.caching import etag_matches, weak_etag
from api.limits import MAX_REQUEST_LINE
from index.settings import Config


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(schema: dict | str) -> dict:
    return {"application/json": {"schema": _ref("schemas", schema) if isinstance(schema, str) else schema}}


def _error(description: str) -> dict:
    return {"description": description, "content": _json("Error")}


_CACHE_HEADERS = {
    "ETag": {
        "description": "Weak validator: the index generation the answer was computed on.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {"description": "public, max-age=[api] cache_seconds.", "schema": {"type": "string"}},
}

# Error responses shared by several operations.
_COMMON = {
    "400": _ref("responses", "BadRequest"),
    "414": _ref("responses", "UriTooLong"),
    "503": _ref("responses", "Unavailable"),
}
_NOT_MODIFIED = {"304": {"description": "Not modified: the ETag given in If-None-Match is still current."}}
_WRITE_ERRORS = {
    "401": _ref("responses", "Unauthorized"),
    "403": _ref("responses", "Forbidden"),
    "413": _ref("responses", "TooLarge"),
    "422": _ref("responses", "Unprocessable"),
    "503": _ref("responses", "Unavailable"),
    "507": _ref("responses", "InsufficientStorage"),
}


def _optional(schema: dict) -> dict:
    """An optional query parameter: HTML forms send empty fields, and empty means not given."""
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


_DAY_OR_EMPTY = _optional({"type": "string", "format": "date"})


def _string(description: str, **extra) -> dict:
    return {"type": "string", "description": description, **extra}


def build_spec(config: Config) -> dict:
    """The OpenAPI document for a server running *config*."""
    max_per_page = config["search.max_per_page"]
    filters = [_ref("parameters", n) for n in ("sort", "from", "to", "author", "source", "category")]
    counting = [_ref("parameters", n) for n in ("match", "diacritics")]
    facet_list = {"type": "array", "items": _ref("schemas", "FacetValue")}
    spec = {
        "openapi": "3.0.3",
        "info": {
            "title": "HNP search API",
            "version": "1.0.0",
            "description": (
                "Search over the Hanoi city news portal's archive and other Vietnamese news: ranked results "
                "with highlighted snippets and facets, exports, suggestions, articles and their neighbours, "
                "and authenticated writes.\n\n"
                '* **Errors** are JSON `{"title", "description"}` with a 4xx status naming what was wrong '
                "(a bad parameter also sets `parameter`); 5xx only when the server itself fails.\n"
                "* **Writes** need `Authorization: Bearer KEY` (keys from `[api] keys` or `HNP_API_KEYS`). "
                "A 2xx means the write is committed and the next search on every worker sees it.\n"
                "* **Caching**: GET answers carry an `ETag` keyed on the index generation and "
                "`Cache-Control: public, max-age=N`; send `If-None-Match` to get a 304.\n"
                f"* **Limits**: request line {MAX_REQUEST_LINE} bytes (414 beyond), 100 headers of 8190 bytes "
                f"(431), bodies `[server] max_body_bytes` = {config['server.max_body_bytes']} bytes (413); "
                f"queries longer than {config['search.max_query_chars']} characters are cut, and a query is read "
                f"for its first {config['search.max_query_terms']} syllables and {config['search.max_prefixes']} "
                "prefixes (`truncated: true`); a search working longer than "
                f"{config['search.deadline_ms']} ms stops with a 400."
            ),
            "license": {"name": "Code: see the repository"},
        },
        "tags": [
            {"name": "search", "description": "Finding articles."},
            {"name": "documents", "description": "Single articles, and writes."},
            {"name": "service", "description": "Health, metrics and this description."},
        ],
        "paths": {
            "/api/search": {
                "get": {
                    "tags": ["search"],
                    "operationId": "search",
                    "summary": "Ranked, highlighted, faceted search",
                    "description": (
                        'Words may be typed with or without diacritics; `"quoted phrases"` must be adjacent. '
                        "An empty `q` lists articles (newest first) and still applies the filters. "
                        "Sort defaults to `relevance` with a query and `newest` without.\n\n"
                        "**What `total` (and `facets`, and the export) counts**: the articles matching the query "
                        "(all its words, or with `match=phrase` the words as one phrase). For a query typed with "
                        "diacritics, when some articles hold its words with exactly those diacritics (tone placement "
                        "and i/y aside), only those (`diacritics: exact` in the answer); the articles matching only "
                        "once diacritics are removed are counted in `folded_only` and listed with `diacritics=any`. "
                        "When none does (a wrong accent), every folded match is counted, with `did_you_mean`."
                    ),
                    "parameters": [
                        _ref("parameters", "q"),
                        _ref("parameters", "page"),
                        {
                            "name": "per_page",
                            "in": "query",
                            "description": f"Hits per page, 1 to {max_per_page} (default {config['search.per_page']}).",
                            "schema": _optional({"type": "integer", "minimum": 1, "maximum": max_per_page}),
                        },
                        *counting,
                        *filters,
                        {
                            "name": "verbatim",
                            "in": "query",
                            "description": (
                                "1: search exactly as typed: no Telex/VNI decoding and never the results of "
                                "a correction (`showing_results_for` stays null). Default 0."
                            ),
                            "schema": _optional({"type": "string", "enum": ["0", "1", "true", "false"]}),
                        },
                        {
                            "name": "typing",
                            "in": "query",
                            "description": (
                                "1: the query is still being typed (live results): unless `q` ends with a space, "
                                "a half-typed last word matches as a prefix (`dân vậ` finds *dân vận*). Default 0, "
                                "the meaning of a query submitted with Enter."
                            ),
                            "schema": _optional({"type": "string", "enum": ["0", "1", "true", "false"]}),
                        },
                    ],
                    "x-example": "/api/search?q=dan+van&per_page=5",
                    "responses": {
                        "200": {
                            "description": "One page of results.",
                            "headers": _CACHE_HEADERS,
                            "content": _json("SearchResult"),
                        },
                        **_NOT_MODIFIED,
                        **_COMMON,
                    },
                }
            },
            "/api/search/export": {
                "get": {
                    "tags": ["search"],
                    "operationId": "export",
                    "summary": "Every match, streamed as CSV or NDJSON",
                    "description": (
                        "All matching articles (`id, published, title, author, url, source`), newest first unless "
                        "`sort` says otherwise, as a download (`Content-Disposition: attachment`). The body is "
                        "streamed: a transfer cut short means the export failed. In CSV, a cell starting with "
                        "`=`, `+`, `-`, `@`, tab or CR is prefixed with `'` so spreadsheets do not run it. "
                        f"Without an API key an export holds at most {config['api.export_max_rows']} rows "
                        "(`api.export_max_rows`): more matches is a 400 asking to narrow the search. "
                        "The CSV starts with a UTF-8 byte-order mark, so Excel reads its Vietnamese text as UTF-8. "
                        "The rows are the articles `total` counts in `/api/search` with the same parameters."
                    ),
                    "parameters": [
                        _ref("parameters", "q"),
                        {
                            "name": "format",
                            "in": "query",
                            "description": "csv (default) or ndjson.",
                            "schema": _optional({"type": "string", "enum": ["csv", "ndjson"]}),
                        },
                        *counting,
                        *filters,
                    ],
                    "x-example": "/api/search/export?q=Huy+Ki%C3%AAn&format=ndjson",
                    "responses": {
                        "200": {
                            "description": "The matches, one per line (CSV with a header row).",
                            "headers": {
                                "Content-Disposition": {
                                    "description": "attachment; filename=...",
                                    "schema": {"type": "string"},
                                },
                                **_CACHE_HEADERS,
                            },
                            "content": {
                                "text/csv": {"schema": {"type": "string"}},
                                "application/x-ndjson": {"schema": {"type": "string"}},
                            },
                        },
                        **_NOT_MODIFIED,
                        **_COMMON,
                    },
                }
            },
            "/api/coverage": {
                "get": {
                    "tags": ["search"],
                    "operationId": "coverage",
                    "summary": "How many articles mention a name or phrase, per month and per spelling",
                    "description": (
                        "The numbers of the coverage view (`/coverage`), for dashboards. A query without operators "
                        "is read as one phrase (`match` defaults to `phrase` here): `nguyen van phong` counts the "
                        "articles where the three syllables stand side by side in one field, with any diacritics; "
                        "`Nguyễn Văn Phong` those that write them so. Quotes, `author:`, `OR`, `-` keep their "
                        "meaning. The query is read exactly as typed (as with `verbatim=1`). `total` is the "
                        "number of rows the export with the same parameters gives."
                    ),
                    "parameters": [_ref("parameters", "q"), *counting, *filters[1:]],
                    "x-example": "/api/coverage?q=nguyen+van+phong",
                    "responses": {
                        "200": {
                            "description": "The coverage numbers.",
                            "headers": _CACHE_HEADERS,
                            "content": _json("Coverage"),
                        },
                        **_NOT_MODIFIED,
                        **_COMMON,
                    },
                }
            },
            "/api/suggest": {
                "get": {
                    "tags": ["search"],
                    "operationId": "suggest",
                    "summary": "Completions of what is being typed",
                    "description": "Cheap enough to call on every keystroke; diacritics optional.",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "description": "What has been typed so far.",
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "description": "Most suggestions, 1 to 50 (default 8).",
                            "schema": _optional({"type": "integer", "minimum": 1, "maximum": 50}),
                        },
                    ],
                    "x-example": "/api/suggest?q=dan+v",
                    "responses": {
                        "200": {
                            "description": "Suggestions, best first.",
                            "headers": _CACHE_HEADERS,
                            "content": _json("Suggestions"),
                        },
                        **_NOT_MODIFIED,
                        **_COMMON,
                    },
                }
            },
            "/api/documents": {
                "post": {
                    "tags": ["documents"],
                    "operationId": "bulkUpsert",
                    "summary": "Add or replace many articles (NDJSON)",
                    "description": (
                        "One JSON article per line (or one JSON array of articles). Valid records are committed "
                        "together, replacing articles with the same id; invalid ones are counted and explained "
                        "(at most 1000 explained). When a record's id repeats, the last one wins (`superseded`). "
                        "Batches of a few hundred articles answer within seconds."
                    ),
                    "security": [{"bearerAuth": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-ndjson": {"schema": {"type": "string", "pattern": "\\S"}},
                            "application/json": {
                                "schema": {"type": "array", "minItems": 1, "items": _ref("schemas", "ArticleInput")}
                            },
                        },
                    },
                    "x-example-body": '{"id": "demo-1", "title": "Tiêu đề", "body": "Nội dung"}',
                    "responses": {
                        "200": {
                            "description": "Committed: counts of indexed and rejected records.",
                            "content": _json("BulkResult"),
                        },
                        "400": _ref("responses", "BadRequest"),
                        **_WRITE_ERRORS,
                        "422": {
                            "description": "No record was valid; nothing was written.",
                            "content": _json("BulkRejected"),
                        },
                    },
                }
            },
            "/api/documents/{doc_id}": {
                "parameters": [_ref("parameters", "doc_id")],
                "get": {
                    "tags": ["documents"],
                    "operationId": "getDocument",
                    "summary": "One article, as stored",
                    "x-example": "/api/documents/000_2ebd19a772751180",
                    "responses": {
                        "200": {"description": "The article.", "headers": _CACHE_HEADERS, "content": _json("Article")},
                        **_NOT_MODIFIED,
                        "404": _ref("responses", "NotFound"),
                        "503": _ref("responses", "Unavailable"),
                    },
                },
                "put": {
                    "tags": ["documents"],
                    "operationId": "putDocument",
                    "summary": "Add or replace one article",
                    "description": "The id is the one in the path; a different `id` in the body is a 422.",
                    "security": [{"bearerAuth": []}],
                    "requestBody": {"required": True, "content": _json("ArticleInput")},
                    "x-example-body": '{"title": "Tiêu đề", "body": "Nội dung bài viết", "date": "2024-05-01T08:00+07:00"}',
                    "responses": {
                        "200": {"description": "Committed.", "content": _json("WriteResult")},
                        "400": _ref("responses", "BadRequest"),
                        **_WRITE_ERRORS,
                    },
                },
                "delete": {
                    "tags": ["documents"],
                    "operationId": "deleteDocument",
                    "summary": "Delete one article",
                    "security": [{"bearerAuth": []}],
                    "responses": {
                        "200": {"description": "Deleted and committed.", "content": _json("WriteResult")},
                        "400": _ref("responses", "BadRequest"),
                        "401": _ref("responses", "Unauthorized"),
                        "403": _ref("responses", "Forbidden"),
                        "404": _ref("responses", "NotFound"),
                        "503": _ref("responses", "Unavailable"),
                        "507": _ref("responses", "InsufficientStorage"),
                    },
                },
            },
            "/api/documents/{doc_id}/similar": {
                "parameters": [_ref("parameters", "doc_id")],
                "get": {
                    "tags": ["documents"],
                    "operationId": "similarDocuments",
                    "summary": "Articles most like this one",
                    "parameters": [
                        {
                            "name": "limit",
                            "in": "query",
                            "description": "Most articles, 1 to 100 (default 10).",
                            "schema": _optional({"type": "integer", "minimum": 1, "maximum": 100}),
                        }
                    ],
                    "x-example": "/api/documents/000_2ebd19a772751180/similar?limit=5",
                    "responses": {
                        "200": {
                            "description": "Similar articles, best first (not the article itself).",
                            "headers": _CACHE_HEADERS,
                            "content": _json("Similar"),
                        },
                        **_NOT_MODIFIED,
                        **_COMMON,
                        "404": _ref("responses", "NotFound"),
                    },
                },
            },
            "/api/health": {
                "get": {
                    "tags": ["service"],
                    "operationId": "health",
                    "summary": "Is the index searchable",
                    "x-example": "/api/health",
                    "responses": {
                        "200": {"description": "Searchable.", "content": _json("Health")},
                        "503": {
                            "description": "No index yet (or it cannot be opened).",
                            "content": _json("HealthUnavailable"),
                        },
                    },
                }
            },
            "/metrics": {
                "get": {
                    "tags": ["service"],
                    "operationId": "metrics",
                    "summary": "Prometheus metrics of the answering worker",
                    "description": (
                        "Requests, errors and a latency histogram by route, and the index's size. Counters are per "
                        "gunicorn worker (label `worker`, its pid), not summed: sum them in Prometheus."
                    ),
                    "x-example": "/metrics",
                    "responses": {
                        "200": {
                            "description": "Prometheus text format 0.0.4.",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "tags": ["service"],
                    "operationId": "openapi",
                    "summary": "This description (OpenAPI 3.0)",
                    "responses": {
                        "200": {"description": "The OpenAPI document.", "content": _json({"type": "object"})},
                        **_NOT_MODIFIED,
                    },
                }
            },
            "/docs": {
                "get": {
                    "tags": ["service"],
                    "operationId": "docs",
                    "summary": "This description as a web page",
                    "responses": {
                        "200": {"description": "HTML.", "content": {"text/html": {"schema": {"type": "string"}}}},
                        **_NOT_MODIFIED,
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key of the server's config or HNP_API_KEYS.",
                }
            },
            "parameters": {
                "q": {
                    "name": "q",
                    "in": "query",
                    "description": f"The query; empty lists everything. Cut at {config['search.max_query_chars']} characters.",
                    "schema": {"type": "string"},
                },
                "page": {
                    "name": "page",
                    "in": "query",
                    "description": "Page number, from 1.",
                    "schema": _optional({"type": "integer", "minimum": 1, "maximum": 1_000_000}),
                },
                "sort": {
                    "name": "sort",
                    "in": "query",
                    "description": "relevance, newest or oldest.",
                    "schema": _optional({"type": "string", "enum": ["relevance", "newest", "oldest"]}),
                },
                "from": {
                    "name": "from",
                    "in": "query",
                    "description": "Only articles published on or after this day (UTC+7). Undated articles are left out by a date filter. Empty: no limit.",
                    "schema": _DAY_OR_EMPTY,
                },
                "to": {
                    "name": "to",
                    "in": "query",
                    "description": "Only articles published on or before this day (UTC+7); not before `from`. Empty: no limit.",
                    "schema": _DAY_OR_EMPTY,
                },
                "author": {
                    "name": "author",
                    "in": "query",
                    "description": "Byline; repeat for any of several. Without diacritics it matches any accented spelling. At most `search.max_filter_values` (20) values; more is a 400.",
                    "schema": {
                        "type": "array",
                        "items": {"type": "string"},
                        "maxItems": config["search.max_filter_values"],
                    },
                    "style": "form",
                    "explode": True,
                },
                "source": {
                    "name": "source",
                    "in": "query",
                    "description": "Source (e.g. hnp); repeat for any of several. At most `search.max_filter_values` (20) values; more is a 400.",
                    "schema": {
                        "type": "array",
                        "items": {"type": "string"},
                        "maxItems": config["search.max_filter_values"],
                    },
                    "style": "form",
                    "explode": True,
                },
                "category": {
                    "name": "category",
                    "in": "query",
                    "description": "Category; repeat for any of several. At most `search.max_filter_values` (20) values; more is a 400.",
                    "schema": {
                        "type": "array",
                        "items": {"type": "string"},
                        "maxItems": config["search.max_filter_values"],
                    },
                    "style": "form",
                    "explode": True,
                },
                "match": {
                    "name": "match",
                    "in": "query",
                    "description": (
                        "What a query without operators matches: `all` its words, anywhere (the default of "
                        "/api/search and the export), or the words as one `phrase`, side by side in one field "
                        "(the default of /api/coverage). A query with quotes, `name:`, `author:`, `field:`, `OR`, "
                        "`-` or `*` is taken as written either way."
                    ),
                    "schema": _optional({"type": "string", "enum": ["all", "phrase"]}),
                },
                "diacritics": {
                    "name": "diacritics",
                    "in": "query",
                    "description": (
                        "For a query typed with diacritics: `exact` (default) counts the articles holding its "
                        "words with those diacritics when there are any; `any` counts every match found once "
                        "diacritics are removed too (they rank after the exact ones)."
                    ),
                    "schema": _optional({"type": "string", "enum": ["exact", "any"]}),
                },
                "doc_id": {
                    "name": "doc_id",
                    "in": "path",
                    "required": True,
                    "description": "Article id: up to 200 characters; no spaces, control characters (C0, C1), bidirectional marks or overrides, "
                    "or / \\ ? # %; not `.` or `..` alone.",
                    "schema": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 200,
                        "pattern": "^[^\\x00-\\x20\\x7f-\\x9f/\\\\?#%\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]+$",
                    },
                },
            },
            "responses": {
                "BadRequest": _error(
                    "A parameter or the body is malformed; the description says which and what is accepted."
                ),
                "NotFound": _error("No such article."),
                "Unauthorized": {
                    **_error("No API key was sent."),
                    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
                },
                "Forbidden": _error("The API key is wrong, or the server accepts no writes."),
                "TooLarge": _error("The body is larger than [server] max_body_bytes."),
                "UriTooLong": _error(f"The request line is longer than {MAX_REQUEST_LINE} bytes."),
                "Unprocessable": _error(
                    "The JSON is not a valid article (the description says why), or its id differs from the path's."
                ),
                "Unavailable": {
                    **_error(
                        "No index has been built yet, or another write held the index too long. Retry after Retry-After seconds."
                    ),
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                },
                "InsufficientStorage": _error("The disk is full; nothing was written."),
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["title", "description"],
                    "properties": {
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "parameter": _string("The query parameter that was wrong (400 only)."),
                    },
                },
                "FacetValue": {
                    "type": "object",
                    "required": ["value", "count"],
                    "properties": {"value": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
                },
                "Hit": {
                    "type": "object",
                    "required": [
                        "id",
                        "title",
                        "published",
                        "author",
                        "url",
                        "source",
                        "score",
                        "title_html",
                        "snippet_html",
                    ],
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "published": _string("ISO date-time with offset (or a day, or empty when unknown)."),
                        "author": {"type": "string"},
                        "url": {"type": "string"},
                        "source": {"type": "string"},
                        "category": {"type": "string"},
                        "score": {
                            "type": "number",
                            "description": "Relevance within the article's tier (BM25F, proximity, pyvi words): it orders articles of equal tier, and is not comparable across tiers.",
                        },
                        "tier": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "The ranking rules the article satisfies, one bit each, applied in this order: 16 every word with the diacritics typed, 8 the whole query as a phrase, 4 and 2 within the phrase (the title, or the restored reading of a query typed without diacritics), 1 the restored reading's words. With sort=relevance, hits come by tier, then score.",
                        },
                        "title_html": _string("The title, HTML-escaped, matched words in <mark>."),
                        "snippet_html": _string("Fragments around the matches, HTML-escaped, matched words in <mark>."),
                    },
                },
                "SearchResult": {
                    "type": "object",
                    "required": ["query", "total", "page", "per_page", "took_ms", "hits", "facets", "did_you_mean"],
                    "properties": {
                        "query": _string("The query as understood (normalised, cut if too long)."),
                        "total": {"type": "integer", "minimum": 0},
                        "page": {"type": "integer", "minimum": 1},
                        "per_page": {"type": "integer", "minimum": 1},
                        "sort": {"type": "string", "enum": ["relevance", "newest", "oldest"]},
                        "took_ms": {"type": "number"},
                        "hits": {"type": "array", "items": _ref("schemas", "Hit")},
                        "facets": {
                            "type": "object",
                            "description": "Counts over all matches. year/month/day sorted by value ('undated' last); others by count, top [search] facet_limit. day only when from and to fall in one month.",
                            "required": ["year", "month", "author", "source"],
                            "properties": {
                                k: facet_list for k in ("year", "month", "day", "author", "source", "category")
                            },
                        },
                        "did_you_mean": {
                            "type": "string",
                            "nullable": True,
                            "description": (
                                "A better query to offer, or null: accents restored, spelling corrected, or "
                                "Telex/VNI typed with the input method off decoded (`daan vaajn`: `dân vận`)."
                            ),
                        },
                        "showing_results_for": {
                            "type": "string",
                            "nullable": True,
                            "description": (
                                "The query whose results these are when it is not `query` (which stays as "
                                "typed), else null: the decoded Telex/VNI, or the correction of a query that "
                                "found (almost) nothing (`hanoi`: `Hà Nội`). Add `verbatim=1` to search "
                                "exactly as typed."
                            ),
                        },
                        "relaxed": _boolean(
                            "True when not every word could be matched and the best partial matches are shown."
                        ),
                        "truncated": _boolean(
                            "True when part of the query was ignored: cut at the length limit, or past the "
                            "syllables or prefixes one query may hold."
                        ),
                        "generation": _string("The index generation searched."),
                        "match": {
                            "type": "string",
                            "enum": ["all", "phrase"],
                            "description": "How the query was read: all its words, or one phrase (match=phrase "
                            "and no operators).",
                        },
                        "diacritics": {
                            "type": "string",
                            "enum": ["exact", "any"],
                            "description": "What total counts: `exact`, the articles with the diacritics typed; "
                            "`any`, every match whatever its diacritics (a query typed without them, a wrong "
                            "accent, or diacritics=any).",
                        },
                        "folded_only": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "A query typed with diacritics: the matches that hold its words only "
                            "once diacritics are removed. Not in total when diacritics is `exact` "
                            "(ask diacritics=any to list them), in it when `any`.",
                        },
                        "phrase_total": {
                            "type": "integer",
                            "minimum": 0,
                            "nullable": True,
                            "description": "When the query looks like a name (capitalised syllables, or written "
                            "as a name in the index) and is read as all its words: how many of the matches hold "
                            "it as one phrase. Otherwise null.",
                        },
                        "spellings": _ref("schemas", "Spellings"),
                    },
                },
                "Spellings": {
                    "type": "array",
                    "description": "A phrase typed without diacritics, read as a phrase: how the matches write "
                    "it, the most frequent first (an article writing it two ways counts for each). Empty otherwise.",
                    "items": {
                        "type": "object",
                        "required": ["text", "count"],
                        "properties": {
                            "text": _string("The phrase as written (canonical tone placement)."),
                            "count": {"type": "integer", "minimum": 1},
                        },
                    },
                },
                "Coverage": {
                    "type": "object",
                    "required": ["query", "match", "diacritics", "total", "months", "undated", "spellings"],
                    "properties": {
                        "query": _string("The query as understood."),
                        "match": {"type": "string", "enum": ["all", "phrase"]},
                        "diacritics": {"type": "string", "enum": ["exact", "any"]},
                        "total": {"type": "integer", "minimum": 0, "description": "Articles counted."},
                        "folded_only": {"type": "integer", "minimum": 0},
                        "months": {
                            "type": "array",
                            "description": "Dated articles per month (YYYY-MM), oldest first; months without any "
                            "are left out.",
                            "items": {
                                "type": "object",
                                "required": ["month", "count"],
                                "properties": {"month": {"type": "string"}, "count": {"type": "integer"}},
                            },
                        },
                        "undated": {"type": "integer", "minimum": 0, "description": "Articles without a date."},
                        "spellings": _ref("schemas", "Spellings"),
                        "did_you_mean": {"type": "string", "nullable": True},
                        "generation": _string("The index generation searched."),
                    },
                },
                "Article": {
                    "type": "object",
                    "required": [
                        "id",
                        "title",
                        "summary",
                        "body",
                        "captions",
                        "author",
                        "published",
                        "url",
                        "source",
                        "category",
                    ],
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "summary": {"type": "string"},
                        "body": {"type": "string"},
                        "captions": {"type": "array", "items": {"type": "string"}},
                        "author": {"type": "string"},
                        "published": {"type": "string"},
                        "url": {"type": "string"},
                        "source": {"type": "string"},
                        "category": {"type": "string"},
                    },
                },
                "ArticleInput": {
                    "type": "object",
                    "description": (
                        "An article in the JSON Lines shape of the corpus. Needs an id (PUT: from the path) and some "
                        "text in title, summary or body. null means absent; unknown fields are ignored."
                    ),
                    "properties": {
                        "id": {
                            "anyOf": [{"type": "string"}, {"type": "integer"}],
                            "nullable": True,
                            "description": "Optional in PUT; must equal the path's id if given.",
                        },
                        **{
                            name: _text()
                            for name in ("title", "summary", "body", "author", "url", "category", "source")
                        },
                        "captions": {
                            "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}],
                            "nullable": True,
                            "description": "Photo captions (one string is one caption).",
                        },
                        "date": _text("YYYY-MM-DD or an ISO date-time; times without an offset are UTC+7."),
                    },
                },
                "Suggestions": {
                    "type": "object",
                    "required": ["suggestions"],
                    "properties": {
                        "query": {"type": "string"},
                        "suggestions": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "Similar": {
                    "type": "object",
                    "required": ["id", "similar"],
                    "properties": {
                        "id": {"type": "string"},
                        "similar": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id"],
                                "properties": {
                                    "id": {"type": "string"},
                                    "title": {"type": "string"},
                                    "score": {"type": "number"},
                                },
                            },
                        },
                    },
                },
                "WriteResult": {
                    "type": "object",
                    "required": ["id", "status", "generation"],
                    "properties": {
                        "id": {"type": "string"},
                        "status": {"type": "string", "enum": ["indexed", "deleted"]},
                        "generation": _string("The index generation written to."),
                    },
                },
                "BulkResult": {
                    "type": "object",
                    "required": ["indexed", "rejected", "superseded", "errors"],
                    "properties": {
                        "indexed": {"type": "integer", "minimum": 0},
                        "rejected": {"type": "integer", "minimum": 0},
                        "superseded": _integer("Records replaced by a later record with the same id in this request."),
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["line", "reason"],
                                "properties": {
                                    "line": _integer("Line number (array: position), from 1."),
                                    "id": {"type": "string", "nullable": True},
                                    "reason": {"type": "string"},
                                },
                            },
                        },
                        "generation": {"type": "string"},
                    },
                },
                "BulkRejected": {"allOf": [_ref("schemas", "Error"), _ref("schemas", "BulkResult")]},
                "Health": {
                    "type": "object",
                    "required": ["status", "documents", "generation"],
                    "properties": {
                        "status": {"type": "string", "enum": ["ok"]},
                        "documents": {"type": "integer", "minimum": 0},
                        "generation": {"type": "string"},
                        "worker": _integer("pid of the gunicorn worker that answered."),
                    },
                },
                "HealthUnavailable": {
                    "allOf": [
                        _ref("schemas", "Error"),
                        {
                            "type": "object",
                            "properties": {
                                "status": {"type": "string", "enum": ["unavailable"]},
                                "worker": {"type": "integer"},
                            },
                        },
                    ]
                },
            },
        },
    }
    from api.cluster import extend_spec  # cluster mode's additions (min_seq, X-Index-Seq, health's lag)

    return extend_spec(spec)


def _text(description: str = "") -> dict:
    schema = {"type": "string", "nullable": True}
    return {**schema, "description": description} if description else schema


def _boolean(description: str) -> dict:
    return {"type": "boolean", "description": description}


def _integer(description: str) -> dict:
    return {"type": "integer", "minimum": 0, "description": description}


class OpenApiResource:
    cache = "static"

    def __init__(self, spec: dict):
        self.body = json.dumps(spec, ensure_ascii=False, indent=1)
        self.etag = weak_etag(hashlib.sha256(self.body.encode()).hexdigest()[:16])

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.etag = self.etag
        if etag_matches(req.get_header("If-None-Match"), self.etag):
            resp.status = falcon.HTTP_304
            return
        resp.content_type = falcon.MEDIA_JSON
        resp.text = self.body


class DocsResource:
    cache = "static"

    def __init__(self, spec: dict):
        self.body = render_docs(spec)
        self.etag = weak_etag(hashlib.sha256(self.body.encode()).hexdigest()[:16])

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.etag = self.etag
        if etag_matches(req.get_header("If-None-Match"), self.etag):
            resp.status = falcon.HTTP_304
            return
        resp.content_type = falcon.MEDIA_HTML
        resp.text = self.body


# --- the /docs page --------------------------------------------------------------------------

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f4f4f4;padding:.6rem;overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
.op{border-top:2px solid #ccc;margin-top:2rem}.m{font-weight:bold;font-family:monospace;padding:0 .3rem;border-radius:3px;background:#e8eef8}
.m.put,.m.post{background:#fdf0d8}.m.delete{background:#f9dede}
"""


def render_docs(spec: dict) -> str:
    """The API description as one self-contained HTML page."""
    e = html.escape
    info = spec["info"]
    ops = [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in ("get", "put", "post", "delete")
    ]
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(info['title'])}</title><meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{e(info['title'])} <small>{e(info['version'])}</small></h1>",
        _markdownish(info["description"]),
        "<p>Machine-readable: <a href='/openapi.json'>/openapi.json</a> (OpenAPI 3.0).</p>",
        "<h2>Endpoints</h2><table><tr><th>method</th><th>path</th><th>what</th></tr>",
    ]
    for path, method, op in ops:
        out.append(
            f"<tr><td><span class='m {method}'>{method.upper()}</span></td>"
            f"<td><a href='#{e(op['operationId'])}'><code>{e(path)}</code></a></td><td>{e(op['summary'])}</td></tr>"
        )
    out.append("</table>")
    for path, method, op in ops:
        out.append(f"<section class='op' id='{e(op['operationId'])}'>")
        out.append(f"<h3><span class='m {method}'>{method.upper()}</span> <code>{e(path)}</code></h3>")
        out.append(f"<p><b>{e(op['summary'])}.</b> {_markdownish(op.get('description', ''), para=False)}</p>")
        if op.get("security"):
            out.append("<p>Needs <code>Authorization: Bearer KEY</code>.</p>")
        params = [_resolve(spec, p) for p in spec["paths"][path].get("parameters", []) + op.get("parameters", [])]
        if params:
            out.append("<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>")
            for p in params:
                out.append(
                    f"<tr><td><code>{e(p['name'])}</code>{' (required)' if p.get('required') else ''}</td>"
                    f"<td>{e(p['in'])}</td><td>{e(_type(spec, p['schema']))}</td><td>{e(p.get('description', ''))}</td></tr>"
                )
            out.append("</table>")
        if "requestBody" in op:
            kinds = ", ".join(
                f"{media} ({_type(spec, c['schema'])})" for media, c in op["requestBody"]["content"].items()
            )
            out.append(f"<p>Body: {e(kinds)}</p>")
        out.append("<table><tr><th>status</th><th>meaning</th><th>body</th></tr>")
        for status, response in op["responses"].items():
            response = _resolve(spec, response)
            bodies = ", ".join(
                f"{media}: {_type(spec, c['schema'])}" for media, c in response.get("content", {}).items()
            )
            out.append(f"<tr><td>{e(status)}</td><td>{e(response['description'])}</td><td>{e(bodies)}</td></tr>")
        out.append("</table>")
        out.append(f"<pre>{e(_curl(path, method, op))}</pre></section>")
    out.append("<h2>Schemas</h2>")
    for name, schema in spec["components"]["schemas"].items():
        out.append(f"<h3 id='schema-{e(name)}'>{e(name)}</h3>")
        if schema.get("description"):
            out.append(f"<p>{e(schema['description'])}</p>")
        props = _properties(spec, schema)
        if props:
            out.append("<table><tr><th>field</th><th>type</th><th>description</th></tr>")
            for field, (sub, required) in props.items():
                out.append(
                    f"<tr><td><code>{e(field)}</code>{' (always)' if required else ''}</td>"
                    f"<td>{e(_type(spec, sub))}</td><td>{e(sub.get('description', ''))}</td></tr>"
                )
            out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)


def _resolve(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = spec["components"][kind][name]
    return node


def _type(spec: dict, schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].split("/")[-1]
    if "allOf" in schema:
        return " + ".join(_type(spec, s) for s in schema["allOf"])
    if "anyOf" in schema:
        return " or ".join(_type(spec, s) for s in schema["anyOf"]).replace(
            " or string (at most 0 chars)", ", or empty"
        )
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type(spec, schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    if schema.get("maxLength") == 0:
        return f"{kind} (at most 0 chars)"
    if "minimum" in schema and "maximum" in schema:
        return f"{kind} {schema['minimum']}..{schema['maximum']}"
    return kind + (" or null" if schema.get("nullable") else "")


def _properties(spec: dict, schema: dict) -> dict[str, tuple[dict, bool]]:
    parts = schema.get("allOf", [schema])
    props: dict[str, tuple[dict, bool]] = {}
    for part in parts:
        part = _resolve(spec, part)
        required = set(part.get("required", []))
        for field, sub in part.get("properties", {}).items():
            props[field] = (sub, field in required)
    return props


def _curl(path: str, method: str, op: dict) -> str:
    example = op.get("x-example") or path.replace("{doc_id}", "demo-1")
    url = f"'http://127.0.0.1:8000{example}'"
    if method == "get":
        return f"curl {url}"
    parts = [f"curl -X {method.upper()} {url}", '-H "Authorization: Bearer $HNP_KEY"']
    if op.get("x-example-body"):
        media = next(iter(op["requestBody"]["content"]))
        parts += [f"-H 'Content-Type: {media}'", f"--data-binary '{op['x-example-body']}'"]
    return " \\\n  ".join(parts)


def _markdownish(text: str, para: bool = True) -> str:
    """The little Markdown the descriptions use: bullets, **bold** and `code`."""

    def inline(s: str) -> str:
        s = html.escape(s)
        s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
        return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", s)

    if not para:
        return inline(text)
    blocks = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        if all(line.startswith("* ") for line in lines):
            blocks.append("<ul>" + "".join(f"<li>{inline(line[2:])}</li>" for line in lines) + "</ul>")
        else:
            blocks.append(f"<p>{inline(block)}</p>")
    return "\n".join(blocks)
