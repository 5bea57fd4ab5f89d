"""``python -m api --config C``: the API under gunicorn, configured from the ``[server]`` settings.

gunicorn forks the workers first and each worker then builds its own app and
opens the index (never ``--preload``: Whoosh readers and file handles must
not be shared across processes), and runs a first search so the first request
is not the slow one.  Requests gunicorn rejects before the app sees them
(request line or headers too long, malformed HTTP) are answered with the same
JSON error shape as the app's.

The serving model is gunicorn's ``gthread`` worker, with the error page and when to
accept a connection changed: ``server.threads`` threads per process, so a slow client
holds a thread, not a worker.  A worker's searches take turns on its
searcher's lock (the interpreter would not run two at once anyway), so the
threads' use is to overlap reading requests and writing answers with that
work, and to let a write wait for its turn at the index without stopping the
worker's readers.  Each worker's threads share one malloc arena
(``server.malloc_arenas``, api/allocator.py), which keeps a worker's memory
from growing with its thread count.

What gunicorn does not do: spread keep-alive connections evenly over the
workers (whichever worker wakes first accepts a new connection, and keeps it;
16 connections went 12-4 and 13-3 on 100,000 articles, and the busier worker's
clients waited twice as long).  A worker whose threads are all busy therefore
holds back from accepting for ``server.accept_hold_ms``, so one with an idle
thread takes the connection, and then accepts one anyway, so that no client
waits for ever (:class:`JsonErrorWorker`: 8-8 and 16-16 since, with no
shared state between the workers; the board-based balancing removed in issue 20
shared one across the fork).  gunicorn's
``worker_connections`` (``server.worker_connections``) bounds what a worker
holds, and must stay above the clients it may have: a worker holding that many
accepts no more, and closes one only when an answer finds enough of the others
idle, which under a steady load they never are.  At 8 a worker (issue 16's third
round), 32 clients on 2 workers left 16 of them in the kernel's queue with no
answer at all for as long as the load lasted; the p99 measured then counted only
the answered half (BENCHMARKS.md, fifth round).  A client
that sends its request slowly holds one thread until it is done, and enough of
them would hold every thread: where clients are not trusted, put the shipped
proxy in front (deploy/), which hands a worker only requests that arrived
whole.  ``bin/serve`` alone serves without one.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.http import errors as http_errors
from gunicorn.http.message import Message
from gunicorn.http.wsgi import Response, default_environ
from gunicorn.workers.gthread import ThreadWorker

from api import accesslog
from api.allocator import limit_arenas
from api.limits import MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS, MAX_REQUEST_LINE
from api.metrics import share_between_workers
from index.settings import Config, load_config_or_exit

# Queries a new worker runs before taking requests: loads pyvi, postings, columns and helpers.
WARM_QUERIES = ("dan van", "Hà Nội", "")


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def gunicorn_options(config: Config, bind: str | None = None, workers: int | None = None) -> dict:
    """gunicorn settings for *config* (``bind``/``workers`` override the config's)."""
    workers = config["server.workers"] if workers is None else workers
    access_log = config["server.access_log"]
    if access_log not in ("", "-"):
        access_log = str(config.path("server.access_log"))
    options = {
        "bind": [bind or config["server.bind"]],
        "workers": workers if workers > 0 else 2 * cores() + 1,
        "worker_class": "api.server.JsonErrorWorker",
        "threads": max(1, config["server.threads"]),
        "worker_connections": max(config["server.worker_connections"], max(1, config["server.threads"]) + 1),
        "timeout": config["server.timeout"],
        # A fresh worker now and then: whatever a long-lived one accumulated is given back.
        "max_requests": config["server.max_requests"],
        "max_requests_jitter": config["server.max_requests_jitter"],
        "graceful_timeout": 20,
        "keepalive": 5,
        "preload_app": False,
        "limit_request_line": MAX_REQUEST_LINE,
        "limit_request_fields": MAX_HEADER_FIELDS,
        "limit_request_field_size": MAX_HEADER_FIELD_BYTES,
        "logger_class": "api.accesslog.JsonAccessLogger",
        "accesslog": access_log or None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "hnp-api",
        # One fixed control socket per user would collide between several servers (tests, staging).
        "control_socket_disable": True,
    }
    if Path("/dev/shm").is_dir():
        # Heartbeat files in memory: a busy disk (an index build) must not look like a hung worker.
        options["worker_tmp_dir"] = "/dev/shm"
    return options


class ApiServer(BaseApplication):
    """gunicorn application whose settings come from a :class:`Config`, not the command line."""

    def __init__(self, config: Config, options: dict):
        self.config = config
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Runs in each worker after the fork (preload_app is off), before its threads start.
        limit_arenas(self.config["server.malloc_arenas"])
        from api.app import create_app
        from search.searcher import Searcher

        log = _app_logger()
        searcher = Searcher(self.config)
        app = create_app(self.config, searcher)
        warm(searcher, log)
        return app


def warm(searcher, log: logging.Logger) -> None:
    from index.store import IndexMissing

    started = time.perf_counter()
    try:
        for query in WARM_QUERIES:
            searcher.search(query)
        searcher.suggest("ha")
    except IndexMissing as exc:
        log.warning(
            "worker %d ready without an index (%s); /api/health answers 503 until one is built", os.getpid(), exc
        )
        return
    except Exception:
        # A failed warm-up must not stop the worker: requests will report the problem properly.
        log.exception("worker %d: warm-up search failed", os.getpid())
        return
    finally:
        # What the worker holds from now to its end (modules, pyvi's model, the index's tables)
        # leaves the collector's view: a full collection walked it all while every thread
        # waited (up to 80 ms on news-00; 35-45 ms frozen).
        gc.freeze()
    log.info(
        "worker %d ready: index %s, %d documents, warmed in %.0f ms",
        os.getpid(),
        searcher.generation,
        searcher.document_count(),
        (time.perf_counter() - started) * 1000,
    )


def _app_logger() -> logging.Logger:
    """The app's logger writes where gunicorn's error log does."""
    log = logging.getLogger("api")
    if not log.handlers:
        for handler in logging.getLogger("gunicorn.error").handlers:
            log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


# --- gunicorn's own rejections, in the API's error shape ------------------------------------

_PARSE_ERRORS = (
    (http_errors.LimitRequestLine, 414, "URI Too Long"),
    (http_errors.LimitRequestHeaders, 431, "Request Header Fields Too Large"),
    (http_errors.UnsupportedTransferCoding, 501, "Not Implemented"),
    (http_errors.ExpectationFailed, 417, "Expectation Failed"),
    (http_errors.ForbiddenProxyRequest, 403, "Forbidden"),
)
_SERVER_FAULTS = (
    http_errors.ConfigurationProblem,
    http_errors.InvalidResponseHeader,
    http_errors.InvalidResponseHeaderName,
)


def client_error(exc: Exception) -> tuple[int, str] | None:
    """(status, reason) for a request gunicorn refused to parse; None if it is not the client's fault."""
    # (SSL errors and the server's own header faults keep gunicorn's handling.)
    if not isinstance(exc, http_errors.ParseException) or isinstance(exc, _SERVER_FAULTS):
        return None
    for kind, status, reason in _PARSE_ERRORS:
        if isinstance(exc, kind):
            return status, reason
    return 400, "Bad Request"


def client_error_description(status: int, exc: Exception) -> str:
    if status == 414:
        return f"The request line (method, path and query string) may be at most {MAX_REQUEST_LINE} bytes: {exc}."
    if status == 431:
        return f"At most {MAX_HEADER_FIELDS} request headers of at most {MAX_HEADER_FIELD_BYTES} bytes each ({exc})."
    return f"The request is not valid HTTP: {exc}."


def json_error_response(status: int, reason: str, description: str) -> bytes:
    body = json.dumps({"title": reason, "description": description}).encode("utf-8")
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Cache-Control: no-store\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class JsonErrorWorker(ThreadWorker):
    """gunicorn's gthread worker, answering malformed or oversized requests with JSON errors
    (``handle_error``, the worker's hook for the error page), and taking a new connection first
    where a thread is idle.

    gunicorn leaves a keep-alive connection with whichever worker accepted it, and a worker
    accepts whenever it is woken: on 100,000 articles 16 clients went 12-4 and 13-3, and the
    clients of the busier worker waited twice as long (p99 264-272 ms against 250).  Here a
    worker whose threads are all busy holds back from accepting for ``server.accept_hold_ms``, so a
    worker with an idle thread takes the connection; past that it accepts one anyway, so no
    client waits on a steady load, under which no thread is ever idle between keep-alive
    requests (accepting only with an idle thread left 4 of 16 clients unanswered).  Three
    methods of the stock worker are extended: :meth:`enqueue_req` and :meth:`finish_request`
    count the requests in the threads, :meth:`wait_for_and_dispatch_events` turns accepting on
    or off before each wait."""

    _busy = 0  # requests handed to threads and not yet finished (the main thread's count)
    _held_since = 0.0  # when accepting was held back (time.monotonic()); 0: it is not

    def enqueue_req(self, conn):
        self._busy += 1
        super().enqueue_req(conn)

    def finish_request(self, conn, fs):
        self._busy -= 1
        super().finish_request(conn, fs)

    def wait_for_and_dispatch_events(self, timeout):
        hold = self.app.config["server.accept_hold_ms"] / 1000.0
        if hold > 0 and self.alive and self.nr_conns < self.worker_connections:
            now = time.monotonic()
            if self._busy < self.cfg.threads:
                accept, self._held_since = True, 0.0
            elif not self._held_since:
                accept, self._held_since = False, now
            else:
                accept = now - self._held_since >= hold
                if accept:
                    self._held_since = now  # one connection, then hold back again
            self.set_accept_enabled(accept)
            if not accept:
                timeout = min(timeout, max(0.0, self._held_since + hold - now))
        super().wait_for_and_dispatch_events(timeout)

    def handle_error(self, req, client, addr, exc):
        answer = client_error(exc)
        if answer is None:
            return super().handle_error(req, client, addr, exc)
        status, reason = answer
        addr = addr or ("", -1)
        self.log.warning("Invalid request from ip=%s: %s", addr[0], exc)
        # Some parse errors carry the request parsed so far as exc.req; InvalidRequestLine carries
        # the line as a string, which must not reach the access log as if it were a request.
        if req is None and isinstance(getattr(exc, "req", None), Message):
            req = exc.req
        if req is not None:
            environ = default_environ(req, client, self.cfg)
            environ["REMOTE_ADDR"] = addr[0]
            resp = Response(req, client, self.cfg)
            resp.status = f"{status} {reason}"
            self.log.access(resp, req, environ, timedelta(0))
        try:
            util.write_nonblock(client, json_error_response(status, reason, client_error_description(status, exc)))
        except Exception:
            self.log.debug("Failed to send error message.")


# --- the command -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api", description="Serve the search API with gunicorn.")
    parser.add_argument("--config", metavar="PATH", help="TOML config file (default: config.toml of the project)")
    parser.add_argument(
        "--bind", metavar="HOST:PORT", help="listen here instead of server.bind (port 0: any free port)"
    )
    parser.add_argument("--workers", type=int, metavar="N", help="worker processes instead of server.workers")
    args = parser.parse_args(argv)
    config = load_config_or_exit(args.config)
    from api.auth import configured_keys

    keys = configured_keys(config)
    short = [k for k in keys if len(k) < accesslog.MIN_SECRET_CHARS]
    if short:
        # As Meilisearch does: a short key is guessable, and scrubbing it from logs would hit ordinary words.
        print(
            f"error: {len(short)} API key(s) shorter than {accesslog.MIN_SECRET_CHARS} characters "
            "(api.keys, HNP_API_KEYS): use long random keys, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`",
            file=sys.stderr,
        )
        return 2
    accesslog.SECRETS[:] = keys
    options = gunicorn_options(config, args.bind, args.workers)
    print(
        f"api: serving {config.path('index.path')} on {options['bind'][0]} with {options['workers']} workers "
        f"x {options['threads']} threads; writes {'enabled' if keys else 'disabled (no API key)'}",
        file=sys.stderr,
        flush=True,
    )
    share_between_workers()  # one /metrics for all workers (api/metrics.py)
    from api.cluster import start_follower

    start_follower(config)  # cluster mode: `python -m index follow` beside gunicorn, ending with it
    ApiServer(config, options).run()
    return 0
