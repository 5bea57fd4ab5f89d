"""Size limits of requests, shared by gunicorn's parser and the app.

gunicorn enforces the request-line and header limits before the app sees a
request (api/server.py answers those with JSON 414/431); the middleware below
applies the same limits inside the app too, so the behaviour is the same under
any WSGI server and in tests.  Bodies are bounded by ``server.max_body_bytes``
whether or not the client sent a Content-Length.
"""

from __future__ import annotations

import falcon

# gunicorn's largest allowed request line; 1,000 Vietnamese characters percent-encoded fit in it.
MAX_REQUEST_LINE = 8190
MAX_HEADER_FIELDS = 100
MAX_HEADER_FIELD_BYTES = 8190


class LimitsMiddleware:
    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if len(req.relative_uri) > MAX_REQUEST_LINE:
            raise falcon.HTTPUriTooLong(
                title="URI too long",
                description=f"The path and query string may be at most {MAX_REQUEST_LINE} bytes.",
            )
        headers = req.headers
        if len(headers) > MAX_HEADER_FIELDS or any(
            len(k) + len(v) + 2 > MAX_HEADER_FIELD_BYTES for k, v in headers.items()
        ):
            raise falcon.HTTPRequestHeaderFieldsTooLarge(
                title="Request headers too large",
                description=f"At most {MAX_HEADER_FIELDS} headers of at most {MAX_HEADER_FIELD_BYTES} bytes each.",
            )


def read_body(req: falcon.Request, max_bytes: int) -> bytes:
    """The whole request body, or 413 if it is longer than *max_bytes*."""
    too_large = falcon.HTTPContentTooLarge(
        title="Request body too large",
        description=f"The body may be at most {max_bytes} bytes; send large imports in several requests.",
    )
    if req.content_length is not None and req.content_length > max_bytes:
        raise too_large
    # Without a Content-Length (a chunked upload) Falcon's bounded_stream reads nothing; a server that
    # ends wsgi.input at the body's end (gunicorn: wsgi.input_terminated) lets us read it safely.
    chunked = req.content_length is None and req.env.get("wsgi.input_terminated")
    stream = req.stream if chunked else req.bounded_stream
    # Read one byte past the limit to detect an oversized chunked body without buffering all of it.
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_large
    return data
