"""Our posting blocks: written by index/codec.py as flat arrays, read back by it and by search/postings.py."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from index import varint
from index.codec import _varint_values, join_flat, pack_flat, unpack_flat
from search.postings import POSITION_BITS, _from_blocks, compact_freqs


@given(st.lists(st.integers(min_value=0, max_value=(1 << 35) - 1), max_size=300))
def test_varints_of_numpy_are_those_of_python(values):
    data, sizes = varint.encode_array(np.array(values, dtype=np.int64))
    assert data == varint.encode(values) and int(sizes.sum()) == len(data)
    assert varint.decode_array(np.frombuffer(data, dtype=np.uint8)).tolist() == values


# A block: ascending documents, each with ascending positions (its frequency is their count).
blocks = st.dictionaries(
    st.integers(min_value=0, max_value=300_000),
    st.lists(st.integers(min_value=0, max_value=200_000), min_size=1, max_size=12, unique=True).map(sorted),
    min_size=1,
    max_size=60,
).map(lambda d: sorted(d.items()))


@given(blocks, st.booleans())
def test_a_block_reads_back_as_written(postings, spread):
    ids = [doc for doc, _ in postings]
    values = [varint.encode_deltas(positions) for _, positions in postings]
    weights = [float(len(positions)) for _, positions in postings]
    if spread:  # positions over 65,535 and documents further apart take 4 bytes each
        ids = [doc * 3 for doc in ids]
    block = unpack_flat(pack_flat(ids, weights, values, positional=True), len(ids))
    assert block.ids.dtype == np.int32 and block.ids.tolist() == ids
    frequencies = block.weights if block.weights is not None else np.ones(len(ids))
    assert frequencies.tolist() == weights and block.counts is None
    assert block.positions.tolist() == [p for _, positions in postings for p in positions]
    assert _varint_values(block) == values  # what Whoosh's matcher hands to a merge


@given(blocks, blocks, st.sampled_from(["positions", "counts", "ones", "floats"]))
def test_two_blocks_joined_are_the_block_written_of_their_postings_together(first, second, kind):
    """index.joining joins a list's blocks where a build's processes' segments meet."""
    start = first[-1][0] + 1
    postings = [*first, *((start + doc, positions) for doc, positions in second)]

    def written(part):
        ids = [doc for doc, _ in part]
        values = [varint.encode_deltas(p) for _, p in part] if kind in ("positions", "floats") else []
        weights = {
            "positions": [float(len(p)) for _, p in part],
            "counts": [float(len(p) % 300) for _, p in part],
            "ones": [1.0] * len(part),
            "floats": [len(p) + 0.5 for _, p in part],
        }[kind]
        return pack_flat(ids, weights, values, positional=True)

    halves = [unpack_flat(written(part), len(part)) for part in (first, postings[len(first) :])]
    assert join_flat(*halves) == written(postings)


@given(blocks)
def test_values_of_another_format_are_kept_as_bytes(postings):
    ids = [doc for doc, _ in postings]
    values = [bytes(p % 256 for p in positions[:3]) if i % 2 == 0 else b"" for i, (_, positions) in enumerate(postings)]
    block = unpack_flat(pack_flat(ids, [1.0] * len(ids), values, positional=False), len(ids))
    lengths, data = block.raw
    assert lengths.tolist() == [len(v) for v in values] and data == b"".join(values)


def test_frequencies_that_are_not_the_positions_counts_are_kept_apart():
    ids, values = [3, 9], [varint.encode_deltas([1, 4]), varint.encode_deltas([7])]
    block = unpack_flat(pack_flat(ids, [0.5, 2.5], values, positional=True), 2)
    assert block.weights.dtype == np.float32 and block.weights.tolist() == [0.5, 2.5]
    assert block.counts.tolist() == [2, 1] and block.positions.tolist() == [1, 4, 7]
    assert _varint_values(block) == values


@given(st.lists(blocks, min_size=1, max_size=4), st.data())
def test_keys_of_chosen_postings_are_those_of_every_posting_kept_by_the_choice(parts, data):
    start, written = 0, []
    for part in parts:  # blocks of one list: documents ascending across them
        postings = [(start + doc, positions) for doc, positions in part]
        start = postings[-1][0] + 1
        values = [varint.encode_deltas(p) for _, p in postings]
        weights = [float(len(p)) for _, p in postings]
        written.append(unpack_flat(pack_flat([d for d, _ in postings], weights, values, True), len(postings)))
    postings = _from_blocks(written)
    counted = postings.nbytes()  # a cache's account of the list, before its positions are joined
    every = postings.keys()
    assert postings.nbytes() == counted
    expected = [
        doc << POSITION_BITS | p
        for block in written
        for doc, positions in zip(block.ids.tolist(), _split(block), strict=True)
        for p in positions
    ]
    assert every.tolist() == expected
    select = np.array(data.draw(st.lists(st.booleans(), min_size=postings.size, max_size=postings.size)))
    chosen = postings.keys(select)
    assert chosen.tolist() == every[select[np.searchsorted(postings.docs, every >> POSITION_BITS)]].tolist()


def _split(block) -> list[list[int]]:
    counts = block.weights.tolist() if block.weights is not None else [1] * block.ids.size
    ends = np.cumsum(counts).astype(int).tolist()
    return [block.positions[end - int(c) : end].tolist() for end, c in zip(ends, counts, strict=True)]


@given(
    st.lists(st.one_of(st.integers(min_value=0, max_value=70_000), st.floats(min_value=0.125, max_value=9.0, width=32)))
)
def test_compact_freqs_keep_every_value_in_the_smallest_type(values):
    freqs = np.array(values, dtype=np.float32)
    compact = compact_freqs(freqs)
    assert compact.astype(np.float32).tolist() == freqs.tolist()
    whole = all(float(v).is_integer() for v in freqs.tolist())
    if values and whole and max(values) < 1 << 16:
        assert compact.dtype == (np.uint8 if max(values) < 1 << 8 else np.uint16)
    elif values:
        assert compact.dtype == np.float32


def test_every_list_of_the_sample_reads_as_whoosh_walks_it(sample_index):
    from whoosh.fields import NUMERIC

    from index.settings import load_config
    from search.postings import read_postings
    from search.searcher import Searcher

    searcher = Searcher(load_config(sample_index))
    searcher.search("")
    checked = 0
    for leaf in searcher._refresh().leaves:
        reader = leaf.reader
        for field, term in reader.all_terms():
            if isinstance(reader.schema[field], NUMERIC):  # ts: sorted by its column, never searched
                continue
            text = reader.schema[field].from_bytes(term)
            postings = read_postings(reader, field, text)
            matcher = reader.postings(field, term)
            docs, weights, keys = [], [], []
            positional = matcher.supports("positions")
            while matcher.is_active():
                docs.append(matcher.id())
                weights.append(matcher.weight())
                if positional:
                    keys += [matcher.id() << POSITION_BITS | p for p in matcher.value_as("positions")]
                matcher.next()
            assert postings.docs.tolist() == docs and postings.freqs.astype(float).tolist() == weights
            assert postings.keys().tolist() == keys
            checked += 1
    assert checked > 1000


@given(
    st.sets(st.integers(0, (1 << 40) - 1), max_size=300),
    st.sets(st.integers(0, (1 << 40) - 1), max_size=300),
    st.sets(st.integers(0, (1 << 40) - 1), max_size=40),
)
def test_phrase_keys_intersect_as_sets_do(a, b, shared):
    # search.segments.intersect_sorted: merged when the two are of similar sizes, looked up when
    # one is far shorter; both ways give the keys in both, sorted.
    from search.segments import intersect_sorted

    left = np.array(sorted(a | shared), dtype=np.int64)
    right = np.array(sorted(b | shared), dtype=np.int64)
    for x, y in ((left, right), (right, left), (left[:3], right), (left, right[:2])):
        assert intersect_sorted(x, y).tolist() == sorted(set(x.tolist()) & set(y.tolist()))
