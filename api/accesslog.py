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
import functools
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
# Shorter keys are refused at start-up (api/server.py): guessable, and scrubbing them would hit ordinary words.
MIN_SECRET_CHARS = 16
REDACTED = "[redacted]"
_CREDENTIAL_PARAM = re.compile(r"key|token|secret|passw|auth|signature|session", re.IGNORECASE)


def sanitize_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, REDACTED if _CREDENTIAL_PARAM.search(k) else v) for k, v in pairs], safe="[]")


def scrub(line: str) -> str:
    """*line* with every configured key redacted, however it is written there."""
    if not SECRETS:
        return line
    return _secrets_pattern(tuple(SECRETS)).sub(REDACTED, line)


@functools.lru_cache(maxsize=4)
def _secrets_pattern(secrets: tuple[str, ...]) -> re.Pattern:
    """Matches each key with each character as itself or in any encoding a log line can hold,
    mixed freely: percent-encoded (either case of hex, ``+`` for a space: a key pasted into
    ``q=`` is logged as the query was sent, or re-encoded), JSON-escaped (``\\"``, ``\\\\``,
    ``\\u00e9``: the access log is JSON), or backslash-escaped as Python's repr writes it."""
    return re.compile("|".join("".join(_char_forms(ch) for ch in secret) for secret in secrets if secret))


def _char_forms(ch: str) -> str:
    """A pattern of *ch* as itself, percent-encoded, ``+`` (a space), or escaped (JSON, repr)."""
    forms = [re.escape(ch), "".join("%" + _hex(byte) for byte in ch.encode("utf-8", "surrogatepass"))]
    if ch == " ":
        forms.append(re.escape("+"))
    if ch in "\\\"'/":
        forms.append(r"\\{1,3}" + re.escape(ch))  # \" in JSON, \\ for a backslash, doubled once more in a repr
    code = ord(ch)
    if code > 0x7E or code < 0x20:
        units = [code] if code < 0x10000 else [0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)]
        forms.append("".join(r"\\u" + _hex(unit, 4) for unit in units))  # JSON with ensure_ascii
        width, letter = (2, "x") if code < 0x100 else (4, "u") if code < 0x10000 else (8, "U")
        forms.append(r"\\" + letter + _hex(code, width))  # Python's repr
    return "(?:" + "|".join(forms) + ")"


def _hex(value: int, width: int = 2) -> str:
    """A pattern of *value* in hexadecimal, either case."""
    return "".join(f"[{d.lower()}{d.upper()}]" if d.isalpha() else d for d in f"{value:0{width}x}")


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
