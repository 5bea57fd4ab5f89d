"""Query evaluation: which articles match, and how well, as vectorised array operations.

Matching (what counts towards ``total``):

* a short query (at most ``search.all_words_up_to`` words) must match every
  word, through the folded view, so ``dan van`` and ``dân vận`` match the same
  articles; a longer one (a reader's question) matches articles that hold a
  fair share of its words;
* a quoted phrase or ``name:`` must match exactly: the syllables side by side
  in one field, with the diacritics the user typed (tone placement ignored);
* ``OR`` groups, ``-`` exclusions, ``field:`` restrictions and ``*`` prefixes
  do what they say.

Ranking (``score``), highest first:

1. a query typed with diacritics: articles holding every word with exactly
   those diacritics come before articles that match only once folded
   (``TIER_ACCENTED``);
2. the whole query as a phrase (the words side by side, as typed) comes before
   the words scattered (``TIER_PHRASE``) -- this puts the articles that name
   ``Nguyễn Văn Phong`` above those that merely hold the three syllables;
3. within a tier, BM25F over title, summary, body, captions and author (the
   weights are settings), plus a bonus for each pair of query syllables found
   next to each other, plus BM25 on pyvi's words of the query (a ranking
   signal only: pyvi does not segment folded or lower-case text reliably).

Scores are dense ``float32`` arrays over the index's documents; postings come
from :mod:`search.postings`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from index.analysis import fold, has_diacritics, segment_words
from search.query import FIELDS, Clause, ParsedQuery
from search.segments import IndexView

TIER_ACCENTED = 2000.0
TIER_PHRASE = 1000.0
POSITION_BITS = 21  # positions below 2 million; keys are doc << 21 | position
WORD_FIELDS = ("title", "summary", "body", "captions")
PROXIMITY_FIELDS = ("title", "summary", "body", "captions")


@dataclass
class Weights:
    """Ranking settings (``[search]`` in config.toml)."""

    fields: dict[str, float]
    words: float = 0.5
    proximity: float = 1.0
    k1: float = 1.2
    b: float = 0.75
    all_words_up_to: int = 6
    min_share: float = 0.3  # share of a long query's words an article must hold

    @classmethod
    def from_config(cls, config) -> Weights:
        return cls(
            fields={
                "title": config["search.title_weight"],
                "summary": config["search.summary_weight"],
                "body": config["search.body_weight"],
                "captions": config["search.captions_weight"],
                "author": config["search.author_weight"],
            },
            words=config["search.words_weight"],
            proximity=config["search.proximity_weight"],
            k1=config["search.bm25_k1"],
            b=config["search.bm25_b"],
            all_words_up_to=config["search.all_words_up_to"],
        )


@dataclass
class Evaluation:
    """The outcome of a query over one index view."""

    matched: np.ndarray  # bool mask over documents
    scores: np.ndarray  # float32, meaningful where matched
    relaxed: bool = False  # not every word could be required
    terms: dict = field(default_factory=dict)  # what to highlight: see highlight_terms()


class Evaluator:
    """Evaluates parsed queries against an :class:`IndexView`."""

    def __init__(self, view: IndexView, weights: Weights):
        self.view = view
        self.w = weights
        self.size = view.size

    # --- building blocks --------------------------------------------------------------

    def _idf(self, df: int) -> float:
        n = max(self.view.live_count, 1)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def bm25(self, field: str, text: str, scores: np.ndarray, weight: float, mask: np.ndarray | None = None) -> float:
        """Add ``weight`` x BM25 of *text* in *field* to *scores*; marks *mask*; returns the idf."""
        docs, freqs = self.view.term_docs(field, text)
        if docs.size == 0:
            return 0.0
        idf = self._idf(int(docs.size))
        lengths = self.view.lengths(field)[docs]
        norm = self.w.k1 * (1.0 - self.w.b + self.w.b * lengths / self.view.average_length(field))
        scores[docs] += (weight * idf) * freqs * (self.w.k1 + 1.0) / (freqs + norm)
        if mask is not None:
            mask[docs] = True
        return idf

    def docs_with(self, field: str, text: str) -> np.ndarray:
        docs, _ = self.view.term_docs(field, text)
        return docs

    def phrase_counts(self, field: str, terms: list[str], candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(docs, occurrences)`` of *terms* side by side in *field*, among *candidates*."""
        keys = None
        for i, term in enumerate(terms):
            owners, positions = self.view.term_positions(field, term)
            if owners.size == 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
            keep = candidates[owners]
            if keys is not None:
                # Only documents still in the running can hold the phrase.
                alive = np.zeros(self.size, dtype=bool)
                alive[keys >> POSITION_BITS] = True
                keep &= alive[owners]
            starts = positions[keep].astype(np.int64) - i
            valid = starts >= 0
            term_keys = (owners[keep][valid] << POSITION_BITS) | starts[valid]
            keys = term_keys if keys is None else np.intersect1d(keys, term_keys, assume_unique=True)
            if keys.size == 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        docs, counts = np.unique(keys >> POSITION_BITS, return_counts=True)
        return docs, counts

    def _fields(self, clause: Clause) -> tuple[str, ...]:
        return (clause.field,) if clause.field else FIELDS

    # --- clauses -----------------------------------------------------------------------

    def clause_mask(
        self, clause: Clause, scores: np.ndarray | None, candidates: np.ndarray | None = None
    ) -> np.ndarray:
        """Documents that satisfy *clause*; adds its BM25F to *scores* when given."""
        mask = np.zeros(self.size, dtype=bool)
        for variant in [clause.syllables, *clause.alternatives]:
            mask |= self._variant_mask(clause, variant, scores, candidates)
        return mask

    def _variant_mask(self, clause: Clause, syllables: list[str], scores, candidates) -> np.ndarray:
        fields = self._fields(clause)
        exact_accents = clause.exact and any(has_diacritics(s) for s in syllables)
        scratch = scores if scores is not None else np.zeros(self.size, dtype=np.float32)
        mask = np.zeros(self.size, dtype=bool)
        if clause.prefix and len(syllables) == 1:
            folded = fold(syllables[0])
            for name in fields:
                expansions = self.view.expand_prefix(f"{name}_f", folded)
                for term in expansions:
                    self.bm25(f"{name}_f", term, scratch, self.w.fields[name] / max(1, len(expansions)) ** 0.5, mask)
            return mask
        if len(syllables) == 1:
            syllable = syllables[0]
            for name in fields:
                if exact_accents:
                    self.bm25(name, syllable, scratch, self.w.fields[name], mask)
                else:
                    self.bm25(f"{name}_f", fold(syllable), scratch, self.w.fields[name], mask)
            return mask
        # Several syllables: they must stand side by side within one field.
        within = candidates if candidates is not None else self.view.live
        for name in fields:
            view_field, terms = (name, syllables) if exact_accents else (f"{name}_f", [fold(s) for s in syllables])
            docs, counts = self.phrase_counts(view_field, terms, within)
            if docs.size == 0:
                continue
            mask[docs] = True
            if scores is not None:
                idf = sum(self._idf(int(self.docs_with(view_field, t).size)) for t in terms)
                scores[docs] += self.w.fields[name] * idf * counts * (self.w.k1 + 1) / (counts + self.w.k1)
        return mask

    # --- the whole query ----------------------------------------------------------------

    def evaluate(
        self, query: ParsedQuery, filters: np.ndarray | None = None, reading: list[str] | None = None
    ) -> Evaluation:
        """Match and score *query*; *filters* restricts the documents; *reading* is an
        accented reading of a query typed without diacritics (accent restoration), used
        to rank its exact matches first."""
        allowed = self.view.live.copy()
        if filters is not None:
            allowed &= filters
        for clause in query.excluded:
            allowed &= ~self.clause_mask(clause, None)
        scores = np.zeros(self.size, dtype=np.float32)
        if query.is_empty:
            return Evaluation(matched=allowed, scores=scores)

        clauses = query.clauses
        masks = [self.clause_mask(c, scores, allowed) for c in clauses]
        group_masks = []
        index = 0
        for group in query.groups:
            combined = np.zeros(self.size, dtype=bool)
            for _ in group:
                combined |= masks[index]
                index += 1
            group_masks.append(combined)

        # Exact clauses (quoted, name:) are always required; plain words are required
        # while the query is short, and a share of them once it is long.
        exact = [m for g, m in zip(query.groups, group_masks, strict=True) if any(c.exact for c in g)]
        loose = [m for g, m in zip(query.groups, group_masks, strict=True) if not any(c.exact for c in g)]
        matched = allowed.copy()
        for mask in exact:
            matched &= mask
        relaxed = False
        if loose:
            if len(loose) <= self.w.all_words_up_to:
                strict = matched.copy()
                for mask in loose:
                    strict &= mask
                if strict.any() or len(loose) == 1:
                    matched = strict
                else:
                    relaxed = True
                    matched &= self._share(loose, max(1, len(loose) - 1))
            else:
                relaxed = True
                matched &= self._share(loose, max(1, math.ceil(self.w.min_share * len(loose))))

        self._rank(query, matched, scores, reading)
        return Evaluation(matched=matched, scores=scores, relaxed=relaxed, terms=highlight_terms(query, reading))

    def _share(self, masks: list[np.ndarray], at_least: int) -> np.ndarray:
        hits = np.zeros(self.size, dtype=np.int16)
        for mask in masks:
            hits += mask
        return hits >= at_least

    def _rank(self, query: ParsedQuery, matched: np.ndarray, scores: np.ndarray, reading: list[str] | None) -> None:
        sequence = [s for c in query.clauses if not c.prefix for s in c.syllables]
        accented = reading if reading and not query.accented else (sequence if query.accented else None)
        if not matched.any() or not sequence:
            return
        text_fields = [f for f in FIELDS if self.w.fields.get(f)]

        # 1. Exact diacritics for every syllable typed with them.
        if accented:
            everywhere = matched.copy()
            bonus = np.zeros(self.size, dtype=np.float32)
            for syllable in accented:
                present = np.zeros(self.size, dtype=bool)
                for name in text_fields:
                    self.bm25(name, syllable, bonus, self.w.fields[name], present)
                everywhere &= present
            scores += bonus * 0.5  # diacritic matches also score within the tier
            scores[everywhere] += TIER_ACCENTED

        # 2. The whole query as a phrase, then 3. adjacent pairs.
        if len(sequence) > 1:
            phrase_terms = accented if accented and len(accented) == len(sequence) else None
            in_phrase = np.zeros(self.size, dtype=bool)
            for name in text_fields:
                if phrase_terms:
                    docs, _ = self.phrase_counts(name, phrase_terms, matched)
                else:
                    docs, _ = self.phrase_counts(f"{name}_f", [fold(s) for s in sequence], matched)
                in_phrase[docs] = True
            scores[in_phrase] += TIER_PHRASE
            if self.w.proximity:
                self._proximity(sequence, matched, scores)

        # 4. pyvi words of the query, as typed (capitals help pyvi) or as restored.
        if self.w.words and accented:
            source = " ".join(accented) if reading and not query.accented else " ".join(c.raw for c in query.clauses)
            for word in {w for w in segment_words(source) if "_" in w}:
                for name in WORD_FIELDS:
                    self.bm25(f"{name}_w", word, scores, self.w.words * self.w.fields[name])

    def _proximity(self, sequence: list[str], matched: np.ndarray, scores: np.ndarray) -> None:
        folded = [fold(s) for s in sequence]
        for a, b in zip(folded, folded[1:], strict=False):
            idf = 0.5 * (
                self._idf(int(self.docs_with("body_f", a).size)) + self._idf(int(self.docs_with("body_f", b).size))
            )
            for name in PROXIMITY_FIELDS:
                docs, counts = self.phrase_counts(f"{name}_f", [a, b], matched)
                if docs.size:
                    scores[docs] += (self.w.proximity * self.w.fields[name] * idf) * np.minimum(counts, 3) / 3.0


def highlight_terms(query: ParsedQuery, reading: list[str] | None = None) -> dict:
    """What the snippets should mark: accented and folded syllables, phrases, prefixes."""
    accented, folded, prefixes, phrases = set(), set(), set(), []
    for clause in query.clauses:
        for variant in [clause.syllables, *clause.alternatives]:
            if clause.prefix:
                prefixes.add(fold(variant[-1]))
                continue
            if clause.exact and any(has_diacritics(s) for s in variant):
                accented.update(variant)
            else:
                folded.update(fold(s) for s in variant)
                accented.update(s for s in variant if has_diacritics(s))
            if len(variant) > 1:
                phrases.append([fold(s) for s in variant])
    if reading:
        accented.update(s for s in reading if has_diacritics(s))
    return {"accented": accented, "folded": folded, "prefixes": prefixes, "phrases": phrases}
