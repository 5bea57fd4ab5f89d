"""pyvi word segmentation, driven faster than ``ViTokenizer.tokenize``.

pyvi's tokenizer builds a Python dict of features for every syllable, each
feature recomputed five times (for the syllable and as a neighbour of four
others); that costs about two thirds of its time.  :func:`segment` computes each
syllable's attributes once and hands pyvi's own CRF model the same features as
plain strings, so the labels, and therefore the words, are exactly pyvi's
(``tests/test_segment.py`` compares the two on real articles).

Features whose value would be ``False`` are left out: in CRFsuite an attribute
of value 0 contributes nothing to a score, so the result is unchanged.
"""

from __future__ import annotations

import string
from functools import lru_cache

from pyvi import ViTokenizer as _vitokenizer_module

_VT = _vitokenizer_module.ViTokenizer
_BIGRAMS: set[str] = _VT.bi_grams
_TRIGRAMS: set[str] = _VT.tri_grams
_TAGGER = _VT.model.tagger_
_PUNCTUATION = set(string.punctuation)


@lru_cache(maxsize=100_000)
def _attributes(word: str) -> tuple[str, bool, bool, bool]:
    return word.lower(), word.istitle(), word.isupper(), word.isdigit()


def _features(syllables: list[str]) -> list[list[str]]:
    attrs = [_attributes(w) for w in syllables]
    lowers = [a[0] for a in attrs]
    n = len(syllables)
    bigram = [f"{lowers[i]} {lowers[i + 1]}" in _BIGRAMS for i in range(n - 1)]
    trigram = [f"{lowers[i]} {lowers[i + 1]} {lowers[i + 2]}" in _TRIGRAMS for i in range(n - 2)]
    sequence = []
    for i, (lower, title, upper, digit) in enumerate(attrs):
        f = ["bias", "word.lower():" + lower]
        if title:
            f.append("word.istitle()")
        if upper:
            f.append("word.isupper()")
        if digit:
            f.append("word.isdigit()")
        if i > 0:
            p_lower, p_title, p_upper, _ = attrs[i - 1]
            f.append("-1:word.lower():" + p_lower)
            if p_title:
                f.append("-1:word.istitle()")
            if p_upper:
                f.append("-1:word.isupper()")
            if bigram[i - 1]:
                f.append("-1:word.bi_gram()")
            if i > 1 and trigram[i - 2]:
                f.append("-2:word.tri_gram()")
        if i < n - 1:
            n_lower, n_title, n_upper, _ = attrs[i + 1]
            f.append("+1:word.lower():" + n_lower)
            if n_title:
                f.append("+1:word.istitle()")
            if n_upper:
                f.append("+1:word.isupper()")
            if bigram[i]:
                f.append("+1:word.bi_gram()")
            if i < n - 2 and trigram[i]:
                f.append("+2:word.tri_gram()")
        sequence.append(f)
    return sequence


def segment(text: str) -> list[str]:
    """pyvi's words of *text*: syllables of one word joined by ``_``, punctuation kept.

    Equal to ``ViTokenizer.tokenize(text).split()`` for any text.
    """
    _, syllables = _VT.sylabelize(text)
    if not syllables:
        return text.split()
    labels = _TAGGER.tag(_features(syllables))
    words = [syllables[0]]
    for i in range(1, len(labels)):
        cur, prev = syllables[i], syllables[i - 1]
        if (
            labels[i] == "I_W"
            and cur not in _PUNCTUATION
            and prev not in _PUNCTUATION
            and not cur[0].isdigit()
            and not prev[0].isdigit()
            and not (cur[0].istitle() and not prev[0].istitle())
        ):
            words[-1] += "_" + cur
        else:
            words.append(cur)
    return [w for w in words if not w.isspace()]
