"""search/fair_lock.py: the searches' lock is exclusive, re-entrant, and taken in arrival order."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from search.fair_lock import FairLock


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_waiting_threads_get_the_lock_in_the_order_they_asked():
    lock = FairLock()
    order: list[int] = []

    def take(number: int) -> None:
        with lock:
            order.append(number)

    lock.acquire()
    threads = []
    for number in range(6):
        thread = threading.Thread(target=take, args=(number,))
        thread.start()
        threads.append(thread)
        wait_until(lambda n=number: lock.waiting() == n + 1)  # queued before the next one starts
    lock.release()
    for thread in threads:
        thread.join(5)
    assert order == list(range(6))


def test_a_released_lock_goes_to_the_waiter_not_back_to_the_thread_that_released_it():
    # threading.RLock lets the releasing thread take it straight back, ahead of a thread that
    # has waited all along: under load, a request could lose that race again and again.
    lock = FairLock()
    order: list[str] = []

    def waiter() -> None:
        with lock:
            order.append("waiter")

    lock.acquire()
    thread = threading.Thread(target=waiter)
    thread.start()
    wait_until(lambda: lock.waiting() == 1)
    lock.release()
    with lock:
        order.append("releaser, again")
    thread.join(5)
    assert order == ["waiter", "releaser, again"]


def test_the_lock_is_re_entrant_and_only_its_holder_may_release_it():
    lock = FairLock()
    with lock, lock:
        errors = []

        def release_from_elsewhere() -> None:
            try:
                lock.release()
            except RuntimeError as exc:
                errors.append(exc)

        other = threading.Thread(target=release_from_elsewhere)
        other.start()
        other.join(5)
        assert len(errors) == 1
    taken = threading.Event()
    thread = threading.Thread(target=lambda: (lock.acquire(), taken.set(), lock.release()))
    thread.start()
    assert taken.wait(5), "released twice after two acquisitions: another thread can take it"
    thread.join(5)
    with pytest.raises(RuntimeError):
        lock.release()


def test_one_holder_at_a_time():
    lock = FairLock()
    state = {"inside": 0, "most": 0, "count": 0}

    def work() -> None:
        for _ in range(2000):
            with lock:
                state["inside"] += 1
                state["most"] = max(state["most"], state["inside"])
                count = state["count"]
                if count % 97 == 0:
                    time.sleep(0)  # let another thread run while this one holds the lock
                state["count"] = count + 1
                state["inside"] -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert state == {"inside": 0, "most": 1, "count": 16000}


def test_a_wait_interrupted_by_a_signal_leaves_the_line():
    # A signal handler that raises (a timeout, Ctrl-C) interrupts the wait: the thread must not
    # stay queued, or the lock would one day be handed to a thread that no longer wants it.
    lock = FairLock()
    holding, done = threading.Event(), threading.Event()

    def holder() -> None:
        with lock:
            holding.set()
            done.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(5)

    def interrupt(signum, frame):
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        with pytest.raises(TimeoutError):
            lock.acquire()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert lock.waiting() == 0
    done.set()
    thread.join(5)
    taken = threading.Event()
    other = threading.Thread(target=lambda: (lock.acquire(), taken.set(), lock.release()))
    other.start()
    assert taken.wait(5)
    other.join(5)
