"""The caches (search/lru.py ByteLRU, as the view's term arrays use it) stay within their byte budgets."""

from __future__ import annotations

import numpy as np

from search.postings import ENTRY_BYTES
from search.segments import array_lru

BUDGET = 4 * (3_000 + ENTRY_BYTES)  # four entries of 250 postings


def arrays(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.float32)  # 12 bytes an entry


def test_least_recently_used_go_first_and_the_budget_holds():
    cache = array_lru(BUDGET)
    for key in "abcd":
        cache.put((key,), arrays(250))  # 3,000 bytes and the entry each: all four fit
    assert len(cache) == 4
    assert cache.get(("a",)) is not None  # a is now the most recent
    cache.put(("e",), arrays(250))  # over budget: b, the least recent, goes
    assert cache.get(("b",)) is None
    assert all(cache.get((k,)) is not None for k in "acde")
    assert cache.bytes <= cache.max_bytes


def test_one_list_bigger_than_a_quarter_of_the_budget_is_not_kept():
    cache = array_lru(BUDGET)
    cache.put(("small",), arrays(100))
    cache.put(("huge",), arrays(300))  # 3,600 bytes and the entry > a quarter of the budget
    assert cache.get(("huge",)) is None and cache.get(("small",)) is not None


def test_putting_a_key_again_replaces_it_and_its_bytes():
    cache = array_lru(BUDGET)
    cache.put(("a",), arrays(200))
    cache.put(("a",), arrays(100))
    assert len(cache) == 1 and cache.bytes == 1_200 + ENTRY_BYTES


def test_empty_arrays_count_their_entry_so_missing_terms_stay_bounded():
    cache = array_lru(BUDGET)
    for i in range(10_000):
        cache.put(("missing", i), arrays(0))
    assert len(cache) <= BUDGET // ENTRY_BYTES


def test_the_posting_cache_bounds_lists_of_missing_terms_too(sample_index):
    from index.settings import load_config
    from search.postings import PostingCache
    from search.searcher import Searcher

    searcher = Searcher(load_config(sample_index))
    searcher.search("")
    leaf = searcher._refresh().leaves[0]
    cache = PostingCache(max_bytes=20 * ENTRY_BYTES)
    for i in range(500):
        cache.get(leaf.key, leaf.reader, "body_f", f"khongco{i}")
    assert len(cache.lists) <= 20


def test_position_keys_equal_the_positions_whoosh_reads(sample_index):
    from index.settings import load_config
    from search.searcher import Searcher

    searcher = Searcher(load_config(sample_index))
    searcher.search("")
    view = searcher._refresh()
    requests = [("body_f", "dan"), ("body", "vận"), ("title_f", "ha"), ("body_f", "khong co tu nay"), ("body_f", "dan")]
    rng = np.random.default_rng(7)
    for among in (view.live, rng.random(view.size) < 0.5):
        found = view.term_keys(requests, among)
        assert len(found) == len(requests) and found[0] is found[4]  # a repeated request read once
        for (field, term), keys in zip(requests, found, strict=True):
            assert keys.tolist() == sorted(
                (leaf.offset + doc) << 21 | position
                for leaf in view.leaves
                for doc, position in _walk(leaf.reader, field, term)
                if among[leaf.offset + doc]
            )
            assert np.all(np.diff(keys) > 0)  # sorted, no repeats: phrases intersect them
        assert found[0].size > 0 and found[3].size == 0


def _walk(reader, field: str, term: str):
    """``(doc, position)`` of a term in one segment, as Whoosh's own matcher reads them."""
    if (field, term) not in reader:
        return
    matcher = reader.postings(field, term)
    while matcher.is_active():
        for position in matcher.value_as("positions"):
            yield matcher.id(), position
        matcher.next()


def test_a_terms_remembered_bm25f_adds_what_computing_it_added(sample_index):
    from index.settings import load_config
    from search.engine import FIELDS, Evaluator
    from search.searcher import Searcher

    searcher = Searcher(load_config(sample_index))
    searcher.search("")
    view = searcher._refresh()
    evaluator = Evaluator(view, searcher.weights)
    # Over several fields (their sum saturated once), over one field (the other branch), and a
    # word in most articles (kept for every article).
    every = evaluator.weighted(FIELDS)
    for text, fields in (("dân", every), ("thu", [("author", 1.0)]), ("và", every)):
        added = []
        for _ in range(2):  # computed, then from the view's memory
            scores, mask = np.zeros(view.size, dtype=np.float32), np.zeros(view.size, dtype=bool)
            idf = evaluator.bm25f(text, fields, scores, 1.0, mask)
            added.append((idf, scores, mask))
        (idf, scores, mask), (again, remembered, remembered_mask) = added
        assert mask.any() and idf > 0, text
        assert again == idf and np.array_equal(remembered, scores) and np.array_equal(remembered_mask, mask)
        assert np.array_equal(np.flatnonzero(scores), np.flatnonzero(mask))
        halved = np.zeros(view.size, dtype=np.float32)
        evaluator.bm25f(text, fields, halved, 0.5)
        assert np.allclose(halved, scores * 0.5)
    kept = [len(found) for found, _ in view.contributions._items.values()]
    assert 2 in kept and 3 in kept  # both forms were checked


def second_segment_view(sample_index, directory):
    """A view of a copy of the sample with one article written after it: a second segment, so
    documents of the second are numbered from an offset."""
    import shutil

    from index.article import Article
    from index.settings import load_config
    from index.store import IndexStore
    from index.writer import upsert_entry, write
    from search.searcher import Searcher

    copy = directory / "index"
    shutil.copytree(load_config(sample_index).path("index.path"), copy)
    write(IndexStore(copy), [upsert_entry(Article(id="n1", title="Dân vận Hà Nội", body="Công tác dân vận ở Hà Nội."))])
    searcher = Searcher(load_config(sample_index).with_overrides(index__path=str(copy)))
    searcher.search("")
    view = searcher._refresh()
    assert len(view.leaves) == 2
    return view


def test_position_keys_of_a_second_segment_are_numbered_from_its_offset(sample_index, tmp_path):
    view = second_segment_view(sample_index, tmp_path)
    last = view.leaves[-1].offset
    among = np.ones(view.size, dtype=bool)
    among[1::3] = False  # not every article...
    among[last:] = True  # ...but the new one
    for field, term in [("title_f", "dan"), ("body_f", "van"), ("body_f", "ha")]:
        every = view.term_keys([(field, term)], view.live)[0]
        keys = view.term_keys([(field, term)], among)[0]
        assert (keys >> 21 >= last).any()
        assert np.array_equal(keys, every[among[every >> 21]])
        assert keys.tolist() == sorted(
            (leaf.offset + doc) << 21 | position
            for leaf in view.leaves
            for doc, position in _walk(leaf.reader, field, term)
            if among[leaf.offset + doc]
        )
