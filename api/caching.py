"""HTTP caching of GET responses: ``ETag`` keyed on the index generation, ``Cache-Control``.

A resource says how it may be cached with a class attribute ``cache``:

* ``"index"`` -- the answer depends only on the URL, the index contents and what
  is deployed (code and settings), so the index generation (which changes with
  every commit and rebuild) and :func:`served_version` are the ETag, and a
  matching ``If-None-Match`` gets a 304 without searching at all;
* ``"static"`` -- the answer never changes while the process runs (the OpenAPI
  document); the resource sets its own ETag;
* anything else (the default) -- ``Cache-Control: no-store``.

The generation is read *before* the responder runs: if a write lands in
between, the response is newer than its ETag says, which only costs the
client one extra full response later.  (Read after, an old body could be
stored under the new ETag and be revalidated forever.)
"""

from __future__ import annotations

import hashlib

import falcon

from index.settings import Config
from index.store import IndexMissing
from search.shared_results import RESULT_CODE, code_digest

# What the API renders with besides what computes results: its code, pages, templates and contract.
# (Named folders, never a glob that reaches __pycache__: its files come and go with imports.)
SERVED_CODE = (
    *RESULT_CODE,
    "api/*.py",
    "api/openapi.yaml",
    "api/templates/*",
    "api/site/*.py",
    "api/site/templates/*",
    "api/site/static/*",
)


def served_version(config: Config) -> str:
    """What decides an answer besides the index: the code that computes and renders it, and the
    search and API settings (not the API's keys: nothing derived from a secret goes out).  Part of
    the ETag, so that after a deploy or a changed setting a client's copy from before is not
    revalidated with a 304 while the index stays as it was."""
    served = {k: v for k, v in config.as_dict().items() if k.startswith(("search.", "api.")) and k != "api.keys"}
    settings = repr(sorted(served.items())).encode()
    return hashlib.blake2b(code_digest(patterns=SERVED_CODE).encode() + settings, digest_size=6).hexdigest()


def weak_etag(value: str) -> str:
    return f'W/"{value}"'


class CachingMiddleware:
    def __init__(self, searcher, max_age: int, version: str = ""):
        self.searcher = searcher
        self.max_age = max_age
        self.version = version  # served_version(config): the same in every worker of a deploy

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource, params) -> None:
        if req.method not in ("GET", "HEAD") or getattr(resource, "cache", None) != "index":
            return
        try:
            generation = self.searcher.generation
        except IndexMissing:
            return  # the responder answers 503
        etag = self._etag(generation)
        resp.set_header("ETag", etag)
        if etag_matches(req.get_header("If-None-Match"), etag):
            resp.status = falcon.HTTP_304
            resp.complete = True  # skip the responder: nothing changed since the client's copy

    def _etag(self, generation: str) -> str:
        return weak_etag(f"{generation}.{self.version}" if self.version else generation)

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource, req_succeeded: bool) -> None:
        # A responder that knows the generation its answer was computed on (resp.context.generation)
        # is exact where the one read before it may be older: the ETag is made from that.
        generation = getattr(resp.context, "generation", None)
        if generation and getattr(resource, "cache", None) == "index":
            resp.set_header("ETag", self._etag(generation))
        if resp.get_header("Cache-Control"):
            return
        cacheable = (
            req.method in ("GET", "HEAD")
            and req_succeeded
            and resp.status_code in (200, 304)
            and getattr(resource, "cache", None) in ("index", "static")
        )
        if cacheable:
            resp.cache_control = ["public", f"max-age={self.max_age}"]
        else:
            resp.cache_control = ["no-store"]


def etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    # If-None-Match uses the weak comparison: W/"x" and "x" are the same validator.
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))
