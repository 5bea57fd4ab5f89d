"""``GET /metrics``: request counts, latency histogram, errors and index size, in Prometheus text.

The request series are the whole server's: under gunicorn every worker writes
its counters to files of one shared folder (prometheus_client's multiprocess
mode, set up by :func:`share_between_workers` before the workers are forked),
and whichever worker answers a scrape sums them all.  A worker that exits
leaves its counts in (totals never go back); its start-time gauge is dropped.
The index gauges are the answering worker's view of the index, labelled with
its pid (``worker``).  Without gunicorn (an app made by ``create_app`` in a
test) the counters are the process's own.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
from pathlib import Path

import falcon

from index.store import IndexMissing

# Upper bounds of the latency histogram, in seconds (the search target is p99 < 0.25 s).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# The methods counted by name; any other token a client sends is "other", so it cannot mint series.
KNOWN_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"))
SHARED_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's name for the shared folder


def share_between_workers() -> Path:
    """Make the counters of every worker forked from now on one set (gunicorn's arbiter calls this
    first): a fresh shared folder, removed when this process exits."""
    # prometheus_client chooses per-process or shared storage when it is first imported, from
    # this variable: it must be set before (hence the imports inside Metrics, not at the top).
    folder = Path(tempfile.mkdtemp(prefix="hnp-metrics-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    os.environ[SHARED_DIR] = str(folder)
    owner = os.getpid()
    # Forked workers inherit this handler: only the process that made the folder removes it.
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(folder, ignore_errors=True))
    return folder


class Metrics:
    """The request metrics of this server (every worker's, when shared) and their exposition."""

    def __init__(self):
        import prometheus_client as prom
        import prometheus_client.multiprocess

        prom.disable_created_metrics()  # no *_created series: they double the output for nothing
        self._prom = prom
        self._multiprocess = prometheus_client.multiprocess
        self.shared = bool(os.environ.get(SHARED_DIR))
        # Shared: the metrics live in the folder's files and a fresh collector reads them at each
        # scrape; otherwise in a registry of this app (two apps in one test process stay apart).
        self.registry = None if self.shared else prom.CollectorRegistry()
        own = {"registry": self.registry}
        self.requests = prom.Counter(
            "hnp_http_requests", "HTTP requests answered.", ["route", "method", "status"], **own
        )
        self.errors = prom.Counter(
            "hnp_http_errors", "Responses with a 4xx (client) or 5xx (server) status.", ["route", "kind"], **own
        )
        self.latency = prom.Histogram(
            "hnp_http_request_duration_seconds",
            "Time to answer a request, by route.",
            ["route"],
            buckets=BUCKETS,
            **own,
        )
        started = prom.Gauge(
            "hnp_worker_start_time_seconds",
            "When each live worker started (Unix time).",
            multiprocess_mode="liveall",
            **own,
        )
        started.set(time.time())

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        if status >= 400:
            self.errors.labels(route, "client" if status < 500 else "server").inc()
        self.latency.labels(route).observe(seconds)

    def render(self, searcher) -> str:
        """The Prometheus exposition text, index gauges included."""
        registry = self.registry
        if self.shared:
            self._forget_dead_workers()
            registry = self._prom.CollectorRegistry()
            self._multiprocess.MultiProcessCollector(registry)
        return self._prom.generate_latest(registry).decode("utf-8") + _index_gauges(searcher)

    def _forget_dead_workers(self) -> None:
        # gunicorn replaces workers (max_requests, crashes): a dead one's "live" gauge must go.
        folder = Path(os.environ[SHARED_DIR])
        for path in folder.glob("gauge_live*_*.db"):
            pid = int(path.stem.rsplit("_", 1)[1])
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                self._multiprocess.mark_process_dead(pid, str(folder))
            except PermissionError:
                pass  # alive, someone else's


def _index_gauges(searcher) -> str:
    worker = f'worker="{os.getpid()}"'
    out: list[str] = []

    def family(name: str, help_text: str, value: str, labels: str = "") -> None:
        out.extend((f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name}{{{worker}{labels}}} {value}"))

    try:
        generation = searcher.generation
        documents = searcher.document_count()
        size = searcher.store.size_on_disk()
    except IndexMissing:
        family("hnp_index_up", "1 if the index is open and searchable, else 0.", "0")
    else:
        family("hnp_index_up", "1 if the index is open and searchable, else 0.", "1")
        family("hnp_index_documents", "Searchable documents in the live index.", str(documents))
        family("hnp_index_size_bytes", "Size of the live index generation on disk.", str(size))
        family(
            "hnp_index_generation_info",
            "The index generation this worker searches (value 1).",
            "1",
            f',generation="{_esc(generation)}"',
        )
    return "\n".join(out) + "\n"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class MetricsMiddleware:
    """Times every request and counts it under its route template (never the raw path)."""

    def __init__(self, metrics: Metrics):
        self.metrics = metrics

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.started = time.perf_counter()

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource, req_succeeded: bool) -> None:
        started = getattr(req.context, "started", None)
        if started is None:
            return
        # Unknown paths share one label, so a scanner cannot blow up the number of series.
        route = req.uri_template or "unmatched"
        # A streamed export is timed until its first byte is ready, not until the last is sent.
        method = req.method if req.method in KNOWN_METHODS else "other"
        self.metrics.observe(route, method, resp.status_code, time.perf_counter() - started)


class MetricsResource:
    def __init__(self, metrics: Metrics, searcher):
        self.metrics = metrics
        self.searcher = searcher

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = CONTENT_TYPE
        resp.text = self.metrics.render(self.searcher)
        resp.cache_control = ["no-store"]
