"""What a build measures on a sample of its articles before indexing them.

A build first reads about :data:`SAMPLE` of its articles, evenly spread, and measures two things
that the new index's schema then keeps for its whole life (:func:`measure`):

* each text field's average length in syllables, which the impact views are computed with
  (index/impacts.py);
* the folded syllables found in the most articles: the pair views hold each pair of these side
  by side (``dan van``, index/analysis.py :class:`~index.analysis.PairFilter`).  A phrase costs
  what its syllables' lists cost where no pair holds it, and those are the longest lists of the
  archive being indexed, so the set is measured on that archive.  A set fixed from the
  portal's own sample left out syllables common in a national archive (``viet``, ``bac``):
  ``viet nam`` alone cost 7 ms a search on 100,000 articles (BENCHMARKS.md, issue 16's
  twenty-third and twenty-fourth rounds).

The pair set changes which lists a search reads, never what it finds (tests/test_pairs.py).  A
build of fewer than :data:`MIN_SAMPLE` articles, and an index created without a build (a write
into an empty store, a cluster node's rebuild from its table), keep the portal's own list
(``index/pair-syllables-v1.txt``): frequencies measured on a few articles say little about the
archive the index will grow into.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from index.analysis import fold, pair_syllables, syllables
from index.article import TEXT_FIELDS, Article
from index.impacts import DEFAULT_AVERAGES

SAMPLE = 2000  # articles a build measures
MIN_SAMPLE = 1000  # fewer measured articles: the pair syllables are the portal's list
PAIR_SYLLABLES = 256  # how many folded syllables' pairs the pair views hold (v1 held 254)
PAIRED_FIELDS = tuple(name for name in TEXT_FIELDS if name != "author")  # the fields with a pair view


@dataclass(frozen=True)
class Measured:
    """What a build's sample says about its articles."""

    averages: dict[str, float]  # text field: average length in syllables
    pair_syllables: frozenset[str]  # the folded syllables whose pairs the pair views hold


def measure(articles: Iterable[Article], total: int) -> Measured:
    """Measure about :data:`SAMPLE` of *articles* (*total* of them), evenly spread."""
    every = max(1, math.ceil(total / SAMPLE))
    lengths: Counter[str] = Counter()
    found_in: Counter[str] = Counter()  # folded syllable: the sampled articles it is in
    seen = 0
    for number, article in enumerate(articles):
        if number % every:
            continue
        seen += 1
        folded: set[str] = set()
        for name, text in article.texts().items():
            if not text:
                continue
            accented = syllables(text)
            lengths[name] += len(accented)
            if name in PAIRED_FIELDS:
                folded.update(fold(s) for s in accented)
        found_in.update(folded)
    if not seen:
        return Measured(dict(DEFAULT_AVERAGES), pair_syllables())
    averages = {name: lengths[name] / seen for name in TEXT_FIELDS}
    return Measured(averages, commonest(found_in) if seen >= MIN_SAMPLE else pair_syllables())


def commonest(found_in: Counter[str], count: int = PAIR_SYLLABLES) -> frozenset[str]:
    """The *count* syllables made of letters found in the most articles (ties by spelling, so
    the same articles give the same set)."""
    ranked = sorted((s for s in found_in if s.isalpha()), key=lambda s: (-found_in[s], s))
    return frozenset(ranked[:count])
