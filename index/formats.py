"""Compact posting formats for the Whoosh codec.

Whoosh's stock ``Positions`` format stores each posting's positions as a pickled
list behind a 4-byte count (12 bytes or more for a word seen once), and its
``Frequency`` format stores a 4-byte count that the codec already keeps as the
posting's weight.  On Vietnamese news, where a syllable view holds as many
postings as the text has syllables, those bytes made the index several times
larger than the text.  These formats keep the same information in fewer bytes:

* :class:`VarintPositions` -- position deltas as LEB128 varints (one byte each
  for gaps under 128); the frequency is the number of varints;
* :class:`Counts` -- no value at all: the frequency is the posting's weight,
  stored as a small integer (which the codec pickles in two bytes, not nine).

Both read back through the normal Whoosh matcher API (``weight()``,
``value_as("positions")``), so phrase queries and scoring work unchanged.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from whoosh.formats import Format, tokens

from index.varint import decode_deltas, encode_deltas


class VarintPositions(Format):
    """Positions as varint deltas; supports frequency, weight, positions."""

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any):
        positions: dict[str, list[int]] = defaultdict(list)
        kwargs["positions"] = True
        for token in tokens(value, analyzer, kwargs):
            positions[token.text].append(token.pos)
        for word, found in positions.items():
            yield word, len(found), len(found), encode_deltas(found)

    def encode(self, positions: list[int]) -> bytes:
        return encode_deltas(positions)

    def decode_positions(self, value: bytes) -> list[int]:
        return decode_deltas(value)

    def decode_frequency(self, value: bytes) -> int:
        return sum(1 for byte in value if byte < 0x80)

    def decode_weight(self, value: bytes) -> float:
        return self.decode_frequency(value) * self.field_boost

    def decode_position_boosts(self, value: bytes) -> list[tuple[int, float]]:
        return [(p, 1.0) for p in decode_deltas(value)]

    def combine(self, values) -> bytes:
        merged: set[int] = set()
        for value in values:
            merged.update(decode_deltas(value))
        return encode_deltas(sorted(merged))


class Counts(Format):
    """Term frequency only, kept as the posting's (integer) weight; no value bytes."""

    posting_size = 0

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any):
        counts = Counter(token.text for token in tokens(value, analyzer, kwargs))
        for word, count in counts.items():
            yield word, count, count, b""

    def encode(self, value: Any) -> bytes:
        return b""

    def combine(self, values) -> bytes:
        return b""
