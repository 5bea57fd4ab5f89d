"""Structured access logs: one JSON object per request, for gunicorn's ``logger_class``.

Fields: time (UTC), remote, method, path, query, status, bytes, duration_ms,
referer, user_agent, worker.  No request header is logged except Referer and
User-Agent, so ``Authorization`` never reaches the log; query parameters whose
name looks like a credential are redacted, and so is any configured API key
found anywhere in the line (a key pasted into a URL by mistake), in access and
error logs alike.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import traceback
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

from gunicorn.glogging import Logger

# API keys to scrub from log lines; api/server.py sets them before gunicorn forks.
SECRETS: list[str] = []
# Shorter keys would redact ordinary words; api/server.py warns about them.
MIN_SECRET_CHARS = 8
REDACTED = "[redacted]"
_CREDENTIAL_PARAM = re.compile(r"key|token|secret|passw|auth|signature|session", re.IGNORECASE)


def sanitize_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, REDACTED if _CREDENTIAL_PARAM.search(k) else v) for k, v in pairs], safe="[]")


def scrub(line: str) -> str:
    for secret in SECRETS:
        if len(secret) >= MIN_SECRET_CHARS and secret in line:
            line = line.replace(secret, REDACTED)
    return line


def access_record(status, environ: dict, sent: int | None, seconds: float) -> dict:
    if isinstance(status, str):
        status = status.split(None, 1)[0]
    with contextlib.suppress(TypeError, ValueError):
        status = int(status)
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "remote": environ.get("REMOTE_ADDR", ""),
        "method": environ.get("REQUEST_METHOD", ""),
        "path": environ.get("PATH_INFO", ""),
        "query": sanitize_query(environ.get("QUERY_STRING", "")),
        "status": status,
        "bytes": sent,
        "duration_ms": round(seconds * 1000, 2),
        "referer": environ.get("HTTP_REFERER", ""),
        "user_agent": environ.get("HTTP_USER_AGENT", ""),
        "worker": os.getpid(),
    }


class ScrubFilter(logging.Filter):
    """Removes API keys from error-log records too: gunicorn quotes a malformed request line or
    header in its warning, and a key may be in it (``?api_key=...`` in a broken request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if SECRETS:
            record.msg, record.args = scrub(record.getMessage()), ()
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = scrub(record.exc_text)
        return True


class JsonAccessLogger(Logger):
    """gunicorn's logger, with access lines written as JSON and keys scrubbed from every log."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        # On the handlers, not the logger: the app's logger ("api") writes through the same ones.
        for handler in self.error_log.handlers:
            if not any(isinstance(f, ScrubFilter) for f in handler.filters):
                handler.addFilter(ScrubFilter())

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        try:
            seconds = request_time.total_seconds()
            record = access_record(resp.status, environ, getattr(resp, "sent", None), seconds)
            self.access_log.info(scrub(json.dumps(record, ensure_ascii=False)))
        except Exception:
            self.error(traceback.format_exc())
