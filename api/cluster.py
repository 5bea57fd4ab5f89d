"""The API's side of cluster mode (``cluster.database_url`` set): read-your-writes, lag in health,
and the follower process beside gunicorn.

* A write is committed to PostgreSQL (index/changelog.py) and answered with its sequence
  number in ``X-Index-Seq``; the node's follower (index/follower.py) applies it to the index
  a moment later, every node on its own.
* Any GET may ask to see at least a sequence number, ``min_seq=N`` or the header
  ``X-Min-Seq: N``; the request waits until this node has applied it, at most ``wait_ms``
  (default and ceiling ``cluster.max_wait_ms``), as Elasticsearch's ``refresh=wait_for`` does,
  then is answered, or gets a 503 saying how far the node got.  The wait polls the live
  generation's ``SEQ`` file every few milliseconds (a file read; the follower writes it after
  each commit, so a search that follows sees the commit).  In single-machine mode every
  acknowledged write is applied already: the parameter is accepted and has nothing to wait for.
* Every answer in cluster mode carries ``X-Index-Seq``: the sequence this node has applied.
* ``/api/health`` adds ``cluster``: applied and head sequence, lag in changes and seconds, the
  database's state as the follower last saw it; 503 while the lag exceeds ``cluster.max_lag_*``
  or the follower is not running, so the balancer sends readers elsewhere.  While PostgreSQL is
  unreachable the node stays healthy (it serves what it has): nobody can write meanwhile.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time

import falcon

from api.errors import BadParameter
from index.settings import Config
from index.store import IndexStore

SEQ_HEADER = "X-Index-Seq"
MIN_SEQ_HEADER = "X-Min-Seq"
_POLL_SECONDS = 0.005
# Reads that never wait: the balancer's health checks and monitoring must answer at once.
_NO_WAIT = ("/api/health", "/metrics")


def enabled(config: Config) -> bool:
    return bool(config["cluster.database_url"])


MAX_SEQ = 2**63 - 1  # PostgreSQL's bigint
MAX_WAIT_MS = 2**31 - 1


def _integer(req: falcon.Request, name: str, maximum: int, header: str | None = None) -> int | None:
    values = req.get_param_as_list(name)
    raw = values[-1] if values and values[-1] != "" else (req.get_header(header) if header else None)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(maximum)) or int(raw) > maximum:
        raise BadParameter(name, f"must be a whole number from 0 to {maximum}, got {raw[:40]!r}")
    return int(raw)


class ReadYourWrites:
    """Falcon middleware: ``min_seq`` waits, ``X-Index-Seq`` tells (see the module's docstring)."""

    def __init__(self, config: Config):
        self.cluster = enabled(config)
        self.store = IndexStore(config.path("index.path"))
        self.max_wait_ms = config["cluster.max_wait_ms"]

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource, params) -> None:
        if req.method not in ("GET", "HEAD") or req.path in _NO_WAIT:
            return
        wanted = _integer(req, "min_seq", MAX_SEQ, MIN_SEQ_HEADER)
        wait_ms = _integer(req, "wait_ms", MAX_WAIT_MS)
        if wanted is None or not self.cluster:
            return
        wait_ms = self.max_wait_ms if wait_ms is None else min(wait_ms, self.max_wait_ms)
        deadline = time.monotonic() + wait_ms / 1000
        while (applied := self.store.applied_seq()) < wanted:
            if time.monotonic() >= deadline:
                raise falcon.HTTPServiceUnavailable(
                    title="Write not applied yet",
                    description=(
                        f"This node has applied the log up to sequence {applied}; sequence {wanted} did not reach "
                        f"it within {wait_ms} ms. Retry, or ask another node."
                    ),
                    retry_after=1,
                )
            time.sleep(_POLL_SECONDS)

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource, req_succeeded: bool) -> None:
        if self.cluster and not resp.get_header(SEQ_HEADER):
            resp.set_header(SEQ_HEADER, str(self.store.applied_seq()))


def health(config: Config, store: IndexStore) -> tuple[dict, str | None]:
    """(the ``cluster`` object of /api/health, why the node should not take readers or None)."""
    from index.follower import read_status

    applied = store.applied_seq()
    status = read_status(store)
    running = status is not None and _alive(status.get("pid"))
    body: dict = {"applied_seq": applied, "follower": "running" if running else "stopped"}
    if status is None:
        body.update(head_seq=None, lag_changes=None, lag_seconds=None, database=None)
        return body, "the follower has not reported yet (starting, or not running)"
    age = max(0.0, time.time() - float(status.get("checked_at", 0)))
    head = max(int(status.get("head", 0)), applied)
    lag_changes = head - applied
    lag_seconds = float(status.get("lag_seconds", 0.0)) + age if lag_changes else 0.0
    body.update(
        head_seq=head,
        lag_changes=lag_changes,
        lag_seconds=round(lag_seconds, 3),
        database=status.get("database"),
        checked_seconds_ago=round(age, 3),
    )
    if not running:
        return body, "the follower is not running: this node no longer applies the log"
    if lag_changes > config["cluster.max_lag_changes"]:
        return body, f"{lag_changes} changes behind the log (more than cluster.max_lag_changes)"
    if lag_seconds > config["cluster.max_lag_seconds"]:
        return body, f"{lag_seconds:.1f} s behind the log (more than cluster.max_lag_seconds)"
    return body, None


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_follower(config: Config) -> subprocess.Popen | None:
    """In cluster mode, ``python -m index follow`` for *config*, dying with this process; else None."""
    if not enabled(config):
        return None
    argv = [sys.executable, "-m", "index", "follow"]
    if config.source is not None:
        argv += ["--config", str(config.source)]
    return subprocess.Popen(argv, preexec_fn=_die_with_parent)


def _die_with_parent() -> None:
    # The kernel sends SIGTERM to the follower when gunicorn's arbiter ends, however it ends.
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def extend_spec(spec: dict) -> dict:
    """The OpenAPI additions of cluster mode: ``min_seq``/``wait_ms`` on reads, ``X-Index-Seq``, health's lag."""
    parameters = spec["components"]["parameters"]
    parameters["min_seq"] = {
        "name": "min_seq",
        "in": "query",
        "required": False,
        "description": (
            "Cluster mode: answer only once this node has applied the write with this sequence number (the "
            "`X-Index-Seq` of its answer), waiting up to `wait_ms`; 503 if it did not. The header `X-Min-Seq` "
            "does the same. Single-machine mode applies every write before answering it: nothing to wait for."
        ),
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_SEQ},
    }
    parameters["wait_ms"] = {
        "name": "wait_ms",
        "in": "query",
        "required": False,
        "description": "Longest wait for `min_seq`, in milliseconds (default and ceiling: cluster.max_wait_ms).",
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_WAIT_MS},
    }
    seq_header = {
        SEQ_HEADER: {
            "description": (
                "Cluster mode: on a write, the log sequence number PostgreSQL committed it as; on a read, the "
                "sequence this node has applied."
            ),
            "schema": {"type": "integer"},
        }
    }
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "delete"):
                continue
            for code, answer in operation.get("responses", {}).items():
                if code.startswith("2") and "$ref" not in answer:
                    answer.setdefault("headers", {}).update(seq_header)
            if method == "get" and path.startswith("/api/") and path != "/api/health":
                operation.setdefault("parameters", []).extend(
                    [{"$ref": "#/components/parameters/min_seq"}, {"$ref": "#/components/parameters/wait_ms"}]
                )
                # A malformed min_seq or wait_ms is a 400; min_seq not reached in time a 503.
                operation["responses"].setdefault("400", {"$ref": "#/components/responses/BadRequest"})
                operation["responses"].setdefault("503", {"$ref": "#/components/responses/Unavailable"})
    schemas = spec["components"]["schemas"]
    schemas["Health"]["properties"]["cluster"] = {
        "type": "object",
        "description": (
            "Cluster mode only: how far this node has applied the log of record. The answer is 503 while the lag "
            "passes cluster.max_lag_changes or cluster.max_lag_seconds, or the follower is not running."
        ),
        "properties": {
            "applied_seq": {"type": "integer"},
            "head_seq": {"type": "integer", "nullable": True},
            "lag_changes": {"type": "integer", "nullable": True},
            "lag_seconds": {"type": "number", "nullable": True},
            "database": {
                "type": "string",
                "nullable": True,
                "description": "ok, or why the follower could not read it.",
            },
            "follower": {"type": "string", "enum": ["running", "stopped"]},
            "checked_seconds_ago": {"type": "number"},
        },
    }
    schemas["HealthUnavailable"]["allOf"][1]["properties"]["cluster"] = {
        "$ref": "#/components/schemas/Health/properties/cluster"
    }
    return spec
