"""``GET /metrics``: request counts, latency histogram, errors and index size, in Prometheus text.

The counters live in each gunicorn worker process and are not summed across
workers: a scrape is answered by whichever worker accepts it.  Every series
therefore carries a ``worker`` label (the worker's pid), so each one is a
proper monotonic counter and ``sum without (worker) (...)`` gives the totals;
a restarted worker starts new series.  No extra dependency: the text format
is simple enough to write directly.
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict

import falcon

from index.store import IndexMissing

# Upper bounds of the latency histogram, in seconds (the search target is p99 < 0.25 s).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# The methods counted by name; any other token a client sends is "other", so it cannot mint series.
KNOWN_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"))


class Metrics:
    """Thread-safe counters of one worker process."""

    def __init__(self):
        self._lock = threading.Lock()
        self.started = time.time()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.errors: dict[tuple[str, str], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = {}
        self.sums: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(route, method, str(status))] += 1
            if status >= 400:
                self.errors[(route, "client" if status < 500 else "server")] += 1
            counts = self.buckets.setdefault(route, [0] * len(BUCKETS))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            self.sums[route] += seconds
            self.counts[route] += 1

    def render(self, searcher) -> str:
        """The Prometheus exposition text, index gauges included."""
        worker = f'worker="{os.getpid()}"'
        out: list[str] = []

        def family(name: str, kind: str, help_text: str) -> None:
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")

        with self._lock:
            family("hnp_http_requests_total", "counter", "HTTP requests answered by this worker.")
            for (route, method, status), n in sorted(self.requests.items()):
                out.append(
                    f'hnp_http_requests_total{{{worker},route="{_esc(route)}",method="{method}",status="{status}"}} {n}'
                )
            family("hnp_http_errors_total", "counter", "Responses with a 4xx (client) or 5xx (server) status.")
            for (route, kind), n in sorted(self.errors.items()):
                out.append(f'hnp_http_errors_total{{{worker},route="{_esc(route)}",kind="{kind}"}} {n}')
            family("hnp_http_request_duration_seconds", "histogram", "Time to answer a request, by route.")
            for route, counts in sorted(self.buckets.items()):
                labels = f'{worker},route="{_esc(route)}"'
                for bound, n in zip(BUCKETS, counts, strict=True):
                    out.append(f'hnp_http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {n}')
                out.append(f'hnp_http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {self.counts[route]}')
                out.append(f"hnp_http_request_duration_seconds_sum{{{labels}}} {self.sums[route]:.6f}")
                out.append(f"hnp_http_request_duration_seconds_count{{{labels}}} {self.counts[route]}")
        family("hnp_worker_start_time_seconds", "gauge", "When this worker started (Unix time).")
        out.append(f"hnp_worker_start_time_seconds{{{worker}}} {self.started:.3f}")
        family("hnp_index_up", "gauge", "1 if the index is open and searchable, else 0.")
        try:
            generation = searcher.generation
            documents = searcher.document_count()
            size = searcher.store.size_on_disk()
        except IndexMissing:
            out.append(f"hnp_index_up{{{worker}}} 0")
        else:
            out.append(f"hnp_index_up{{{worker}}} 1")
            family("hnp_index_documents", "gauge", "Searchable documents in the live index.")
            out.append(f"hnp_index_documents{{{worker}}} {documents}")
            family("hnp_index_size_bytes", "gauge", "Size of the live index generation on disk.")
            out.append(f"hnp_index_size_bytes{{{worker}}} {size}")
            family("hnp_index_generation_info", "gauge", "The index generation this worker searches (value 1).")
            out.append(f'hnp_index_generation_info{{{worker},generation="{_esc(generation)}"}} 1')
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
