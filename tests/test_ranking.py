"""search.ranking: a partial sort gives exactly the start of the full sort, ties included."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from search.ranking import FULL_SORT_BELOW, Ranking, kth_smallest


def full_order(docs, scores, ts, dated, sort, tiers, order):
    """The whole order, by a plain sort of Python tuples."""
    ts_ = ts.tolist()
    if sort == "relevance":
        key = lambda i: (-int(tiers[i]), -float(scores[i]), -ts_[i], int(order[i]), int(docs[i]))  # noqa: E731
    else:
        sign = -1 if sort == "newest" else 1
        key = lambda i: (not dated[i], sign * ts_[i], -int(tiers[i]), -float(scores[i]), int(order[i]), int(docs[i]))  # noqa: E731
    return docs[sorted(range(docs.size), key=key)]


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_first_pages_equal_the_full_sort_with_many_ties(sort):
    rng = np.random.default_rng(7)
    n = FULL_SORT_BELOW * 3
    docs = np.sort(rng.choice(10 * n, n, replace=False))
    scores = rng.integers(0, 20, n).astype(np.float32)  # few distinct scores: ties everywhere
    ts = rng.integers(1_600_000_000, 1_600_000_000 + 50 * 86400, n) // 86400 * 86400  # 50 distinct days
    dated = rng.random(n) > 0.1
    ts[~dated] = 0
    tiers = rng.choice([0, 1, 8, 9, 12, 24], n).astype(np.uint8)
    # The ties' own order (the articles' ids hashed), with ties of its own left to the index's order.
    order = rng.choice(np.array([3, 2**63 + 5, 2**64 - 1, 7, 0], dtype=np.uint64), 10 * n)  # by document number
    expected = full_order(docs, scores, ts, dated, sort, tiers, order[docs])
    ranking = Ranking(docs, scores, ts, dated, sort, tiers, order)
    assert ranking.total == n
    for count in (10, 20, 1, 30, 500, 7000):  # pages in any order, growing and shrinking
        assert ranking.first(count).tolist() == expected[:count].tolist()
    assert ranking.first(n).tolist() == expected.tolist()
    assert ranking.first(n + 5).tolist() == expected.tolist()


def test_small_and_empty_matches():
    docs = np.array([3, 5, 9])
    ranking = Ranking(
        docs,
        np.array([1.0, 2.0, 2.0], dtype=np.float32),
        np.array([10, 0, 30]),
        np.array([True, False, True]),
        "newest",
    )
    assert ranking.first(10).tolist() == [9, 3, 5]  # the undated last
    empty = Ranking(
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.float32),
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=bool),
        "relevance",
    )
    assert empty.total == 0 and empty.first(10).size == 0


def test_a_tier_comes_before_any_score_of_a_lower_tier():
    # Ranking rules are sort keys, not constants added to the score: a weak match in the phrase
    # tier stays above the strongest match outside it, however far apart their scores are.
    docs = np.arange(4)
    scores = np.array([1e6, 0.01, 5.0, 3e5], dtype=np.float32)
    tiers = np.array([0, 8, 8, 9], dtype=np.uint8)
    ts, dated = np.zeros(4, dtype=np.int64), np.zeros(4, dtype=bool)
    assert Ranking(docs, scores, ts, dated, "relevance", tiers).first(4).tolist() == [3, 2, 1, 0]


def test_articles_tied_on_every_key_come_in_the_same_order_whatever_their_numbers(tmp_path):
    """Two indexes of the same articles, taken in opposite orders (two cluster nodes, two
    builds), number them differently; a page of articles tied on every key is the same on
    both, so a reader's next page, from either, neither repeats nor skips one."""
    from search.columns import article_order
    from tests.conftest import searcher_of

    articles = [
        {"id": f"tie-{n:02d}", "title": "Mưa lớn ở Hà Nội", "body": "Trời mưa to.", "published": "2022-06-01"}
        for n in range(12)
    ]
    (tmp_path / "forward").mkdir()
    (tmp_path / "backward").mkdir()
    forward = searcher_of(tmp_path / "forward", articles)
    backward = searcher_of(tmp_path / "backward", articles[::-1])
    expected = sorted((a["id"] for a in articles), key=article_order)
    assert expected != sorted(expected)  # the hash's order, not the ids' or the index's
    for sort in ("relevance", "newest", "oldest"):
        pages = []
        for searcher in (forward, backward):
            first = searcher.search("mưa lớn", per_page=5, sort=sort)
            second = searcher.search("mưa lớn", per_page=5, page=2, sort=sort)
            assert len({(h.tier, h.score) for h in first.hits + second.hits}) == 1  # tied throughout
            pages.append([h.id for h in first.hits + second.hits])
        assert pages[0] == pages[1] == expected[:10], sort


@given(
    size=st.integers(1, 5000),
    distinct=st.integers(1, 500),
    seed=st.integers(0, 2**32 - 1),
    wanted=st.integers(1, 60),
    period=st.integers(1, 64),
)
def test_kth_smallest_is_numpys_partition(size, distinct, seed, wanted, period):
    """Floyd and Rivest's sampled selection finds the value numpy's partition does, ties and
    all, whatever the sample happens to hold: here also a sample of the largest values (every
    *period*-th value the greatest)."""
    values = np.random.default_rng(seed).integers(0, distinct, size).astype(np.float64)
    k = min(wanted, size)  # a page's few, mostly: where the sample is taken
    assert kth_smallest(values, k) == np.partition(values, k - 1)[k - 1]
    values[::period] = distinct
    assert kth_smallest(values, k) == np.partition(values, k - 1)[k - 1]
