"""The site's static files (CSS, script, icon), served by the app itself: no CDN, no build step.

Files are read once per process.  Pages link them as ``/assets/NAME?v=DIGEST``,
so a browser may cache them for a year and still sees a new version at once.
Only the files listed in :data:`FILES` are served, so no path from a URL ever
reaches the file system.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import falcon

STATIC_DIR = Path(__file__).resolve().parent / "static"
FILES = {
    "site.css": "text/css; charset=utf-8",
    "site.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
PREFIX = "/assets"


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    digest: str


@cache
def _assets() -> dict[str, Asset]:
    found = {}
    for name, content_type in FILES.items():
        body = (STATIC_DIR / name).read_bytes()
        found[name] = Asset(body, content_type, hashlib.sha256(body).hexdigest()[:12])
    return found


def url(name: str) -> str:
    return f"{PREFIX}/{name}?v={_assets()[name].digest}"


class StaticAssets:
    """``GET /assets/{name}``: one of the site's files."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        asset = _assets().get(name)
        if asset is None:
            raise falcon.HTTPNotFound(title="Not found", description=f"no asset named {name!r}")
        resp.etag = asset.digest
        if req.get_param("v") == asset.digest:
            resp.cache_control = ["public", "max-age=31536000", "immutable"]
        else:
            resp.cache_control = ["public", "max-age=300"]
        if req.if_none_match and any(tag == asset.digest for tag in req.if_none_match):
            resp.status = falcon.HTTP_304
            return
        resp.content_type = asset.content_type
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.data = asset.body
