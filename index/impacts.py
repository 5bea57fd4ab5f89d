"""A term's BM25F in each article, computed while indexing: the *impact* views.

A search scores a term by BM25F over five fields (title, summary, body, captions, byline):
each field's frequency, length-normalised and weighted, summed and saturated once.  Done at
query time, that reads five posting lists per term and does arithmetic over every article
holding it; for the syllables found in most articles (*của*, *người*, *nguyễn*) that work
grows with the archive, and on 100,000 articles it was a fifth of a search (BENCHMARKS.md,
issue 16's twenty-second round).  Impact-ordered indexes (Anh, de Kretser and Moffat,
*Vector-space ranking with effective early termination*, SIGIR 2001) compute each term's
score in each document when indexing, quantised to a few bits, and a search adds them.

So each article also gets two views whose "frequency" is that score in one byte, a 255th of
its bound (:func:`level`, the same steps as ``search.impacts``):

* ``impact``: the accented syllables (``của``, ``nguyễn``);
* ``impact_f``: the folded syllables (``cua``, ``nguyen``).

One list a term instead of five, a byte a posting and no positions.  The idf is left out (it
changes with every article added) and multiplied in by the search.  What the score depends on
is fixed when the index is created and kept in its schema (:class:`ImpactParams`): the field
weights, ``k1`` and ``b`` (``[search]`` settings), and each field's average length (measured on
the articles of a build, :func:`average_lengths`).  A search whose settings differ from the
index's scores from the field lists as before, with the same results as before this view.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Generator, Iterable
from dataclasses import dataclass

from whoosh import fields
from whoosh.util.numeric import byte_to_length, length_to_byte

from index.analysis import fold, syllables
from index.article import TEXT_FIELDS, Article
from index.formats import Counts

LEVELS = 255  # steps of a term's bound: one byte (search/impacts.py reads them so)
# Average lengths in syllables of 100,000 articles of the test corpus, for an index created
# without a build's measurement (a write into an empty store, a cluster node's replay).
DEFAULT_AVERAGES = {"title": 12.9, "summary": 34.2, "body": 504.8, "captions": 16.5, "author": 0.04}
SAMPLE = 2000  # articles a build measures the average lengths on


@dataclass(frozen=True)
class ImpactParams:
    """What an impact depends on besides the article: fixed when the index is created."""

    weights: tuple[tuple[str, float], ...]  # (field, weight) in TEXT_FIELDS' order
    k1: float
    b: float
    averages: tuple[tuple[str, float], ...]  # (field, average length in syllables)

    @classmethod
    def from_config(cls, config) -> ImpactParams:
        """The ranking settings of *config*, with the declared average lengths (a build
        replaces them with its own measurement)."""
        return cls(
            weights=tuple((name, float(config[f"search.{name}_weight"])) for name in TEXT_FIELDS),
            k1=float(config["search.bm25_k1"]),
            b=float(config["search.bm25_b"]),
            averages=tuple(DEFAULT_AVERAGES.items()),
        )

    @classmethod
    def default(cls) -> ImpactParams:
        """The declared defaults of the settings (index/settings.py), for an index created
        without a build's settings: a write into an empty store, a cluster node's rebuild."""
        from index.settings import SETTINGS

        return cls.from_config({s.name: s.default for s in SETTINGS})

    def matches(self, weights: dict[str, float], k1: float, b: float) -> bool:
        """Whether a search with these settings scores as this index's impacts do."""
        return self.k1 == k1 and self.b == b and all(weights.get(name) == w for name, w in self.weights)


def level(pseudo: float, k1: float) -> int:
    """BM25's saturation of a weighted, normalised frequency, as a 255th of its bound
    ``idf x (k1 + 1)`` (so idf cancels out); at least 1 where the term is."""
    return max(1, min(LEVELS, round(LEVELS * pseudo / (pseudo + k1))))


def impacts(texts: tuple[tuple[str, str], ...], params: ImpactParams, folded: bool) -> dict[str, int]:
    """Each syllable of *texts* (``(field, text)`` pairs) with its impact level."""
    b, averages = params.b, dict(params.averages)
    pseudo: Counter[str] = Counter()
    split = _syllables(texts)
    for name, weight in params.weights:
        found = split.get(name)
        if not weight or not found:
            continue
        if folded:
            found = [fold(s) for s in found]
        # The length as the index keeps it (one lossy byte) and the search reads it, at least 1.
        length = max(byte_to_length(length_to_byte(len(found))), 1)
        norm = 1.0 - b + b * length / (averages[name] or 1.0)
        for term, count in Counter(found).items():
            pseudo[term] += weight * count / norm
    return {term: level(value, params.k1) for term, value in pseudo.items()}


_last = threading.local()  # per thread: the texts split last, and their syllables


def _syllables(texts: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    """The accented syllables of each text, split once for an article's two impact views (Whoosh
    indexes them one after the other, given the same tuple)."""
    found = getattr(_last, "split", None)
    if found is None or found[0] is not texts:
        found = _last.split = (texts, {name: syllables(text) for name, text in texts if text})
    return found[1]


class ImpactField(fields.FieldType):
    """An impact view: one posting per syllable of an article, its weight the impact level.

    Its value is the article's texts, as ``((field, text), ...)``; Whoosh keeps the field,
    with its :class:`ImpactParams`, in the index's schema."""

    def __init__(self, params: ImpactParams, folded: bool):
        super().__init__(format=Counts(), analyzer=None, scorable=False, stored=False)
        self.params = params
        self.folded = folded

    def index(self, value, **kwargs) -> Generator[tuple[bytes, int, float | int, bytes], None, None]:
        for term, found in sorted(impacts(value, self.params, self.folded).items()):
            yield term.encode("utf-8"), found, found, b""

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.params == other.params and self.folded == other.folded


def average_lengths(articles: Iterable[Article], total: int) -> dict[str, float]:
    """Average length in syllables of each text field over about :data:`SAMPLE` of *articles*
    (*total* of them), evenly spread."""
    every = max(1, math.ceil(total / SAMPLE))
    sums: Counter[str] = Counter()
    seen = 0
    for number, article in enumerate(articles):
        if number % every:
            continue
        seen += 1
        for name, text in article.texts().items():
            if text:
                sums[name] += len(syllables(text))
    return {name: sums[name] / seen for name in TEXT_FIELDS} if seen else dict(DEFAULT_AVERAGES)
