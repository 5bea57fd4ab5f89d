"""Decoding our posting format (search/postings.py) against the encoder that wrote it (index/varint.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from index import varint
from search import postings as postings_module
from search.postings import POSITION_BITS, Postings, _few_keys, compact_freqs, decode_positions, decode_varints


@given(st.lists(st.integers(min_value=0, max_value=(1 << 35) - 1), max_size=300))
def test_varints_decode_to_what_was_encoded(values):
    assert decode_varints(varint.encode(values)).tolist() == values


@given(st.lists(st.lists(st.integers(min_value=1, max_value=70_000), min_size=1, max_size=20), max_size=30))
def test_positions_restart_at_each_posting(gaps_per_posting):
    encoded = [varint.encode(gaps) for gaps in gaps_per_posting]
    raw = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    lengths = np.array([len(e) for e in encoded], dtype=np.int64)
    docs = np.arange(len(encoded), dtype=np.int32) * 3
    if not encoded:
        return
    owners, positions, per_posting = decode_positions(raw, lengths, docs)
    assert per_posting.tolist() == [len(g) for g in gaps_per_posting]
    expected = [(3 * d, p) for d, gaps in enumerate(gaps_per_posting) for p in np.cumsum(gaps).tolist()]
    assert list(zip(owners.tolist(), positions.tolist(), strict=True)) == expected


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


def _postings_of_blocks(gaps_per_posting: list[list[int]], block: int | None) -> Postings:
    """Postings whose position bytes are in blocks of *block* postings, as index.codec writes them,
    or (*block* None) one list, as the term table keeps a term in few documents; each posting's
    frequency is its number of positions, as the index writes it."""
    encoded = [varint.encode(gaps) for gaps in gaps_per_posting]
    if block is None:
        values = [("list", [len(e) for e in encoded], b"".join(encoded))]
    else:
        values = []
        for start in range(0, len(encoded), block):
            part = encoded[start : start + block]
            values.append(("block", len(part), varint.encode([len(e) for e in part]) + b"".join(part)))
    count = len(encoded)
    freqs = np.array([len(gaps) for gaps in gaps_per_posting], dtype=np.uint8)
    return Postings(np.arange(count, dtype=np.int32) * 2, freqs, values)


@given(
    st.lists(st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=8), min_size=1, max_size=120),
    st.integers(min_value=1, max_value=16),
    st.data(),
)
def test_positions_of_a_few_blocks_equal_those_of_the_whole_list(gaps_per_posting, block, data):
    count = len(gaps_per_posting)
    select = np.zeros(count, dtype=bool)  # a few postings: the path that inflates only their blocks
    select[sorted(data.draw(st.sets(st.integers(0, count - 1), max_size=max(1, count // 5))))] = True
    few = _postings_of_blocks(gaps_per_posting, block).encoded(select)  # inflates only the blocks it needs
    whole = _postings_of_blocks(gaps_per_posting, block)
    whole._value_index()  # every block indexed first: the other path
    expected = whole.encoded(select)
    for got, want in zip(few, expected, strict=True):
        assert got.tolist() == want.tolist()


def test_a_few_postings_take_the_path_that_inflates_only_their_blocks():
    postings = _postings_of_blocks([[i + 1, 2] for i in range(100)], 10)
    select = np.zeros(100, dtype=bool)
    select[[3, 57]] = True
    few = postings._from_few_blocks(select)
    assert few is not None and postings._index is None  # two blocks of ten read, nothing kept
    raw, lengths, docs = few
    assert docs.tolist() == [6, 114] and lengths.tolist() == [2, 2]
    assert decode_positions(raw, lengths, docs)[1].tolist() == [4, 6, 58, 60]


@given(
    st.lists(st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=8), min_size=1, max_size=120),
    st.integers(min_value=1, max_value=16),
)
def test_kept_position_keys_are_the_decoded_positions(gaps_per_posting, block):
    postings = _postings_of_blocks(gaps_per_posting, block)
    grown = []
    postings.on_grow = grown.append
    owners, positions = _postings_of_blocks(gaps_per_posting, block).positions()
    keys = postings.keys()
    assert keys.tolist() == ((owners << POSITION_BITS) | positions).tolist()
    assert keys.tolist() == sorted(keys.tolist())
    assert postings.keys() is keys and grown[-1] == keys.nbytes  # decoded once, and counted


def test_a_list_with_more_positions_than_kept_is_not_kept(monkeypatch):
    postings = _postings_of_blocks([[1, 2, 3]] * 10, 4)
    monkeypatch.setattr(postings_module, "KEEP_POSITIONS", 29)
    assert postings.keys() is None and postings._keys is None
    monkeypatch.setattr(postings_module, "KEEP_POSITIONS", 30)
    assert postings.keys().size == 30


@given(
    st.lists(st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=8), min_size=1, max_size=12),
    st.integers(min_value=1, max_value=16),
    st.booleans(),
)
def test_a_few_positions_walked_in_python_are_what_numpy_decodes(gaps_per_posting, block, inlined):
    def make() -> Postings:
        return _postings_of_blocks(gaps_per_posting, None if inlined else block)

    walked = _few_keys(make()._values, make().docs)
    owners, positions = make().positions()
    assert walked is not None and walked.tolist() == ((owners << POSITION_BITS) | positions).tolist()


def test_blocks_that_do_not_line_up_with_the_postings_are_left_to_numpy():
    postings = _postings_of_blocks([[1], [2], [3]], 2)
    assert _few_keys(postings._values, postings.docs[:2]) is None  # more positions than postings
    assert _few_keys(postings._values, np.arange(4, dtype=np.int32)) is None  # fewer
