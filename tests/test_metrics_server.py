"""/metrics under a real gunicorn of several workers: one scrape counts what every worker served."""

from __future__ import annotations

import os
import re
import signal
from collections import Counter

import pytest
import requests

from tests.server import running_server

pytestmark = pytest.mark.server

WORKERS = 3
MAX_REQUESTS = 300  # a bound on the loop below; the workers are reached long before


def served_requests(metrics: str, route: str) -> int:
    """The sum of hnp_http_requests_total over every series of *route*."""
    pattern = re.compile(rf'^hnp_http_requests_total\{{(.*route="{re.escape(route)}".*)\}} ([0-9.e+]+)$', re.M)
    return int(sum(float(value) for _, value in pattern.findall(metrics)))


def spread_over_workers(url: str, workers: int) -> Counter:
    """GET /api/health on new connections until every worker has answered; requests per worker pid."""
    answered: Counter = Counter()
    for _ in range(MAX_REQUESTS):
        answered[requests.get(url + "/api/health", timeout=30).json()["worker"]] += 1
        if len(answered) == workers:
            break
    return answered


def test_one_scrape_counts_the_requests_of_every_worker(sample_index):
    with running_server(sample_index, workers=WORKERS) as server:
        answered = spread_over_workers(server.url, WORKERS)
        assert set(answered) == server.worker_pids, f"not every worker answered: {answered}"
        for _ in range(2):  # whichever worker answers the scrape, twice
            metrics = requests.get(server.url + "/metrics", timeout=30).text
            assert served_requests(metrics, "/api/health") == sum(answered.values()), metrics
            started = re.findall(r"^hnp_worker_start_time_seconds\{.*pid=\"(\d+)\".*\}", metrics, re.M)
            assert {int(pid) for pid in started} == server.worker_pids

        # A worker that dies leaves its counts in (totals never go back) and its start time out.
        gone = next(iter(server.worker_pids))
        os.kill(gone, signal.SIGKILL)
        known = "|".join(str(pid) for pid in server.worker_pids)
        server.wait_for_log(rf"worker (?!(?:{known})\b)\d+ ready", timeout=60)  # its replacement
        metrics = requests.get(server.url + "/metrics", timeout=30).text
        assert served_requests(metrics, "/api/health") == sum(answered.values())
        started = {
            int(pid) for pid in re.findall(r"^hnp_worker_start_time_seconds\{.*pid=\"(\d+)\".*\}", metrics, re.M)
        }
        assert started == server.worker_pids - {gone} and len(started) == WORKERS
