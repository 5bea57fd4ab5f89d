"""LEB128 varints: the byte encoding of our posting blocks and positions.

Seven bits a byte, the high bit set on every byte but a number's last, so
numbers under 128 take one byte.  Positions are stored as deltas from the
previous position (:func:`encode_deltas`).  ``search/postings.py`` decodes the
same bytes with numpy.
"""

from __future__ import annotations

from collections.abc import Iterable


def encode(numbers: Iterable[int]) -> bytes:
    numbers = list(numbers)
    if not numbers or max(numbers) < 0x80:
        return bytes(numbers)  # one byte each: the common case, done in C
    out = bytearray()
    for n in numbers:
        while n >= 0x80:
            out.append((n & 0x7F) | 0x80)
            n >>= 7
        out.append(n)
    return bytes(out)


def decode(data: bytes, count: int | None = None) -> tuple[list[int], int]:
    """The first *count* numbers of *data* (all when None), and the offset after them."""
    numbers: list[int] = []
    n = shift = offset = 0
    size = len(data)
    while offset < size and (count is None or len(numbers) < count):
        byte = data[offset]
        offset += 1
        n |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
        else:
            numbers.append(n)
            n = shift = 0
    return numbers, offset


def encode_deltas(positions: Iterable[int]) -> bytes:
    """Ascending *positions* as varints of the gaps between them."""
    previous = 0
    gaps = []
    for position in positions:
        gaps.append(position - previous)
        previous = position
    return encode(gaps)


def decode_deltas(data: bytes) -> list[int]:
    positions = []
    position = 0
    for gap in decode(data)[0]:
        position += gap
        positions.append(position)
    return positions
