"""LEB128 varints: the byte encoding of our posting blocks and positions.

Seven bits a byte, the high bit set on every byte but a number's last, so
numbers under 128 take one byte.  Positions are stored as deltas from the
previous position (:func:`encode_deltas`): that is how Whoosh hands a posting's
positions to the codec (:class:`index.formats.VarintPositions`), and how the
term table keeps the posting of a term found in one document.  The codec's
posting blocks hold plain arrays instead (:mod:`index.codec`): it turns the
varints of a block into positions with :func:`decode_array`, numpy's side by
side with Python's :func:`decode`, and back with :func:`encode_array` when
Whoosh merges segments.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


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


def decode_array(raw: np.ndarray) -> np.ndarray:
    """The varints of the bytes *raw* (a uint8 array) as int64, vectorised.

    Most values fit one byte, so the work is one pass over the bytes and then a
    few rounds over the continuation bytes only, folding each into its varint
    from the last byte back.
    """
    if raw.size == 0:
        return np.zeros(0, dtype=np.int64)
    continued = np.flatnonzero(raw >= 0x80)
    values = raw.astype(np.int64)
    if continued.size == 0:
        return values
    values[continued] &= 0x7F
    unfolded = np.zeros(raw.size + 1, dtype=bool)
    unfolded[continued] = True
    pending = continued
    while pending.size:
        last = ~unfolded[pending + 1]  # the byte after it is folded (or ends the varint)
        done = pending[last]
        values[done] += values[done + 1] << 7
        unfolded[done] = False
        pending = pending[~last]
    unfolded[continued + 1] = True  # a byte after a continuation byte starts no varint
    return values[~unfolded[:-1]]


def encode_array(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Non-negative *values* as concatenated varints, and each value's byte count."""
    values = values.astype(np.int64)
    sizes = np.ones(values.size, dtype=np.int64)
    for bits in (7, 14, 21, 28, 35, 42, 49, 56):
        sizes += values >= (1 << bits)
    if values.size == 0 or int(sizes.max()) == 1:
        return values.astype(np.uint8).tobytes(), sizes
    ends = np.cumsum(sizes)
    out = np.zeros(int(ends[-1]), dtype=np.uint8)
    first = ends - sizes
    for k in range(int(sizes.max())):
        has = sizes > k
        byte = (values[has] >> (7 * k)) & 0x7F
        byte |= np.where(sizes[has] > k + 1, 0x80, 0)
        out[first[has] + k] = byte
    return out.tobytes(), sizes
