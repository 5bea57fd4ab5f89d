"""A term's BM25F in one byte per article: its *impact*, a 255th of the most it can be.

A reader's question holds a dozen common syllables (*là*, *có*, *của*, *người*), and each
one's BM25F over every article that holds it is the dearest part of a question on a large
archive: the length-normalised frequencies of five fields, summed and saturated, over 90,000
articles.  :class:`search.segments.IndexView` remembers those scores per term
(``contributions``) so that the next question with the same word adds one array.  On 100,000
articles a common term's scores as ``float32`` take 400 KB, and the budget held some 120 of
them: the dev questions then spent 11.2-12.1 ms each, against 8.2-8.5 ms with four times the
budget (BENCHMARKS.md, issue 16's ninth round).

So the scores are kept as bytes, as impact-ordered indexes keep them (Anh, de Kretser and
Moffat, *Vector-space ranking with effective early termination*, SIGIR 2001; Crane et al.,
*A comparison of document-at-a-time and score-at-a-time query evaluation*, WSDM 2017, found 8
bits lose nothing measurable; Lucene keeps its length norms in one byte, as Whoosh does): the
same budget holds four times as many terms.  The step is fixed by the term's bound
``idf x (k1 + 1)`` (a term's BM25F never exceeds it, however often it appears), not by the
scores seen, so every path to a term's score in an article rounds it alike: remembered or not,
computed from the field lists or read from the index's impact views (one step apart at most,
where float32 sums taken in another order fall on either side of a half step).

Rounding moves a term's score by at most half a step: 0.2 % of its bound.  An article that
holds the term keeps at least one step (a score under half a step is raised to it), so "holds
the term" is still ``impact > 0``.

An index of format 5 or later holds these bytes already, computed while indexing (:mod:`index.impacts`,
with the idf left out, which a step of the bound cancels): a term's scores are then one list
read, not five lists and the arithmetic.
"""

from __future__ import annotations

import numpy as np

from index.impacts import LEVELS  # steps of a term's bound: one byte, as the index writes them


def step(idf: float, k1: float) -> float:
    """What one step of an impact is worth in score."""
    return idf * (k1 + 1.0) / LEVELS


def quantize(scores: np.ndarray, idf: float, k1: float) -> np.ndarray:
    """A term's BM25F *scores* (``float32``, 0 where absent) as impacts (``uint8``)."""
    levels = np.rint(scores * np.float32(1.0 / step(idf, k1)))
    # At least one step where the term is: a long article's one mention must still count as held.
    np.clip(levels, scores > 0, LEVELS, out=levels)
    return levels.astype(np.uint8)


def scale(impacts: np.ndarray, idf: float, k1: float, weight: float = 1.0) -> np.ndarray:
    """*impacts* as ``float32`` scores, times *weight*."""
    return np.float32(weight * step(idf, k1)) * impacts
