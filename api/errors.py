"""Every error the API sends is JSON ``{"title", "description"}``: serializer and handlers.

Falcon's own errors (unknown route, wrong method, too large...) go through
:func:`serialize_error`, which fills in a description when Falcon gave none.
Exceptions of the search and index layers are mapped to their 4xx/5xx here, and
anything unexpected becomes a 500 whose body says nothing about the code: the
traceback goes to the server log only.
"""

from __future__ import annotations

import errno
import json
import logging
import uuid

import falcon

from index.store import IndexMissing
from search.searcher import SearchError

log = logging.getLogger("api")

# What a client gets when Falcon raised an error without a description.
_DEFAULT_DESCRIPTIONS = {
    400: "The request could not be understood.",
    404: "There is no such resource. The endpoints are listed at /docs and /openapi.json.",
    405: "This endpoint does not accept that method; the Allow header lists the ones it does.",
    406: "The API only produces the media types listed at /openapi.json.",
    413: "The request body is larger than the server accepts.",
    414: "The request line (path and query string) is longer than the server accepts.",
    415: "The request body has a media type this endpoint does not read.",
    431: "The request headers are larger than the server accepts.",
    500: "The server failed while answering; the failure is logged. Retrying later may work.",
}


def serialize_error(req: falcon.Request, resp: falcon.Response, exception: falcon.HTTPError) -> None:
    """Falcon error serializer: JSON whatever the client accepts, always title and description."""
    body = exception.to_dict()
    status = exception.status_code
    title = body.get("title") or falcon.code_to_http_status(status)
    # Falcon's default title is the status line ("404 Not Found"); the reason phrase reads better.
    if title == falcon.code_to_http_status(status):
        title = title.split(" ", 1)[1]
    body["title"] = title
    body["description"] = body.get("description") or _DEFAULT_DESCRIPTIONS.get(status, title + ".")
    resp.content_type = falcon.MEDIA_JSON
    text = json.dumps(body, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate echoed from a client's JSON: send it escaped
        text = json.dumps(body)
    resp.text = text
    resp.set_header("Cache-Control", "no-store")


class BadParameter(falcon.HTTPBadRequest):
    """400 for one bad query parameter; the body carries ``parameter`` too."""

    def __init__(self, param: str, message: str):
        super().__init__(title=f"Invalid parameter '{param}'", description=message)
        self.param = param

    def to_dict(self, obj_type=dict):
        body = super().to_dict(obj_type)
        body["parameter"] = self.param
        return body


def _search_error(req, resp, exc: SearchError, params) -> None:
    raise BadParameter(exc.param, str(exc))


def _index_missing(req, resp, exc: IndexMissing, params) -> None:
    raise falcon.HTTPServiceUnavailable(
        title="Index unavailable",
        description=f"{exc}. The service answers again as soon as an index is built.",
        retry_after=30,
    )


def _unexpected(req, resp, exc: Exception, params) -> None:
    # An id in both the log and the response lets staff find the traceback from a user's report.
    incident = uuid.uuid4().hex[:12]
    log.exception("unexpected error %s on %s %s", incident, req.method, req.path)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        raise falcon.HTTPInsufficientStorage(
            title="Insufficient storage", description=f"The server's disk is full (incident {incident})."
        )
    raise falcon.HTTPInternalServerError(
        title="Internal server error",
        description=f"The server failed while answering; the failure is logged as incident {incident}.",
    )


def install(app: falcon.App) -> None:
    """Register the serializer and the handlers on *app*."""
    app.set_error_serializer(serialize_error)
    # Falcon picks the most specific handler, so HTTPError keeps its own and this is the fallback.
    app.add_error_handler(Exception, _unexpected)
    app.add_error_handler(SearchError, _search_error)
    app.add_error_handler(IndexMissing, _index_missing)
