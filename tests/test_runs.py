"""index/runs.py: a build process's postings sorted through runs written in batches."""

from __future__ import annotations

import random

import pytest
from whoosh.filedb.filestore import RamStorage

from index import runs
from index.runs import BatchedPostingPool


def _postings(count: int) -> list[tuple]:
    """(field, term, document, weight, value) as Whoosh's SegmentWriter adds them."""
    rng = random.Random(count)
    return [
        (
            rng.choice(["body", "body_f", "title"]),
            f"t{rng.randrange(300)}".encode(),
            rng.randrange(5000),
            1.0,
            bytes([rng.randrange(256)]),
        )
        for _ in range(count)
    ]


@pytest.mark.parametrize("maxfiles", [128, 2])  # 2: runs merged into runs first (Whoosh's reduce_to)
def test_postings_come_back_sorted_from_runs_of_several_batches(monkeypatch, maxfiles):
    monkeypatch.setattr(runs, "BATCH", 7)  # every run many batches, the last one short
    pool = BatchedPostingPool(RamStorage(), None, limitmb=1)
    pool.limit = 20_000  # bytes as Whoosh counts them: a run every hundred-odd postings
    postings = _postings(1_000)
    for posting in postings:
        pool.add(posting)
    assert len(pool.runs) > 4
    assert list(pool.items(maxfiles=maxfiles)) == sorted(postings)
