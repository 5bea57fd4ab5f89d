"""The write queue: writes take the index in arrival order; a dead writer's ticket never blocks."""

from __future__ import annotations

import threading
import time

import pytest

from index.writequeue import QueueTimeout, WriteQueue


def test_writes_take_their_turn_in_arrival_order(tmp_path):
    queue, order = WriteQueue(tmp_path / "q", poll=0.001), []
    first_in, release = threading.Event(), threading.Event()

    def holder():
        with queue.turn(timeout=10):
            first_in.set()
            release.wait(10)
            order.append("first")

    def waiter(label: str):
        with queue.turn(timeout=10):
            order.append(label)

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    first_in.wait(10)
    for label in ["second", "third", "fourth", "fifth"]:
        thread = threading.Thread(target=waiter, args=(label,))
        thread.start()
        threads.append(thread)
        time.sleep(0.02)  # each ticket is older than the next
    release.set()
    for thread in threads:
        thread.join(10)
    assert order == ["first", "second", "third", "fourth", "fifth"]
    assert list((tmp_path / "q").iterdir()) == []  # every ticket removed


def test_a_dead_writers_ticket_is_skipped_and_removed(tmp_path):
    queue = WriteQueue(tmp_path / "q")
    (tmp_path / "q").mkdir()
    stale = tmp_path / "q" / "00000000000000000001-999999-1"  # older than anything, locked by no one
    stale.touch()
    started = time.monotonic()
    with queue.turn(timeout=5):
        assert time.monotonic() - started < 1
    assert not stale.exists()


def test_a_write_behind_a_live_one_times_out(tmp_path):
    queue = WriteQueue(tmp_path / "q")
    inside, release = threading.Event(), threading.Event()

    def holder():
        with queue.turn(timeout=5):
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    inside.wait(5)
    with pytest.raises(QueueTimeout), queue.turn(timeout=0.2):
        pass
    release.set()
    thread.join(5)
    with queue.turn(timeout=1):  # the timed-out write left no ticket behind
        pass
