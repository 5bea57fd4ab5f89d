"""A reader's question, second stage: its first articles re-scored by where its words stand together.

BM25F scores an article by how often it holds each of a question's words, wherever
they are.  A reader writes a question about one passage of one article (*Chị Liên
mang thai được 4 tháng thì nhận phải hung tin gì?*), and on 100,000 articles many
others hold the same words scattered over unrelated paragraphs (*mang*, *thai*,
*tháng*, *tin*).  The article that answers holds them together.  This is
passage-level evidence (Callan, SIGIR 1994) and term proximity (Büttcher, Clarke and
Lushman, SIGIR 2006; Tao and Zhai, SIGIR 2007), applied as the second stage of a
two-stage ranking: only the first ``search.passage_depth`` articles by tier and BM25F
are read, so its cost is the same on any archive.

Each of those articles' bodies (as the page's snippets read them, :mod:`search.articles`)
gets two shares of the question's weight, each between 0 and 1, every syllable weighed
by its idf in the bodies:

* *window*: the distinct question syllables in the best run of :data:`WINDOW` syllables;
* *pairs*: the question's adjacent syllable pairs (no question word in them) found side
  by side.

Its score becomes ``BM25F x (1 + weight x (window + pairs) / 2)`` (``search.passage_weight``).
The factor is at least 1 and only these articles get it, so they stay ahead of every
article after them and the order is still one sort by tier, then score: pages, totals
and tiers mean what they meant.  Measured on the dev questions (BENCHMARKS.md, twenty-ninth
round), both halves of the questions rise on both indexes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np

from search.engine import Evaluation
from search.segments import IndexView

WINDOW = 10  # syllables: a clause or two of a news article


@dataclass(frozen=True)
class Question:
    """What the second stage looks for: a question's folded syllables with their weights."""

    weights: dict[str, float]  # each distinct syllable (not a question word): its idf
    pairs: frozenset[tuple[str, str]]  # adjacent syllables, neither a question word
    total: float  # the weights' sum
    pair_total: float  # the pairs' weights' sum (a pair weighs its two syllables)

    @classmethod
    def of(cls, view: IndexView, syllables: tuple[str | None, ...]) -> Question | None:
        """The question of *syllables* (folded, None at a question word); None when nothing is weighed."""
        count = max(view.live_count, 1)
        weights = {}
        for syllable in {s for s in syllables if s}:
            found = view.doc_frequency("body_f", syllable)
            weights[syllable] = math.log(1.0 + (count - found + 0.5) / (found + 0.5))
        total = sum(weights.values())
        if total <= 0.0:
            return None
        pairs = frozenset((a, b) for a, b in itertools.pairwise(syllables) if a and b)
        return cls(weights, pairs, total, sum(weights[a] + weights[b] for a, b in pairs))

    def evidence(self, folded: str) -> float:
        """How closely the text *folded* (lower case, without diacritics) holds the question:
        the mean of its window and pair shares, from 0 to 1."""
        weights = self.weights
        found = _occurrences(folded, weights)
        # The best window: a run of the occurrences spanning fewer than WINDOW syllables,
        # slid over them, counting each distinct syllable's weight once.
        best = held = 0.0
        inside: dict[str, int] = {}
        first = 0
        for at, word in found:
            while found[first][0] <= at - WINDOW:
                left = found[first][1]
                inside[left] -= 1
                if not inside[left]:
                    held -= weights[left]
                first += 1
            if not inside.get(word):
                held += weights[word]
            inside[word] = inside.get(word, 0) + 1
            best = max(best, held)
        paired = 0.0
        if self.pairs:
            ends = {(word, at) for at, word in found}
            starts = {word: [at for at, w in found if w == word] for word in {a for a, _ in self.pairs}}
            for a, b in self.pairs:
                if any((b, at + 1) in ends for at in starts.get(a, ())):
                    paired += weights[a] + weights[b]
        window_share = best / self.total
        pair_share = paired / self.pair_total if self.pair_total else 0.0
        return (window_share + pair_share) / 2.0


def _occurrences(folded: str, words: Iterable[str]) -> list[tuple[int, str]]:
    """``(number, word)`` of every whole-word occurrence of *words* in *folded*, in text order.

    A syllable's number is the count of spaces before it: the stored text is normalised
    (index/article.py), its words one space apart, punctuation held to them.  Finding each
    word with ``str.find`` and counting spaces between the finds costs 40 us an article body,
    where numbering every syllable (``re.findall``) cost 100: the second stage reads 30
    bodies a question.
    """
    starts = []
    end_of_text = len(folded)
    for word in words:
        at = folded.find(word)
        while at >= 0:
            end = at + len(word)
            if (at == 0 or not folded[at - 1].isalnum()) and (end == end_of_text or not folded[end].isalnum()):
                starts.append((at, word))
            at = folded.find(word, end)
    starts.sort()
    found, number, last = [], 0, 0
    for at, word in starts:
        number += folded.count(" ", last, at)
        last = at
        found.append((number, word))
    return found


def rescore(
    evaluation: Evaluation, question: Question, docs: np.ndarray, body: Callable[[int], str], weight: float
) -> Evaluation:
    """*evaluation* with the scores of *docs* (its first articles by relevance) multiplied by
    ``1 + weight x`` their evidence for *question*; ``body(doc)``: the article's body folded
    letter for letter."""
    scores = evaluation.scores.copy()
    for doc in docs.tolist():
        scores[doc] *= np.float32(1.0 + weight * question.evidence(body(doc)))
    return replace(evaluation, scores=scores)
