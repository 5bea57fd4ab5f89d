"""Cluster mode's log of record: the articles and their ordered changes, in PostgreSQL.

Every write of cluster mode (the API's PUT, DELETE and bulk POST, ``python -m
index add|delete``) is one PostgreSQL transaction that updates the ``articles``
table (the system of record: what a rebuild reads) and appends one row per
change to ``change_log`` with the next sequence number.  A 2xx means that
transaction committed.  Each search node's follower (:mod:`index.follower`)
reads ``change_log`` in sequence order and applies it to its own index.

Order without gaps.  A follower reads "every change after the last one I
applied", so a change must never become visible after a higher-numbered one:
with a plain ``BIGSERIAL``, two concurrent transactions may take 7 and 8 and
commit 8 first; a follower reading then would apply 8, move past 7, and never
see it.  So an append takes ``LOCK TABLE change_log IN EXCLUSIVE MODE`` first
and numbers its changes ``max(seq) + 1 ...``: appends take turns (each one
holds the lock only for its inserts and its commit), numbers have no gaps
(a rolled-back append numbered nothing), and they commit in order, so a
snapshot that sees change N sees every change before it.  The lock does not
block readers (``EXCLUSIVE`` conflicts with writes only, not with
``SELECT``).  Chosen over an advisory lock because it also holds for any
other program that writes the table, and over tracking gaps because a
follower then needs no timeout to decide a gap is a rollback.  Appends are
therefore serial: the cost is one commit per write (measured in
BENCHMARKS.md: bench/cluster_load.py); a bulk write is one append.

The commit sends ``NOTIFY change_log``, so followers that ``LISTEN`` apply a
write within milliseconds instead of waiting for their next poll.

The password is never in the config: libpq reads ``PGPASSWORD`` or
``~/.pgpass``; a ``database_url`` that holds one is refused.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import psycopg
from psycopg.types.json import Jsonb

CHANNEL = "change_log"
CONNECT_TIMEOUT = 5  # seconds; an unreachable database is reported, not waited for
_SCHEMA_LOCK = zlib.crc32(b"hnp change_log schema")

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id text PRIMARY KEY,
    article jsonb NOT NULL,         -- Article.to_json()
    origin text NOT NULL DEFAULT '', -- source file it was read from, if any
    seq bigint NOT NULL             -- the change that wrote it last
);
CREATE TABLE IF NOT EXISTS change_log (
    seq bigint PRIMARY KEY,          -- 1, 2, 3 ... without gaps, committed in order
    entry jsonb NOT NULL,            -- {"op": "upsert", "article": ..., "origin": ...} or {"op": "delete", "id": ...}
    committed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
"""


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL could not be reached or failed the transaction: nothing was written."""


@dataclass
class Appended:
    """What one append committed: its last sequence number (0 if it changed nothing)."""

    seq: int = 0
    upserted: int = 0
    deleted: int = 0
    missing: list[str] = field(default_factory=list)  # ids asked to be deleted that were not there


def check_url(url: str) -> str:
    """*url*, refused if it carries a password (which belongs in PGPASSWORD or ~/.pgpass)."""
    try:
        password = urlsplit(url).password if "://" in url else None
    except ValueError:
        password = None
    if password or " password=" in f" {url}":
        raise ValueError("cluster.database_url holds a password: leave it out and set PGPASSWORD or ~/.pgpass instead")
    return url


def connect(url: str, **kwargs) -> psycopg.Connection:
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT, **kwargs)
    except psycopg.Error as exc:
        raise DatabaseUnavailable(f"the database of record is unreachable: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class ChangeLog:
    """The log of record at *url*; thread-safe (one connection per thread, made again after a failure)."""

    def __init__(self, url: str, lock_timeout: float = 30.0):
        self.url = check_url(url)
        # An append waits for its turn at most this long, then fails (a 503), as a local write does.
        self.options = f"-c lock_timeout={int(lock_timeout * 1000)}"
        self._local = threading.local()
        self._schema_ready = False

    # --- connections -----------------------------------------------------------------------

    def _conn(self) -> psycopg.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken:
            conn = connect(self.url, options=self.options)
            if not self._schema_ready:
                try:
                    create_schema(conn)
                except psycopg.Error as exc:
                    conn.close()
                    raise DatabaseUnavailable(f"the database of record failed: {_reason(exc)}") from None
                self._schema_ready = True
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _run(self, work):
        """``work(conn, progress)``, with a database failure turned into :class:`DatabaseUnavailable`.

        A connection found dead before anything was committed (the database restarted since
        its last use) is replaced once, so the first write after a restart does not fail.
        """
        for attempt in (1, 2):
            conn = self._conn()
            state = _Progress()
            try:
                return work(conn, state)
            except psycopg.OperationalError as exc:
                conn.close()
                if attempt == 1 and not state.committing:
                    continue
                raise DatabaseUnavailable(f"the database of record failed: {_reason(exc)}") from None
        raise AssertionError("unreachable")

    # --- writing ---------------------------------------------------------------------------

    def append(self, entries: list[dict]) -> Appended:
        """Apply journal-style *entries* to ``articles`` and append them to the log, in one transaction."""
        return self._run(lambda conn, state: _append(conn, entries, state))

    # --- reading ---------------------------------------------------------------------------

    def changes_after(self, seq: int, limit: int) -> list[tuple[int, dict]]:
        """Up to *limit* changes after *seq*, in order: ``(seq, entry)``."""

        def work(conn: psycopg.Connection, _: _Progress) -> list[tuple[int, dict]]:
            rows = conn.execute(
                "SELECT seq, entry FROM change_log WHERE seq > %s ORDER BY seq LIMIT %s", (seq, limit)
            ).fetchall()
            return [(int(s), e) for s, e in rows]

        return self._run(work)

    def position(self, applied: int) -> tuple[int, float]:
        """(head, lag seconds): the log's last sequence number, and how long ago the first change
        after *applied* was committed (0 when there is none), by the database's clock."""

        def work(conn: psycopg.Connection, _: _Progress) -> tuple[int, float]:
            head, lag = conn.execute(
                "SELECT (SELECT coalesce(max(seq), 0) FROM change_log),"
                " (SELECT extract(epoch FROM clock_timestamp() - committed_at) FROM change_log WHERE seq = %s)",
                (applied + 1,),
            ).fetchone()
            return int(head), float(lag or 0.0)

        return self._run(work)

    def articles(self, batch: int = 1000) -> tuple[int, int, Iterator[tuple[dict, str]]]:
        """(seq, count, rows): the *count* articles as of log sequence *seq*, from one consistent snapshot.

        The rows are streamed from a server-side cursor on a connection of their own, in a
        REPEATABLE READ transaction that also read *seq*: the articles are exactly those of
        changes up to *seq*.  Consume the iterator to the end (or close it) to end the transaction.
        """
        conn = connect(self.url)
        try:
            create_schema(conn)
            conn.autocommit = False
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            (seq,) = conn.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()
            (count,) = conn.execute("SELECT count(*) FROM articles").fetchone()
        except psycopg.Error as exc:
            conn.close()
            raise DatabaseUnavailable(f"the database of record failed: {_reason(exc)}") from None

        def rows() -> Iterator[tuple[dict, str]]:
            try:
                with conn.cursor(name="articles") as cursor:
                    cursor.itersize = batch
                    cursor.execute("SELECT article, origin FROM articles ORDER BY id")
                    yield from cursor
                conn.commit()
            except psycopg.OperationalError as exc:
                raise DatabaseUnavailable(f"the database of record failed: {_reason(exc)}") from None
            finally:
                conn.close()

        return int(seq), int(count), rows()


def create_schema(conn: psycopg.Connection) -> None:
    """The two tables, if missing (an advisory lock keeps nodes starting together from racing)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        conn.execute(SCHEMA)


class _Progress:
    """Whether a transaction reached its COMMIT (after which its outcome is unknown on failure)."""

    committing = False


def _append(conn: psycopg.Connection, entries: list[dict], state: _Progress) -> Appended:
    result = Appended()
    with conn.transaction():
        # Appends take turns: see the module's docstring (sequence numbers commit in order).
        conn.execute("LOCK TABLE change_log IN EXCLUSIVE MODE")
        (head,) = conn.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()
        logged: list[tuple[int, Jsonb]] = []
        with conn.cursor() as cursor:
            for entry in entries:
                seq = head + len(logged) + 1
                if entry.get("op") == "upsert":
                    cursor.execute(
                        "INSERT INTO articles (id, article, origin, seq) VALUES (%s, %s, %s, %s)"
                        " ON CONFLICT (id) DO UPDATE SET article = EXCLUDED.article, origin = EXCLUDED.origin,"
                        " seq = EXCLUDED.seq",
                        (entry["article"]["id"], Jsonb(entry["article"]), entry.get("origin", ""), seq),
                    )
                    result.upserted += 1
                elif entry.get("op") == "delete":
                    cursor.execute("DELETE FROM articles WHERE id = %s", (entry["id"],))
                    if cursor.rowcount == 0:
                        result.missing.append(entry["id"])
                        continue  # nothing changed: nothing to log
                    result.deleted += 1
                else:
                    continue
                logged.append((seq, Jsonb(entry)))
            if logged:
                cursor.executemany("INSERT INTO change_log (seq, entry) VALUES (%s, %s)", logged)
                conn.execute(f"NOTIFY {CHANNEL}")
        state.committing = True  # leaving the block commits: a failure now may or may not have committed
    result.seq = logged[-1][0] if logged else 0
    return result
