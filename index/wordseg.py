"""pyvi word segmentation, loaded and driven faster than ``ViTokenizer.tokenize``.

pyvi's tokenizer builds a Python dict of features for every syllable, each
feature recomputed five times (for the syllable and as a neighbour of four
others); that costs about two thirds of its time.  :func:`segment` computes each
syllable's attributes once and hands pyvi's own CRF model the same features as
plain strings, so the labels, and therefore the words, are exactly pyvi's
(``tests/test_segment.py`` compares the two on real articles).

Importing ``pyvi.ViTokenizer`` also imports scikit-learn (2.5 s and ~100 MB in
every server worker) only to unpickle a wrapper around the CRFsuite model.  The
model is read here from pyvi's own files without it: the wrapper's pickle is
opened with stand-ins for its scikit-learn classes, and its CRFsuite model bytes
go straight to ``pycrfsuite``.  The syllable splitting is pyvi's, verbatim.

Features whose value would be ``False`` are left out: in CRFsuite an attribute
of value 0 contributes nothing to a score, so the result is unchanged.
"""

from __future__ import annotations

import pickle
import re
import string
import unicodedata
from functools import lru_cache
from importlib.resources import files

import pycrfsuite

from index.analysis import STRING_CACHE

_MODELS = files("pyvi") / "models"
_PUNCTUATION = set(string.punctuation)


def _ngrams() -> tuple[set[str], set[str]]:
    bigrams, trigrams = set(), set()
    for entry in (_MODELS / "words.txt").read_text(encoding="utf-8").split("\n"):
        size = len(entry.split(" "))
        if size == 2:
            bigrams.add(entry)
        elif size == 3:
            trigrams.add(entry)
    return bigrams, trigrams


class _Stand_in:
    """Takes the place of a scikit-learn-crfsuite class while unpickling pyvi's model."""

    def __setstate__(self, state):
        self.__dict__.update(state)


class _ModelUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module.startswith("sklearn_crfsuite"):
            return type(name, (_Stand_in,), {})
        return super().find_class(module, name)


def _model_bytes() -> bytes:
    with (_MODELS / "pyvi3.pkl").open("rb") as handle:
        crf = _ModelUnpickler(handle).load()
    return crf.modelfile.__dict__["__FILE_RESOURCE_DATA__"]


_BIGRAMS, _TRIGRAMS = _ngrams()
# CRFsuite reads the model in place: the bytes must live as long as the tagger.
_MODEL = _model_bytes()
_TAGGER = pycrfsuite.Tagger()
_TAGGER.open_inmemory(_MODEL)

# pyvi's syllabelization (ViTokenizer.sylabelize), pattern for pattern.
_SYLLABLE_PATTERNS = re.compile(
    "("
    + "|".join(
        [
            r"[A-ZĐ]+\.",
            r"Tp\.",
            r"Mr\.",
            r"Mrs\.",
            r"Ms\.",
            r"Dr\.",
            r"ThS\.",
            "==>",
            "->",
            r"\.\.\.",
            ">>",
            "\n",
            r"\w+://[^\s]+",
            r"([a-zA-Z0-9_.+-]+@([a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+)",
            r"\d+([\.,_]\d+)+",
            r"[^\w\s]",
            r"\w+",
        ]
    )
    + ")",
    re.UNICODE,
)


def sylabelize(text: str) -> list[str]:
    """pyvi's syllables of *text* (NFC; punctuation, numbers, e-mails and URLs kept whole)."""
    return [found[0] for found in _SYLLABLE_PATTERNS.findall(unicodedata.normalize("NFC", text))]


@lru_cache(maxsize=STRING_CACHE)
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
    syllables = sylabelize(text)
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
