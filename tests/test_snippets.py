"""Snippets' fragments: where their edges fall (search/snippets.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from search.snippets import RUN_REACH, find_hits, fragment_bounds, prepare

HA_NOI = prepare({"folded": ["ha", "noi"], "phrases": [["ha", "noi"]]})


def _runs(text: str, hits) -> list[tuple[int, int]]:
    """Hits with only spaces between, as search.snippets.mark merges them into one mark."""
    runs: list[list[int]] = []
    for hit in hits:
        if runs and not text[runs[-1][1] : hit.start].strip():
            runs[-1][1] = hit.end
        else:
            runs.append([hit.start, hit.end])
    return [(a, b) for a, b in runs]


def test_a_fragment_ending_inside_a_name_ends_after_it():
    text = "Khoa Luật - đại học Quốc gia Hà Nội: tuyển sinh năm nay"
    hits = find_hits(text, HA_NOI)
    inside = text.index("Hà") + 3  # between "Hà" and "Nội"
    start, end = fragment_bounds(text, hits, 0, inside)
    assert text[start:end] == "Khoa Luật - đại học Quốc gia Hà Nội"
    start, end = fragment_bounds(text, hits, inside, len(text))
    assert text[start:end] == "Hà Nội: tuyển sinh năm nay"


WORDS = st.sampled_from(["Hà", "Nội", "hà", "nội", "là", "thủ", "đô", "của", "Việt", "Nam", "2024", "-", "(Hà"])
SEPARATORS = st.sampled_from([" ", " ", " ", ", ", ",", ". ", "\n", ": ", " - "])


@given(st.lists(st.tuples(WORDS, SEPARATORS), min_size=1, max_size=80), st.data())
def test_no_fragment_edge_splits_a_name_or_a_word(pieces, data):
    text = "".join(word + separator for word, separator in pieces)
    hits = find_hits(text, HA_NOI)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    got_start, got_end = fragment_bounds(text, hits, start, end)
    assert 0 <= got_start <= got_end <= len(text)
    for edge in (got_start, got_end):
        if 0 < edge < len(text):  # between two words, never inside one (the words are short)
            assert not (text[edge - 1].isalnum() and text[edge].isalnum())
        for run_start, run_end in _runs(text, hits):
            if run_start < edge < run_end:  # only a run too long to keep whole is split
                assert run_end - run_start > RUN_REACH
    if got_start < got_end:
        assert not text[got_start].isspace() and not text[got_end - 1].isspace()
