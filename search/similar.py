"""More like this: the articles most like a given one, by the index's own statistics.

The article's stored text is analysed as the index analysed it: pyvi words
(``dân_vận``, ``quy_chế``) and accented syllables, counted per field (a word in
the title counts as much as the title weight says).  Each term is weighted by
tf-idf against the index (a word most articles hold says nothing about this
one), the most distinctive words and syllables are kept (their weights
squared, so that the terms that set the article apart lead), and every article is
scored by BM25 on them through the search engine's own postings (the words'
view ``<field>_w`` and the syllables' view ``<field>``), the article itself
excluded.  Hits have the shape of search hits, snippets marking the shared
syllables.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict

import numpy as np

from index.analysis import segment_words, syllables
from search.engine import Evaluation, Evaluator, Weights
from search.segments import IndexView

WORDS = 25  # distinctive pyvi words kept
SYLLABLES = 15  # distinctive syllables kept (names and terms pyvi does not join)
SYLLABLE_WEIGHT = 0.4  # syllables back the words up, they do not lead
TEXT_FIELDS = ("title", "summary", "body", "captions")
MIN_TF = 2.0  # weighted count a term needs: twice in the body, or once in the title
COMMON = 0.3  # a term in more than this share of articles is not distinctive (idf does the rest)


def similar(
    view: IndexView, whoosh, weights: Weights, hit: Callable[[int, Evaluation], object], doc_id: str, limit: int
) -> list[dict] | None:
    """Hits (search-hit dicts, made by *hit*) for the *limit* articles of *view* (over Whoosh's
    searcher *whoosh*) most like *doc_id*; None if it is unknown."""
    docnum = next((d for d in whoosh.document_numbers(id=doc_id) if view.live[d]), None)
    if docnum is None:
        return None
    stored = whoosh.stored_fields(docnum)
    field_weights = weights.fields
    words: Counter[str] = Counter()
    sounds: Counter[str] = Counter()
    for field in TEXT_FIELDS:
        text = stored.get(field) or ""
        if not isinstance(text, str):
            text = "\n".join(text)
        if not text:
            continue
        for word in segment_words(text):
            if "_" in word:
                words[word] += field_weights[field]
        for syllable in syllables(text):
            if syllable.isalpha():  # numbers and dates are not what an article is about
                sounds[syllable] += field_weights[field]

    total = max(view.live_count, 1)
    chosen_words = _distinctive(words, lambda w: _df(view, "body_w", w) + _df(view, "title_w", w), total, WORDS)
    chosen_sounds = _distinctive(sounds, lambda s: _df(view, "body", s) + _df(view, "title", s), total, SYLLABLES)
    if not chosen_words and not chosen_sounds:
        return []

    evaluator = Evaluator(view, weights)
    scores = np.zeros(view.size, dtype=np.float32)
    word_fields = [(f"{field}_w", field_weights[field]) for field in TEXT_FIELDS]
    sound_fields = [(field, field_weights[field]) for field in TEXT_FIELDS]
    for word, weight in chosen_words:
        evaluator.bm25f(word, word_fields, scores, weight)
    for sound, weight in chosen_sounds:
        evaluator.bm25f(sound, sound_fields, scores, SYLLABLE_WEIGHT * weight)
    scores[docnum] = 0.0
    scores[~view.live] = 0.0
    candidates = np.flatnonzero(scores > 0)
    if candidates.size == 0:
        return []
    top = candidates[np.argsort(-scores[candidates], kind="stable")[:limit]]
    highlight = {
        "accented": {s for s, _ in chosen_sounds} | {p for w, _ in chosen_words for p in w.split("_")},
        "folded": set(),
        "prefixes": set(),
        "phrases": [],
    }
    evaluation = Evaluation(matched=scores > 0, scores=scores, terms=highlight)
    return [asdict(hit(int(d), evaluation)) for d in top.tolist()]  # type: ignore[call-overload]


def _df(view, field: str, term: str) -> int:
    return view.doc_frequency(field, term)


def _distinctive(counts: Counter, frequency, total: int, keep: int) -> list[tuple[str, float]]:
    """The *keep* terms of highest tf-idf that some other article holds, weighted 1 down to 0."""
    scored = []
    for term, tf in counts.items():
        if tf < MIN_TF:
            continue  # said once in passing: not what the article is about (and a lookup saved)
        df = frequency(term)
        if df < 2 or df > COMMON * total:  # only this article, or nearly every article
            continue
        scored.append((term, (1.0 + math.log(tf)) * math.log(total / df)))
    scored.sort(key=lambda item: -item[1])
    scored = scored[:keep]
    if not scored:
        return []
    # Squared: the few terms that set the article apart (dân_vận) lead, and the many
    # merely topical ones (công_tác, hội_nghị) cannot outvote them together.
    top = scored[0][1]
    return [(term, (weight / top) ** 2) for term, weight in scored]
