"""A re-entrant lock that threads get in the order they asked for it.

A worker's searches take turns on one lock (Whoosh's readers and our caches are
not shared between threads, and the interpreter lock would not run two at once
anyway).  ``threading.RLock`` hands a released lock to whichever thread runs
first: the thread that released it, a thread arriving that moment, or one of the
waiters the system wakes.  Under load a request could lose that race several
times over (in ``bench/load.py`` a request waited 25 ms for the lock on average,
90 ms at the 99th percentile).  :class:`FairLock` queues the waiters and hands
the lock over to the first of them on release, so a request waits for those that
came before it and no longer.
"""

from __future__ import annotations

import threading
from collections import deque


class FairLock:
    """Like ``threading.RLock`` (``with lock:``, re-entrant), but first come, first served."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()  # guards the fields below, held only for a few operations
        self._owner: int | None = None
        self._depth = 0
        self._queue: deque[tuple[int, threading.Lock]] = deque()

    def acquire(self) -> bool:
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                self._depth += 1
                return True
            if self._owner is None:
                self._owner, self._depth = me, 1
                return True
            turn = threading.Lock()
            turn.acquire()
            self._queue.append((me, turn))
        try:
            turn.acquire()  # released by release(), which has made this thread the owner
        except BaseException:  # interrupted (a signal handler raised): leave the line
            with self._mutex:
                if (me, turn) in self._queue:
                    self._queue.remove((me, turn))
                    raise
            self.release()  # handed over meanwhile: pass it on rather than hold it forever
            raise
        return True

    def release(self) -> None:
        with self._mutex:
            if self._owner != threading.get_ident():
                raise RuntimeError("cannot release a lock this thread does not hold")
            self._depth -= 1
            if self._depth:
                return
            if self._queue:
                # Handed over, not set free: neither this thread nor a newcomer can take it first.
                self._owner, turn = self._queue.popleft()
                self._depth = 1
                turn.release()
            else:
                self._owner = None

    def waiting(self) -> int:
        """How many threads are queued for the lock."""
        with self._mutex:
            return len(self._queue)

    def __enter__(self) -> FairLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()
