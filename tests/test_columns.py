"""Facet counts over the smaller side of a match (search/columns.py)."""

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from search.columns import Columns

VALUES = ["", "Hà Nội", "Thể thao", "Kinh tế"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(VALUES) - 1), st.booleans(), st.booleans()), max_size=60))
def test_counts_are_those_of_the_matched_documents_from_either_side(docs):
    """Each document: (its value, live, matched); a deleted document is never matched."""
    codes = np.array([code for code, _, _ in docs], dtype=np.int32)
    live = np.array([alive for _, alive, _ in docs], dtype=bool)
    matched = np.array([alive and hit for _, alive, hit in docs], dtype=bool)
    columns = Columns(np.zeros(len(docs), dtype=np.int64), live.copy(), {"category": codes}, {"category": VALUES}, live)
    expected = Counter(VALUES[c] for c, hit in zip(codes.tolist(), matched.tolist(), strict=True) if hit and c)
    selection = columns.select(matched)
    assert selection.outside == (2 * matched.sum() > live.sum())
    counted = columns.count("category", selection)
    assert dict(counted) == expected
    # Most frequent first, ties in the order of the values' codes.
    assert counted == sorted(expected.items(), key=lambda vc: (-vc[1], VALUES.index(vc[0])))
    for value in VALUES[1:]:
        first = [i for i, (c, alive, _) in enumerate(docs) if alive and VALUES[c] == value]
        assert columns.first("category", value) == (first[0] if first else -1)
