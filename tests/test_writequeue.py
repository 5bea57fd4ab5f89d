"""The write queue: writes take the index in arrival order, queued writes share a commit, and a
dead writer's ticket never blocks."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time

import pytest

from index.writequeue import QueueTimeout, WriteQueue
from tests.reliability import wait_until


class Leaders:
    """A commit function for :meth:`WriteQueue.submit` that records what each commit held."""

    def __init__(
        self,
        hold: threading.Event | None = None,
        fail_with: BaseException | None = None,
        poison: int | None = None,
        claims: bool = True,
    ):
        self.commits: list[list[list[dict]]] = []
        self.inside = threading.Event()
        self.hold = hold
        self.fail_with = fail_with
        self.poison = poison  # a commit holding this write's entries fails
        self.claims = claims  # False: each write commits alone, as before group commit
        self.lock = threading.Lock()

    def __call__(self, group) -> list[dict]:
        # As index.writer does, once it holds Whoosh's lock.
        batches = [group.entries, *(group.claim() if self.claims else [])]
        self.inside.set()
        if self.hold is not None:
            self.hold.wait(10)
        with self.lock:
            self.commits.append(batches)
            failure, self.fail_with = self.fail_with, None  # only the first commit fails
        if failure is not None:
            raise failure
        if any(batch[0]["n"] == self.poison for batch in batches):
            raise ValueError(f"write {self.poison} cannot be indexed")
        return [{"count": len(batch), "first": batch[0]["n"]} for batch in batches]


def submit_in_threads(queue, leaders, numbers, outcomes, errors):
    def one(n: int) -> None:
        try:
            outcomes[n] = queue.submit([{"n": n}, {"n": n}], timeout=10, commit=leaders)
        except Exception as exc:  # the test compares what each write saw
            errors[n] = exc

    threads = []
    for n in numbers:
        before = set(queued(queue))
        thread = threading.Thread(target=one, args=(n,))
        thread.start()
        threads.append(thread)
        # Arrival order: the next write starts once this one's ticket is in the queue (or it is done).
        wait_until(
            lambda n=n, before=before: n in outcomes or n in errors or set(queued(queue)) - before,
            10,
            f"write {n} to queue",
        )
    return threads


def queued(queue: WriteQueue) -> list[str]:
    return queue.tickets() if queue.directory.exists() else []


def test_writes_queued_behind_a_commit_are_committed_together_each_with_its_own_outcome(tmp_path):
    queue, hold = WriteQueue(tmp_path / "q", poll=0.001), threading.Event()
    leaders, outcomes, errors = Leaders(hold), {}, {}
    threads = submit_in_threads(queue, leaders, [0], outcomes, errors)
    leaders.inside.wait(5)
    threads += submit_in_threads(queue, leaders, [1, 2, 3, 4], outcomes, errors)
    hold.set()
    for thread in threads:
        thread.join(10)
    assert errors == {}
    assert outcomes == {n: {"count": 2, "first": n} for n in range(5)}
    # The first commit held the first write only (it started before the others arrived); the
    # second held all four that queued meanwhile, in arrival order.
    assert [[batch[0]["n"] for batch in commit] for commit in leaders.commits] == [[0], [1, 2, 3, 4]]
    assert list((tmp_path / "q").iterdir()) == []


def behind_a_held_commit(tmp_path, leaders_behind: Leaders, numbers: list[int]) -> tuple[dict, dict]:
    """Write 0 commits while *numbers* queue behind it, to be led by *leaders_behind*; all outcomes."""
    queue, hold = WriteQueue(tmp_path / "q", poll=0.001), threading.Event()
    first, outcomes, errors = Leaders(hold), {}, {}
    threads = submit_in_threads(queue, first, [0], outcomes, errors)
    first.inside.wait(5)
    threads += submit_in_threads(queue, leaders_behind, numbers, outcomes, errors)
    hold.set()
    for thread in threads:
        thread.join(10)
    return outcomes, errors


def test_writes_that_commit_alone_take_their_turn_in_arrival_order(tmp_path):
    leaders = Leaders(claims=False)
    outcomes, errors = behind_a_held_commit(tmp_path, leaders, [1, 2, 3, 4])
    assert errors == {} and sorted(outcomes) == [0, 1, 2, 3, 4]
    assert [[batch[0]["n"] for batch in commit] for commit in leaders.commits] == [[1], [2], [3], [4]]
    assert list((tmp_path / "q").iterdir()) == []  # every ticket removed


def test_a_dead_writers_ticket_is_skipped_and_removed(tmp_path):
    queue = WriteQueue(tmp_path / "q")
    (tmp_path / "q").mkdir()
    stale = tmp_path / "q" / "00000000000000000001-999999-1"  # older than anything, locked by no one
    stale.touch()
    started = time.monotonic()
    assert queue.submit([{"n": 0}], timeout=5, commit=Leaders()) == {"count": 1, "first": 0}
    assert time.monotonic() - started < 1
    assert not stale.exists()


def test_a_disk_error_of_the_leader_reaches_every_write_it_held(tmp_path):
    failing = Leaders(fail_with=OSError(28, "write refused: the disk is full"))
    outcomes, errors = behind_a_held_commit(tmp_path, failing, [1, 2, 3])
    assert outcomes == {0: {"count": 2, "first": 0}}
    assert sorted(errors) == [1, 2, 3]
    assert all(isinstance(e, OSError) and e.errno == 28 and "disk is full" in str(e) for e in errors.values())
    assert len(failing.commits) == 1  # one commit held all three, and failed for all three


def test_a_commit_that_fails_for_one_write_fails_only_that_write(tmp_path):
    poisoned = Leaders(poison=2)
    outcomes, errors = behind_a_held_commit(tmp_path, poisoned, [1, 2, 3])
    assert list(errors) == [2] and isinstance(errors[2], ValueError)
    assert outcomes == {n: {"count": 2, "first": n} for n in (0, 1, 3)}  # written again, each alone
    assert [batch[0]["n"] for batch in poisoned.commits[0]] == [1, 2, 3]  # the group that failed


def _claim_and_die(directory, claimed, ready):
    queue = WriteQueue(directory, poll=0.001)

    def claim_then_exit(group):
        claimed.value = len(group.claim())
        ready.set()
        time.sleep(0.5)
        os._exit(9)  # killed mid-commit: no outcome for anyone

    queue.submit([{"n": -1}], timeout=10, commit=claim_then_exit)


def test_writes_claimed_by_a_leader_that_dies_are_written_again(tmp_path):
    directory = tmp_path / "q"
    queue = WriteQueue(directory, poll=0.001)
    # A commit holds the queue while the future leader, and then two writes behind it, queue up.
    context = multiprocessing.get_context("fork")
    claimed, ready = context.Value("i", -1), context.Event()
    hold, outcomes, errors = threading.Event(), {}, {}
    first = Leaders(hold)
    threads = submit_in_threads(queue, first, [0], outcomes, errors)
    first.inside.wait(5)
    leader = context.Process(target=_claim_and_die, args=(directory, claimed, ready))
    leader.start()
    wait_until(lambda: len(queued(queue)) == 2, 10, "the leader's ticket to join write 0's")
    threads += submit_in_threads(queue, Leaders(), [1, 2], outcomes, errors)
    hold.set()
    assert ready.wait(10)
    leader.join(10)
    for thread in threads:
        thread.join(10)
    assert claimed.value == 2  # the dead leader had taken both
    assert errors == {}
    assert outcomes == {n: {"count": 2, "first": n} for n in (0, 1, 2)}


def test_a_write_that_times_out_is_never_committed_later(tmp_path):
    queue, hold = WriteQueue(tmp_path / "q", poll=0.001), threading.Event()
    first = Leaders(hold)
    outcomes, errors = {}, {}
    threads = submit_in_threads(queue, first, [0], outcomes, errors)
    first.inside.wait(5)
    with pytest.raises(QueueTimeout):
        queue.submit([{"n": 1}], timeout=0.2, commit=Leaders())
    later = Leaders()
    threads += submit_in_threads(queue, later, [2], outcomes, errors)
    hold.set()
    for thread in threads:
        thread.join(10)
    committed = [entry["n"] for leaders in (first, later) for commit in leaders.commits for b in commit for entry in b]
    assert 1 not in committed and sorted(set(committed)) == [0, 2]
    assert list((tmp_path / "q").iterdir()) == []  # the timed-out write left nothing behind
