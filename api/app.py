"""``create_app(config)``: the Falcon application, with its routes, middleware and error handling."""

from __future__ import annotations

import json
from collections.abc import Mapping

import falcon

from api import errors
from api.auth import ApiKeys, configured_keys
from api.caching import CachingMiddleware, served_version
from api.cluster import ReadYourWrites
from api.documents import BulkResource, DocumentResource, SimilarResource, Writes
from api.health import HealthResource
from api.limits import LimitsMiddleware
from api.metrics import Metrics, MetricsMiddleware, MetricsResource
from api.openapi import DocsResource, OpenApiResource, build_spec
from api.search import CoverageResource, ExportResource, SearchResource, SuggestResource
from api.site import add_site_routes
from index.settings import Config
from search.searcher import Searcher


def create_app(
    config: Config,
    searcher: Searcher | None = None,
    environ: Mapping[str, str] | None = None,
) -> falcon.App:
    """The API over *config*'s index.

    *searcher* is made from *config* when not given (it opens the index lazily,
    so an app can be created before any index exists: /api/health then says
    503).  *environ* supplies ``HNP_API_KEYS`` (default: ``os.environ``).
    """
    searcher = searcher or Searcher(config)
    metrics = Metrics()
    # ReadYourWrites waits for min_seq before CachingMiddleware reads the generation for the ETag.
    middleware: list = [MetricsMiddleware(metrics), LimitsMiddleware(), ReadYourWrites(config)]
    origins = config["api.cors_origins"]
    if origins:
        middleware.append(
            falcon.CORSMiddleware(
                allow_origins="*" if "*" in origins else origins,
                expose_headers=["ETag", "Content-Disposition", "Retry-After"],
            )
        )
        if "*" not in origins:
            middleware.append(_VaryOrigin())
    middleware.append(CachingMiddleware(searcher, config["api.cache_seconds"], served_version(config)))
    app = falcon.App(middleware=middleware)
    # Commas are ordinary characters of a query: never split q=a,b into a list.
    app.req_options.auto_parse_qs_csv = False
    app.req_options.strip_url_path_trailing_slash = True
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = falcon.media.JSONHandler(
        dumps=_dumps_utf8,
    )
    errors.install(app)

    keys = ApiKeys(configured_keys(config, environ))
    writes = Writes(searcher, config)
    spec = build_spec(config)
    app.add_route("/api/search", SearchResource(searcher))
    app.add_route("/api/search/export", ExportResource(searcher, keys, config["api.export_max_rows"]))
    app.add_route("/api/coverage", CoverageResource(searcher))
    app.add_route("/api/suggest", SuggestResource(searcher))
    app.add_route("/api/documents", BulkResource(searcher, writes, keys, config))
    app.add_route("/api/documents/{doc_id}", DocumentResource(searcher, writes, keys, config))
    app.add_route("/api/documents/{doc_id}/similar", SimilarResource(searcher))
    app.add_route("/api/health", HealthResource(searcher, config))
    app.add_route("/metrics", MetricsResource(metrics, searcher))
    app.add_route("/openapi.json", OpenApiResource(spec))
    app.add_route("/docs", DocsResource(spec))
    add_site_routes(app, searcher, config)
    return app


def _dumps_utf8(obj) -> bytes:
    # Vietnamese stays readable (and ~3x smaller than \\u escapes).  Bytes: Falcon sends them as they are.
    try:
        return json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (a client's broken JSON escape, echoed in a bulk error) cannot be sent as UTF-8.
        return json.dumps(obj).encode("ascii")


class _VaryOrigin:
    """With a list of origins the answer depends on Origin: caches must know."""

    def process_response(self, req, resp, resource, req_succeeded) -> None:
        resp.append_header("Vary", "Origin")
