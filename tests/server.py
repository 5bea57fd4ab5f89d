"""A real gunicorn running the API, for integration, browser and reliability tests.

Usage::

    from tests.server import running_server

    def test_something(sample_index):
        with running_server(sample_index, workers=2) as server:
            r = requests.get(server.url + "/api/search", params={"q": "dan van"})

The server is started exactly as documented -- ``python -m api --config PATH``
(or any other command given as ``command``, e.g. ``["bin/serve"]``) -- with
``--bind 127.0.0.1:0`` so the kernel picks a free port (no race between
choosing a port and binding it) and ``--workers N``.  The helper reads the
port from gunicorn's "Listening at" line and returns once every worker has
logged that it is ready (index opened and warmed), so a test's first request
is not racing the boot.  On exit the server gets SIGTERM (graceful), then
SIGKILL if it has not stopped within a few seconds; the whole process group
is signalled, so no worker outlives the test.

Everything the server printed is kept in ``server.log`` (a list of lines),
which failing tests show; :meth:`Server.wait_for_log` waits for a line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
_LISTENING = re.compile(r"Listening at: http://([\d.]+):(\d+)")
_READY = re.compile(r"worker (\d+) ready")


class ServerFailed(RuntimeError):
    """The server exited or did not become ready; the message ends with its output."""


@dataclass
class Server:
    """A running server: ``url`` (``http://127.0.0.1:PORT``), the process and its log."""

    process: subprocess.Popen
    url: str = ""
    port: int = 0
    log: list[str] = field(default_factory=list)
    worker_pids: set[int] = field(default_factory=set)
    access_log: Path | None = None  # the access log's file, where a test's config set one

    def output(self) -> str:
        return "".join(self.log)

    def worker_of(self, marker: str, timeout: float = 30.0) -> int:
        """The pid of the worker that answered the request whose query string holds *marker*,
        read from its access log line (in ``access_log`` if the test set that file, else in the
        server's output, where the default access log goes)."""
        deadline = time.monotonic() + timeout
        while self.access_log is not None:
            for line in self.access_log.read_text(encoding="utf-8").splitlines():
                if marker in line:
                    return int(json.loads(line)["worker"])
            if time.monotonic() > deadline:
                raise ServerFailed(f"no access line with {marker} within {timeout} s")
            time.sleep(0.05)
        return int(self.wait_for_log(rf'"query": "[^"]*{re.escape(marker)}.*"worker": (\d+)', timeout).group(1))

    def on_every_worker(
        self, path: str, check: Callable[[requests.Response, int], None] | None = None, timeout: float = 60.0, **params
    ) -> None:
        """GET *path* until every worker has answered it, and ``check(response, worker pid)`` each answer.

        Each request opens its own connection, and which worker accepts it is the kernel's
        choice: each carries a marker (``probe``, a parameter the API ignores) and the access
        log line holding it names the worker.  A few go out at once, so that while one worker
        is busy another takes the next.  A thread logs a request right after writing its
        answer, so once every worker has logged a marked request sent later, the requests
        answered before the call are in the access log too."""
        answered: set[int] = set()
        deadline = time.monotonic() + timeout

        def one(_: int) -> int:
            marker = uuid.uuid4().hex
            response = requests.get(self.url + path, params={**params, "probe": marker}, timeout=30)
            pid = self.worker_of(marker)
            if check is not None:
                check(response, pid)
            return pid

        with ThreadPoolExecutor(max_workers=2 * len(self.worker_pids)) as pool:
            while answered != self.worker_pids:
                if time.monotonic() > deadline:
                    raise ServerFailed(f"answered by workers {sorted(answered)} of {sorted(self.worker_pids)}")
                answered.update(pool.map(one, range(2 * len(self.worker_pids))))

    def wait_for_log(self, pattern: str, timeout: float = 30.0) -> re.Match:
        """The first log line matching regex *pattern* (waiting up to *timeout* s for it)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for line in list(self.log):
                if match := regex.search(line):
                    return match
            if self.process.poll() is not None:
                raise ServerFailed(f"server exited with {self.process.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise ServerFailed(f"no log line matching {pattern!r} within {timeout} s:\n{self.output()}")
            time.sleep(0.05)


def copy_index(config: Path | str, directory: Path, **sections: dict) -> Path:
    """A copy of *config*'s index in *directory*, and a config for it; returns the new config's path.

    Use it before writing to a session-wide index (``sample_index``, ``corpus_index``),
    which other tests read.  *sections* set more keys (e.g. ``api={"keys": [...]}``).
    """
    from index.settings import load_config
    from tests.conftest import write_config

    source = load_config(config).path("index.path")
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "index"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.lock", "MAIN_WRITELOCK"))
    index_section = {"path": str(target), "procs": 1, **sections.pop("index", {})}
    return write_config(directory, index=index_section, **sections)


def api_command(config: Path | str) -> list[str]:
    """The documented start command, with this interpreter."""
    return [sys.executable, "-m", "api", "--config", str(config)]


def spawn_api(
    config: Path | str,
    bind: str,
    workers: int,
    env: Mapping[str, str] | None = None,
    command: Sequence[str] | None = None,
) -> subprocess.Popen:
    """``python -m api`` (or *command*) on *config*, its output piped, in its own process group
    (so stopping it reaches every worker); *env* adds environment variables."""
    argv = [*(command or [sys.executable, "-m", "api"]), "--config", str(config)]
    argv += ["--bind", bind, "--workers", str(workers)]
    environ = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), environ.get("PYTHONPATH", "")) if p)
    return subprocess.Popen(
        argv,
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )


@contextmanager
def running_server(
    config: Path | str,
    *,
    workers: int = 2,
    command: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    ready_timeout: float = 120.0,
) -> Iterator[Server]:
    """Run the API on *config* on a free loopback port until the ``with`` block ends.

    *command* replaces ``python -m api`` (``--config``, ``--bind`` and ``--workers`` are
    appended to it); *env* adds environment variables (e.g. ``HNP_API_KEYS``).
    """
    process = spawn_api(config, "127.0.0.1:0", workers, env, command)
    server = Server(process=process)
    reader = threading.Thread(target=_collect, args=(process, server), daemon=True)
    reader.start()
    try:
        match = server.wait_for_log(_LISTENING.pattern, ready_timeout)
        server.port = int(match.group(2))
        server.url = f"http://{match.group(1)}:{server.port}"
        deadline = time.monotonic() + ready_timeout
        while len(server.worker_pids) < workers:
            if process.poll() is not None:
                raise ServerFailed(f"server exited with {process.returncode}:\n{server.output()}")
            if time.monotonic() > deadline:
                raise ServerFailed(f"only {len(server.worker_pids)} of {workers} workers ready:\n{server.output()}")
            time.sleep(0.05)
        yield server
    finally:
        stop(process)
        reader.join(timeout=5)


def _collect(process: subprocess.Popen, server: Server) -> None:
    for line in process.stdout:
        server.log.append(line)
        if match := _READY.search(line):
            server.worker_pids.add(int(match.group(1)))


def stop(process: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group, SIGKILL it after *grace* seconds."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass
