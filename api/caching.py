"""HTTP caching of GET responses: ``ETag`` keyed on the index generation, ``Cache-Control``.

A resource says how it may be cached with a class attribute ``cache``:

* ``"index"`` -- the answer depends only on the URL and the index contents, so
  the index generation (which changes with every commit and rebuild) is the
  ETag, and a matching ``If-None-Match`` gets a 304 without searching at all;
* ``"static"`` -- the answer never changes while the process runs (the OpenAPI
  document); the resource sets its own ETag;
* anything else (the default) -- ``Cache-Control: no-store``.

The generation is read *before* the responder runs: if a write lands in
between, the response is newer than its ETag says, which only costs the
client one extra full response later.  (Read after, an old body could be
stored under the new ETag and be revalidated forever.)
"""

from __future__ import annotations

import falcon

from index.store import IndexMissing


def weak_etag(value: str) -> str:
    return f'W/"{value}"'


class CachingMiddleware:
    def __init__(self, searcher, max_age: int):
        self.searcher = searcher
        self.max_age = max_age

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource, params) -> None:
        if req.method not in ("GET", "HEAD") or getattr(resource, "cache", None) != "index":
            return
        try:
            generation = self.searcher.generation
        except IndexMissing:
            return  # the responder answers 503
        etag = weak_etag(generation)
        resp.set_header("ETag", etag)
        if etag_matches(req.get_header("If-None-Match"), etag):
            resp.status = falcon.HTTP_304
            resp.complete = True  # skip the responder: nothing changed since the client's copy

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource, req_succeeded: bool) -> None:
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
