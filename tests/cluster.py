"""Real parts of cluster mode for tests: a throw-away PostgreSQL, search nodes on fixed ports, haproxy.

* :func:`running_postgres` -- ``initdb`` into a temporary folder and ``pg_ctl start`` on
  127.0.0.1 and a free port, Debian's PostgreSQL (``bin/setup --dev`` installs it).  ``initdb``
  refuses to run as root, and CI runs as root: then every PostgreSQL command runs as the
  ``postgres`` user (``runuser``), in a folder that user owns.  Stopped and deleted at the end.
* :func:`start_node` -- ``python -m api --config C`` on a port chosen here (the balancer's
  configuration names it, and a node restarted after ``kill -9`` must come back on it).
* :func:`running_haproxy` -- Debian's haproxy with the shipped ``deploy/haproxy.cfg``, its
  ``bind`` and ``server`` lines replaced by the test's.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.server import ROOT, Server, ServerFailed, _collect, spawn_api, stop

POSTGRES_USER = "postgres"  # who runs PostgreSQL when the tests run as root
DB_USER = "hnp"
INITDB = ("-E", "UTF8", "--locale=C.UTF-8", "--no-sync")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin(program: str) -> str:
    """A PostgreSQL server program: on PATH, or in Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(program)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{program}"), key=lambda p: int(p.split("/")[4]))
    if not candidates:
        raise FileNotFoundError(f"{program} not found: install Debian's postgresql (bin/setup --dev)")
    return candidates[-1]


@dataclass
class Postgres:
    directory: Path
    port: int
    as_user: list[str]
    fsync: bool = False  # tests: no need to survive a power cut; benchmarks: durable commits

    @property
    def url(self) -> str:
        return f"postgresql://{DB_USER}@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.as_user, postgres_bin("pg_ctl"), "-D", str(self.directory / "data"), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )

    def start(self) -> None:
        durability = "" if self.fsync else " -c fsync=off"
        options = f"-h 127.0.0.1 -p {self.port} -k {self.directory} -c max_connections=200{durability}"
        self._ctl("-l", str(self.directory / "log"), "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "-t", "60", "stop")

    def new_database(self, name: str) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + "/" + name


@contextmanager
def running_postgres(fsync: bool = False) -> Iterator[Postgres]:
    as_user: list[str] = []
    directory = Path(tempfile.mkdtemp(prefix="hnp-pg-"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam(POSTGRES_USER)
        os.chown(directory, entry.pw_uid, entry.pw_gid)
        as_user = ["runuser", "-u", POSTGRES_USER, "--"]
    try:
        subprocess.run(
            [*as_user, postgres_bin("initdb"), "-D", str(directory / "data"), "-A", "trust", "-U", DB_USER, *INITDB],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        pg = Postgres(directory, free_port(), as_user, fsync)
        pg.start()
        try:
            yield pg
        finally:
            with contextlib.suppress(subprocess.CalledProcessError):  # stopped already
                pg.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# --- search nodes -----------------------------------------------------------------------------


@dataclass
class Node:
    name: str
    config: Path
    port: int
    workers: int = 2
    server: Server | None = None
    _reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, env: dict | None = None, ready_timeout: float = 120.0) -> None:
        process = spawn_api(self.config, f"127.0.0.1:{self.port}", self.workers, env)
        self.server = Server(process=process, url=self.url, port=self.port)
        self._reader = threading.Thread(target=_collect, args=(process, self.server), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + ready_timeout
        while len(self.server.worker_pids) < self.workers:
            if process.poll() is not None:
                raise ServerFailed(f"{self.name} exited with {process.returncode}:\n{self.server.output()}")
            if time.monotonic() > deadline:
                raise ServerFailed(f"{self.name}: workers not ready:\n{self.server.output()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """``kill -9`` of the whole node: gunicorn's arbiter, its workers and the follower."""
        os.killpg(self.server.process.pid, 9)
        self.server.process.wait(timeout=10)
        self._reader.join(timeout=5)

    def stop(self) -> None:
        if self.server is not None:
            stop(self.server.process)
            if self._reader is not None:
                self._reader.join(timeout=5)

    def health(self) -> tuple[int, dict]:
        try:
            r = requests.get(self.url + "/api/health", timeout=5)
        except requests.ConnectionError:
            return 0, {}
        return r.status_code, r.json()

    def wait_caught_up(self, seq: int, timeout: float = 90.0) -> dict:
        """Wait until the node has applied *seq* and says it is healthy; its health."""
        deadline = time.monotonic() + timeout
        while True:
            status, body = self.health()
            if status == 200 and body.get("cluster", {}).get("applied_seq", -1) >= seq:
                return body
            if time.monotonic() > deadline:
                tail = "".join(self.server.log[-40:]) if self.server else ""
                raise AssertionError(f"{self.name} did not reach sequence {seq}: {status} {body}\n{tail}")
            time.sleep(0.1)


# --- the balancer -------------------------------------------------------------------------------


@dataclass
class Balancer:
    process: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def haproxy_config(port: int, nodes: list[Node]) -> str:
    """The shipped deploy/haproxy.cfg, listening on *port* and balancing over *nodes*."""
    lines = []
    for line in (ROOT / "deploy" / "haproxy.cfg").read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("bind "):
            lines.append(f"    bind 127.0.0.1:{port}")
        elif stripped.startswith("server "):
            if not any(ln.strip().startswith("server ") for ln in lines):
                settings = stripped.split(None, 3)[3] if len(stripped.split(None, 3)) > 3 else ""
                lines += [f"    server {n.name} 127.0.0.1:{n.port} {settings}" for n in nodes]
        elif stripped.startswith(("daemon", "stats socket", "log ", "user ", "group ", "chroot ")):
            continue  # runs in the foreground, as the test's user, logging nowhere
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


@contextmanager
def running_haproxy(directory: Path, nodes: list[Node]) -> Iterator[Balancer]:
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    port = free_port()
    config = directory / "haproxy.cfg"
    config.write_text(haproxy_config(port, nodes), encoding="utf-8")
    subprocess.run([haproxy, "-c", "-q", "-f", str(config)], check=True)
    process = subprocess.Popen(
        [haproxy, "-db", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"haproxy did not start (exit {process.poll()})") from None
                time.sleep(0.05)
        yield Balancer(process, port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
