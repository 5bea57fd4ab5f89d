"""A reader's question, second stage: its first articles re-scored by where its words stand together.

BM25F scores an article by how often it holds each of a question's words, wherever
they are.  A reader writes a question about one passage of one article (*Chị Liên
mang thai được 4 tháng thì nhận phải hung tin gì?*), and on 100,000 articles many
others hold the same words scattered over unrelated paragraphs (*mang*, *thai*,
*tháng*, *tin*).  The article that answers holds them together.  This is
passage-level evidence (Callan, SIGIR 1994) and term proximity (Büttcher, Clarke and
Lushman, SIGIR 2006; Tao and Zhai, SIGIR 2007), applied as the second stage of a
two-stage ranking: only the first ``search.passage_depth`` articles by tier and BM25F
(50) are looked at.

Each of those articles' bodies gets two shares of the question's weight, each between 0
and 1, every syllable weighed by its idf in the bodies:

* *window*: the distinct question syllables in the best run of :data:`WINDOW` syllables;
* *pairs*: the question's adjacent syllable pairs (no question word in them) found side
  by side.

Its score becomes ``BM25F x (1 + weight x (window + pairs) / 2)`` (``search.passage_weight``).
Where the words stand is read from the positions of the folded body view (``body_f``),
in those articles only: each syllable's list is searched for them by binary search
(:meth:`IndexView.keys_in`), not walked, and both shares are a few array operations over
all of their occurrences at once: 1.4 ms a question on news-00, 3.0 on 100,000, most of it
reading the common syllables' lists.  Reading 30 articles' stored text instead, each
syllable found by ``str.find``, cost 4.6 ms on news-00 for the same ranking (MRR@10 0.714
against 0.715).
The common syllables stay: leaving out those in over a fifth of the articles made the stage
five times cheaper and gave back 0.640 of news-00's 0.715 (0.654 without the stage), as a
question's pairs are mostly of common syllables (*mang thai*, *bị sốt*).

The factor is at least 1 and only these articles get it, so they stay ahead of every
article after them and the order is still one sort by tier, then score: pages, totals
and tiers mean what they meant.  Measured on the dev questions (BENCHMARKS.md, twenty-ninth
round), both halves of the questions rise on both indexes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np

from search.engine import Evaluation, idf
from search.postings import POSITION_BITS
from search.segments import IndexView, contains

WINDOW = 10  # syllables: a clause or two of a news article
_DOC_START = ~np.int64((1 << POSITION_BITS) - 1)  # a key's bits of its document
_NOTHING = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Question:
    """What the second stage looks for: a question's folded syllables with their weights."""

    syllables: tuple[str, ...]  # distinct, question words left out
    weights: np.ndarray  # each one's idf in the body view
    pairs: tuple[tuple[int, int], ...]  # adjacent in the question (their indices), neither a question word

    @classmethod
    def of(cls, view: IndexView, sequence: tuple[str | None, ...]) -> Question | None:
        """The question of *sequence* (folded syllables, None at a question word); None when
        nothing in it is weighed."""
        syllables = tuple(dict.fromkeys(s for s in sequence if s))
        if not syllables:
            return None
        count = max(view.live_count, 1)
        weights = np.array([idf(count, view.doc_frequency("body_f", s)) for s in syllables])
        index = {s: i for i, s in enumerate(syllables)}
        pairs = tuple(dict.fromkeys((index[a], index[b]) for a, b in itertools.pairwise(sequence) if a and b))
        return cls(syllables, weights, pairs)

    def evidence(self, keys: list[np.ndarray], docs: np.ndarray) -> np.ndarray:
        """For each of the ascending *docs*: how closely its body holds the question, the mean of
        its window and pair shares, from 0 to 1.  *keys*: each syllable's sorted keys
        (``doc << POSITION_BITS | position``) in those documents."""
        window = np.zeros(docs.size)
        ends = np.unique(np.concatenate(keys)) if keys else _NOTHING
        if ends.size:
            # Every best window can end on an occurrence: each one's window is the WINDOW
            # syllables up to it, within its document, and holds a syllable when one of its
            # occurrences falls between the two ends.
            starts = np.maximum(ends - (WINDOW - 1), ends & _DOC_START)
            held = np.zeros(ends.size)
            for weight, found in zip(self.weights, keys, strict=True):
                if found.size:
                    inside = np.searchsorted(found, ends, side="right") > np.searchsorted(found, starts)
                    held += weight * inside
            np.maximum.at(window, np.searchsorted(docs, ends >> POSITION_BITS), held)
        paired = np.zeros(docs.size)
        pair_total = 0.0
        for a, b in self.pairs:
            weight = float(self.weights[a] + self.weights[b])
            pair_total += weight
            side_by_side = keys[a][contains(keys[b], keys[a] + 1)] if keys[a].size else _NOTHING
            paired[np.searchsorted(docs, np.unique(side_by_side >> POSITION_BITS))] += weight
        shares = window / float(self.weights.sum())
        if pair_total:
            shares += paired / pair_total
        return shares / 2.0


def rescore(evaluation: Evaluation, view: IndexView, question: Question, docs: np.ndarray, weight: float) -> Evaluation:
    """*evaluation* with the scores of *docs* (its first articles by relevance) multiplied by
    ``1 + weight x`` their evidence for *question*."""
    docs = np.sort(docs)
    keys = [view.keys_in("body_f", syllable, docs) for syllable in question.syllables]
    scores = evaluation.scores.copy()
    scores[docs] *= (1.0 + weight * question.evidence(keys, docs)).astype(np.float32)
    return replace(evaluation, scores=scores)
