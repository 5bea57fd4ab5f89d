"""Spellings that Vietnamese treats as one word: ``kĩ``/``kỹ``, ``lí``/``lý``, ``quy``/``qui``.

After the initials h, k, l, m, qu, s and t, a syllable whose whole rhyme is the
vowel i may be written with i or with y (``kĩ thuật``/``kỹ thuật``,
``lí do``/``lý do``, ``hi sinh``/``hy sinh``, ``tỉ lệ``/``tỷ lệ``,
``công ti``/``công ty``, ``quy chế``/``qui chế``); both spellings are in use and
mean the same.  The index keeps the letters as written, so until the analysis
(``index/analysis.py``) writes one of them for both at index and query time,
the search treats the other spelling as an alternative of the clause
(``Clause.alternatives``).
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from index.analysis import canonical_syllable, fold

_SWAPPABLE = re.compile(r"(?:h|k|l|m|qu|s|t)[iy]")
_SWAP = {"i": "y", "y": "i", "I": "Y", "Y": "I"}
MAX_VARIANTS = 4  # other spellings added per way of writing a clause


def other_spelling(syllable: str) -> str | None:
    """The i/y twin of a canonical *syllable* (``kỹ`` -> ``kĩ``), or None if it has none."""
    if not _SWAPPABLE.fullmatch(fold(syllable)):
        return None
    decomposed = unicodedata.normalize("NFD", syllable)
    # The vowel is the last base letter; its tone mark (if any) follows it.
    base_index = max(i for i, ch in enumerate(decomposed) if not unicodedata.combining(ch))
    swapped = decomposed[:base_index] + _SWAP[decomposed[base_index]] + decomposed[base_index + 1 :]
    return canonical_syllable(unicodedata.normalize("NFC", swapped))


def spellings(syllables: list[str]) -> list[list[str]]:
    """Other spellings of a syllable sequence (not itself), at most :data:`MAX_VARIANTS`."""
    options = []
    for syllable in syllables:
        twin = other_spelling(syllable)
        options.append((syllable,) if twin is None else (syllable, twin))
    if all(len(o) == 1 for o in options):
        return []
    found = [list(combo) for combo in itertools.product(*options)]
    return [combo for combo in found if combo != syllables][:MAX_VARIANTS]
