"""Spreading clients' connections evenly over the gunicorn workers.

Every worker listens on the same socket, and whichever calls ``accept()``
first wins a new connection.  A keep-alive connection then stays with that
worker for its whole life, and nothing evens out the winners: the 16
connections of ``bench/load.py``, opened together, were split 12 to 4 over
two workers, and the 12 then waited three times as long as the 4 for the
same CPU (p90 189 ms, against 139 ms when split 8 to 8).

The :class:`Board` is a small table in memory that the arbiter and its
workers share (an anonymous shared mapping, made before the first fork).
Each worker writes in its slot how many connections it holds.  A worker that
holds more than the least busy other worker leaves a waiting connection to
it, a few milliseconds at a time (:class:`EvenAccept`).  A connection that no
other worker takes within ``MAX_WAIT`` is accepted anyway, so a busy, stuck
or exiting worker never keeps a client waiting longer than that.

Connections already open move too.  A worker started late (a replacement for
one that died, or one still warming up when clients connected) would otherwise
get nothing from clients that keep their connections: 16 connections opened
while one of two workers was starting stayed 16 to 0, at half the throughput.
A worker holding two or more connections more than another answers one request
in ``SHED_EVERY`` with ``Connection: close``; the client opens a new connection,
and the accepting rule above gives it to the worker that holds fewer.
"""

from __future__ import annotations

import mmap
import os
import time

SLOTS = 64  # workers taking part at once; any more accept without looking at the board
BUSY = 2**62  # what a worker that cannot take connections (full, or stopping) writes
PAUSE = 0.005  # seconds a more loaded worker stops listening, each time it leaves a connection
MAX_WAIT = 0.2  # seconds a connection may be left to others before it is accepted anyway
_NEW_WAIT = 0.25  # a connection arriving longer than this after the last one left starts a new wait
SHED_EVERY = 0.05  # seconds between two connections a crowded worker closes (its count must catch up)
SHED_QUIET = 2.0  # seconds without closing any after a connection was left and nobody took it


class Board:
    """Connections held by each worker, in memory shared across ``fork()``.

    Slot *i* is two 64-bit cells: the worker's pid (0: free) and its
    connections.  Aligned 8-byte reads and writes are atomic on the machines
    we serve from, and a count read a moment late only makes a choice a
    little less even, so there is no lock.
    """

    def __init__(self, slots: int = SLOTS):
        self.slots = slots
        self._map = mmap.mmap(-1, slots * 16)  # MAP_SHARED | MAP_ANONYMOUS: children see writes
        self._cells = memoryview(self._map).cast("q")

    # In the arbiter.

    def claim(self, taken: set[int | None]) -> int | None:
        """A free slot for a worker about to be forked (None when all are taken)."""
        for slot in range(self.slots):
            if slot not in taken:
                self.release(slot)
                return slot
        return None

    def release(self, slot: int | None) -> None:
        """Free *slot* (its worker has exited)."""
        if slot is not None:
            self._cells[2 * slot] = 0
            self._cells[2 * slot + 1] = 0

    # In a worker.

    def occupy(self, slot: int, pid: int) -> None:
        self._cells[2 * slot + 1] = BUSY  # until the first publish
        self._cells[2 * slot] = pid

    def publish(self, slot: int, connections: int) -> None:
        self._cells[2 * slot + 1] = connections

    def least_elsewhere(self, slot: int) -> int | None:
        """The fewest connections any other occupied slot holds (None: no other worker)."""
        cells = self._cells
        least = None
        for other in range(self.slots):
            if other != slot and cells[2 * other]:
                held = cells[2 * other + 1]
                if least is None or held < least:
                    least = held
        return least


def arbiter_hooks(board: Board) -> dict:
    """gunicorn ``pre_fork``/``child_exit`` settings giving each worker a slot of *board*."""

    def pre_fork(server, worker) -> None:
        taken = {getattr(w, "board_slot", None) for w in server.WORKERS.values()}
        worker.board_slot = board.claim(taken)

    def child_exit(server, worker) -> None:
        board.release(getattr(worker, "board_slot", None))

    return {"pre_fork": pre_fork, "child_exit": child_exit}


class EvenAccept:
    """Mixin for gunicorn's gthread ``ThreadWorker``: accept only when no other worker holds fewer
    connections, or once a connection has waited ``MAX_WAIT`` for one that does; and while
    holding two or more more than another, close a connection after its answer now and then.

    The board is the application's ``board`` attribute and the slot the worker's
    ``board_slot`` (set by :func:`arbiter_hooks`); without either the worker
    accepts as gthread always does.
    """

    _paused_until = 0.0
    _waiting_since = 0.0
    _last_left = float("-inf")
    _last_shed = float("-inf")
    _last_gave_up = float("-inf")

    def run(self) -> None:
        board, slot = getattr(self.app, "board", None), getattr(self, "board_slot", None)
        self._board = board if slot is not None else None
        if self._board is None:
            return super().run()
        self.wsgi = self._shedding(self.wsgi)
        # Taken only now, with the app loaded and warmed: a worker still starting takes no connection.
        board.occupy(slot, os.getpid())
        try:
            return super().run()
        finally:
            board.publish(slot, BUSY)

    def _publish(self) -> None:
        if self._board is not None:
            can_take = self.alive and self.nr_conns < self.worker_connections
            self._board.publish(self.board_slot, self.nr_conns if can_take else BUSY)

    def _leave_to_others(self) -> bool:
        if self._board is None:
            return False
        least = self._board.least_elsewhere(self.board_slot)
        if least is None or self.nr_conns <= least:
            return False
        now = time.monotonic()
        if now - self._last_left > _NEW_WAIT:
            self._waiting_since = now
        self._last_left = now
        if now - self._waiting_since < MAX_WAIT:
            return True
        # Waited long enough: this connection is taken here, and the next one waits its own turn
        # (not all of those queued behind it, which would pile onto the busiest worker).
        self._waiting_since = now
        self._last_gave_up = now
        return False

    def _crowded(self) -> bool:
        """Whether the request being answered should close its connection, to move it elsewhere."""
        if self._board is None:
            return False
        least = self._board.least_elsewhere(self.board_slot)
        now = time.monotonic()
        if least is None or self.nr_conns < least + 2 or now - self._last_shed < SHED_EVERY:
            return False
        # The worker holding fewer did not take the last connection left to it: a moved
        # connection would come back here after MAX_WAIT, and its client would wait that long.
        if now - self._last_gave_up < SHED_QUIET:
            return False
        self._last_shed = now
        return True

    def _shedding(self, app):
        """*app*, closing a connection after its answer while this worker is crowded."""

        def wsgi(environ, start_response):
            if self._crowded():
                # gunicorn's start_response is its Response's method: that response then says
                # "Connection: close" and the worker closes the connection once it is sent.
                response = getattr(start_response, "__self__", None)
                if response is not None and hasattr(response, "force_close"):
                    response.force_close()
            return app(environ, start_response)

        return wsgi

    def accept(self, listener) -> None:
        # Several at a time while this worker holds no more than the others: a worker whose
        # threads hold the interpreter gets few turns of its loop to accept in.
        while not self._leave_to_others():
            before = self.nr_conns
            super().accept(listener)
            self._publish()
            if self.nr_conns == before or self.nr_conns >= self.worker_connections:
                return  # none was waiting (EAGAIN), or this worker is full
        self._paused_until = time.monotonic() + PAUSE
        super().set_accept_enabled(False)

    def set_accept_enabled(self, enabled: bool) -> None:
        if enabled and time.monotonic() < self._paused_until:
            return
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        # Every turn of gthread's loop: connections close in its callbacks, and an idle worker
        # would otherwise show its old count for the whole wait that follows (up to a second).
        remaining = self._paused_until - time.monotonic()
        if remaining > 0:
            timeout = min(timeout, remaining)
        super().wait_for_and_dispatch_events(timeout)
        self._publish()
