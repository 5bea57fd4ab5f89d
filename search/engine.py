"""Query evaluation: which articles match, and how well, as vectorised array operations.

Matching (what counts towards ``total``):

* a short query (at most ``search.all_words_up_to`` words) must match every
  word, through the folded view, so ``dan van`` and ``dân vận`` match the same
  articles, but for a short question's question words (``Bệnh Madelung là gì``:
  :mod:`search.interrogatives`, :attr:`Evaluation.optional`); a longer one (a reader's
  question), or a short question ending in ``?``, matches articles that hold a fair share
  of its words;
* a quoted phrase or ``name:`` must match exactly: the syllables side by side
  in one field, with the diacritics the user typed (tone placement ignored);
* ``OR`` groups, ``-`` exclusions, ``field:`` restrictions and ``*`` prefixes
  do what they say.

Ranking, as Meilisearch's ranking rules: named rules in a declared order, each
putting the articles it holds before those it does not among articles equal on
every rule before it.  Each rule is one bit of ``Evaluation.tiers`` (the first
rule the highest bit), and results sort by the tier, then by ``score``, so no
score, however strong, crosses a rule:

1. ``EXACT_ACCENTS``: a query typed with diacritics: articles holding every word
   with exactly those diacritics come before articles that match only once folded;
2. ``PHRASE``: the whole query as a phrase (the words side by side, as typed)
   comes before the words scattered -- this puts the articles that name
   ``Nguyễn Văn Phong`` above those that merely hold the three syllables (not
   for words ORed together, which are alternatives, not a phrase).  A query that is a
   person's name (``name=True``: the searcher's :func:`search.counting.looks_like_name`)
   holds as a phrase only unbroken, as its count does: *hồ Tuyền Lâm, Đà Lạt* does not
   name ``Lâm Đà Lạt``, nor does a line ending in *Triệu Vũ* followed by one starting *Sau*;
3. ``PHRASE_FIRST`` and ``PHRASE_SECOND``, within the phrase: for a query typed
   without diacritics that restores to one word (pyvi's ``dân_vận``,
   ``Nguyễn_Văn_Phong``), the restored reading comes first (``dan van`` is *dân
   vận*; a title holding *người dân vẫn* holds other words), then the phrase in
   the title.  A query of several words is more likely a piece of a headline, and
   its reading a guess among equals (``thuc day qua``: *thúc đẩy quá* or *thức dậy
   quá*), so there the title comes first and the reading second.  Neither puts an
   article with other diacritics out of the phrase: ``pham the hien`` may mean
   Phạm Thế Hiển or Phạm Thế Hiền;
4. ``TITLE_ALL``: every word of the query in the title, once folded, in any order
   (Meilisearch's *attribute* rule): a headline half remembered, a word left out or
   its halves swapped, is no phrase, but its article is the one whose title holds
   everything the reader typed, where thousands of bodies hold the words scattered.
   It comes before the next rule: what was typed, in the title, is surer than a guess
   at its diacritics (``huyet ap may do`` read *máy do*: the title says *máy đo*);
5. ``READING_ALL``: a query typed without diacritics: its restored reading's
   syllables, anywhere;
6. ``TITLE_NEAR``, within a tier: of the titles holding every word (``TITLE_ALL``), those
   holding them near each other, within one syllable more than their number (each word's
   first place): a headline half remembered, a word left out or its halves swapped, before
   a title holding the words scattered (on 100,000 articles, a query of three common words
   has hundreds).  Not one of the ``tier`` bits (the API's numbers are a contract):
   :attr:`Evaluation.near`, the sort key after the tier (:func:`rank_keys`);
7. relevance (``score``): BM25F over title, summary, body, captions and author
   (the weights are settings), plus (when ``search.proximity_weight`` is set: off
   by default since the title rule made it worth little) a bonus for each pair of
   query syllables found next to each other, plus BM25 on pyvi's words of the
   query (a ranking signal only: pyvi does not segment folded or lower-case text
   reliably), plus half the BM25F of the syllables with their diacritics (for a
   long query, a syllable written so in over half of the articles counts by its
   folded lists).
   A long query typed with diacritics (a reader's question) is ordered by no rule, so
   there the weights swap (``LONG_FOLDED_EXACT``): the syllables as typed count whole, their
   folded forms half, which still finds a variant spelling or a typo (*chuẩn đoán*) but no
   longer lets *lưỡi* (tongue) answer a question about *lười* (lazy).
   A question's question words (*gì*, *như thế nào*: :mod:`search.interrogatives`) match
   but score nothing.  Its first articles by score are then re-scored by where its words stand
   together in their bodies (:mod:`search.passages`, a second stage applied by the searcher).

Scores are dense ``float32`` arrays over the index's documents; a term's BM25F is
kept, and added, in bytes (:mod:`search.impacts`), read ready from the index's impact views
(``impact``, ``impact_f``: :mod:`index.impacts`) where the index was built with this search's
ranking settings, else computed from the field lists; postings come from :mod:`search.postings`.
A ranking phrase of frequent syllables (the phrase rules, the adjacent pairs) is read from the
index's pair views (``<field>_p``) where it has them: a two-syllable phrase is one short list
instead of two long ones and every matched article's positions (:meth:`Evaluator._paired_phrase_counts`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection
from dataclasses import dataclass, field, replace

import numpy as np

from index.analysis import fold, has_diacritics, segment_words
from search.deadline import NONE, Deadline
from search.impacts import quantize, scale
from search.interrogatives import asking
from search.query import FIELDS, Clause, ParsedQuery
from search.segments import POSITION_BITS, IndexView
from search.snippets import Terms, prepare
from search.variants import other_spelling, spellings

COMMON_SHARE = 0.2  # a long query's syllables in more articles than this are not marked
EXACT_COMMON_SHARE = 0.5  # a long query's syllables in more articles than this: exactness from folded lists
DENSE_SHARE = 0.25  # a term's BM25F is kept for every article when in more than this share
# The weights of a syllable's folded and exact BM25F (see the module's docstring, 5.): in a long
# query typed with diacritics, which no rule orders by exactness, the form typed weighs most.
FOLDED_EXACT = (1.0, 0.5)
LONG_FOLDED_EXACT = (0.5, 1.0)
# The ranking rules, one bit each, the first rule the highest (see the module's docstring).
EXACT_ACCENTS = 32  # every syllable with the diacritics typed
PHRASE = 16  # the whole query side by side (accented when typed so)
PHRASE_FIRST = 8  # within the phrase: the restored reading of one word, else the title
PHRASE_SECOND = 4  # within the phrase: the title, else the restored reading
TITLE_ALL = 2  # every word in the title, folded, in any order
READING_ALL = 1  # the restored reading's syllables, anywhere
RULES = {
    EXACT_ACCENTS: "exact_accents",
    PHRASE: "phrase",
    PHRASE_FIRST: "phrase_first",
    PHRASE_SECOND: "phrase_second",
    TITLE_ALL: "title_all",
    READING_ALL: "reading_all",
}
WORD_FIELDS = ("title", "summary", "body", "captions")
_NO_DOCS = np.zeros(0, dtype=np.int64)
_NO_DOCS32 = np.zeros(0, dtype=np.int32)
_NO_IMPACTS = np.zeros(0, dtype=np.uint8)
PROXIMITY_FIELDS = ("title", "summary", "body", "captions")


def idf(documents: int, holding: int) -> float:
    """BM25's inverse document frequency of a term *holding* of *documents* hold (Lucene's, never
    negative)."""
    return math.log(1.0 + (documents - holding + 0.5) / (holding + 0.5))


@dataclass
class Weights:
    """Ranking settings (``[search]`` in config.toml)."""

    fields: dict[str, float]
    words: float = 0.5
    proximity: float = 0.0  # off by default: see search.proximity_weight
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
    scores: np.ndarray  # float32 relevance, meaningful where matched: orders documents of one tier
    tiers: np.ndarray | None = None  # uint8 ranking-rule bits (the higher first); None: all 0
    near: np.ndarray | None = None  # bool: the TITLE_NEAR rule, within a tier (see rank_keys)
    relaxed: bool = False  # not every word could be required
    optional: frozenset[int] = frozenset()  # numbers of the groups not required: a short question's question words
    terms: Terms = field(default_factory=lambda: prepare({}))  # what to mark in the text: see highlight_terms()
    title_terms: Terms = field(default_factory=lambda: prepare({}))  # and in the title
    # A long query's folded syllables in order, None at its question words: what the second
    # stage (search/passages.py) looks for in the first articles' bodies.  None: not a question.
    question: tuple[str | None, ...] | None = None


@dataclass
class _Phrases:
    whole: np.ndarray | None = None  # the query as a phrase
    title: np.ndarray | None = None  # ... in the title
    reading: np.ndarray | None = None  # its restored reading (typed without diacritics) as a phrase


@dataclass
class _Query:
    """What the ranking rules of one query share, each part found once (by the first rule that
    needs it)."""

    sequence: list[str]  # the query's syllables, prefixes left out
    phrased: bool  # no OR-ed alternatives: the syllables may stand side by side
    typed_accents: bool
    accented: list[str] | None  # as typed with diacritics, or the restored reading, or None
    reading: list[str] | None  # the restored reading of a query typed without diacritics
    one_word: bool  # that reading is one pyvi word (dân_vận, a name)
    fields: list[str]  # the text fields that weigh
    matched: np.ndarray
    title_words: list[str]  # folded, once each: the syllables of the clauses the title may hold
    present_all: np.ndarray | None = None  # every syllable of `accented` present, exactly
    phrases: _Phrases | None = None
    unbroken: bool = False  # a name: its phrase not across a sentence end, a comma or a line


class Evaluator:
    """Evaluates parsed queries against an :class:`IndexView`."""

    def __init__(
        self,
        view: IndexView,
        weights: Weights,
        deadline: Deadline = NONE,
        prefix_terms: int = 40,
    ):
        self.view = view
        self.w = weights
        self.deadline = deadline  # checked before each term and phrase is read
        self.prefix_terms = prefix_terms  # indexed words the prefixes of a query stand for, shared
        self.size = view.size
        self._scope: np.ndarray | None = None  # while ranking: the matched documents
        self._memo: dict[tuple, np.ndarray] = {}  # per query: presence masks
        self._prefixes = 1  # prefix clauses of the query being evaluated
        self._asks: set[int] = set()  # of the question being evaluated: its question words' positions
        self._asking: set[int] = set()  # and their clauses' ids (search.interrogatives)
        self._folded, self._exact = FOLDED_EXACT  # of the query being evaluated
        self._name = False  # the query being evaluated is a name: its phrase is unbroken
        self._unrequired: set[int] = set()  # a short question's question words' positions
        # The index's impact views (index/impacts.py): a term's BM25F over every field, computed
        # when indexing, where the index's ranking settings are these.
        params = view.impact_params
        self._impacts: dict[tuple, str] = (
            {_weighing(self.weighted(FIELDS, "_f")): "impact_f", _weighing(self.weighted(FIELDS)): "impact"}
            if params is not None and params.matches(weights.fields, weights.k1, weights.b)
            else {}
        )

    # --- building blocks --------------------------------------------------------------

    def _idf(self, df: int) -> float:
        return idf(max(self.view.live_count, 1), df)

    def bm25f(
        self,
        text: str,
        fields: list[tuple[str, float]],
        scores: np.ndarray,
        weight: float = 1.0,
        mask: np.ndarray | None = None,
    ) -> float:
        """Add ``weight`` x BM25F of *text* over weighted *fields* to *scores*; returns its idf.

        True BM25F: each field's frequency is length-normalised and weighted, the
        sum is saturated once, so a common word found in the title, the lead and
        the body is not counted three times over.  *mask*: set where the term is.
        """
        self.deadline.check()
        if weight == 0.0:  # where it is, no score (a question word)
            if mask is not None:
                mask |= self.holding(text, fields)
            return 0.0
        key = (text, tuple(fields), self.w.k1, self.w.b)
        found = self.view.contributions.get(key)
        if found is None:
            found = self._contribution(text, fields)
            self.view.contributions.put(key, found)
        if len(found) == 2:  # over most documents: kept for every document (see _contribution)
            impacts, idf = found
            scores += scale(impacts, float(idf[0]), self.w.k1, weight)
            if mask is not None:
                mask |= impacts > 0
            return float(idf[0])
        docs, impacts, idf = found
        if docs.size:
            at = docs.astype(np.intp)  # kept as int32 (half the memory); numpy indexes by intp
            scores[at] += scale(impacts, float(idf[0]), self.w.k1, weight)
            if mask is not None:
                mask[at] = True
        return float(idf[0])

    def _contribution(self, text: str, fields: list[tuple[str, float]]) -> tuple[np.ndarray, ...]:
        """``(docs, impact of each, [idf])`` of *text* over *fields*: its BM25F in bytes
        (:mod:`search.impacts`), remembered for the view: a reader's question holds words found
        in most questions (là, gì, của, như thế nào), and three in four of its terms had been
        scored by an earlier one.

        A term in over a quarter of the documents is kept as ``(impact in every document, 0
        where absent, [idf])``: at most the memory of listing them, and one whole-array
        addition instead of a scattered one, 7 us against 45-140 us on 10,000 articles (a
        question's common words: là, có, được)."""
        impact = self._impacts.get(_weighing(fields))
        if impact is not None:
            return self._impact(impact, text)
        present = [(name, w) for name, w in fields if w and self.view.term_docs(name, text)[0].size]
        if not present:
            return _NO_DOCS32, _NO_IMPACTS, np.zeros(1)
        k1 = self.w.k1
        if len(present) == 1:
            name, field_weight = present[0]
            hit, tf = self.view.term_tf(name, text, self.w.b)
            tf = tf * field_weight
            idf = self._idf(int(hit.size))
            return self._kept(hit, quantize(idf * tf * (k1 + 1.0) / (tf + k1), idf, k1), idf)
        pseudo = np.zeros(self.size, dtype=np.float32)
        for name, field_weight in present:
            self.view.add_tf(pseudo, name, text, self.w.b, field_weight)
        # Where the term is, as booleans: numpy finds the nonzero of a float array ten times
        # slower than of a boolean one (170-300 against 10-35 us over 100,000 articles).
        holding = pseudo != 0
        found = int(np.count_nonzero(holding))
        idf = self._idf(found)
        if found > DENSE_SHARE * self.size:
            # Whole-array arithmetic (0 where absent): listing the documents first cost a
            # quarter more on 100,000 articles, where most terms are new to the view.
            return quantize(idf * pseudo * (k1 + 1.0) / (pseudo + k1), idf, k1), np.array([idf])
        hit = np.flatnonzero(holding)
        tf = pseudo[hit]
        return hit.astype(np.int32), quantize(idf * tf * (k1 + 1.0) / (tf + k1), idf, k1), np.array([idf])

    def _impact(self, impact: str, text: str) -> tuple[np.ndarray, ...]:
        """:meth:`_contribution` from the index's *impact* view: the term's one list, its
        weights the impacts (the steps of search/impacts.py), its length the idf's document
        frequency (articles holding the term in any weighted field, as the field lists give it)."""
        docs, levels = self.view.term_docs(impact, text)
        if not docs.size:
            return _NO_DOCS32, _NO_IMPACTS, np.zeros(1)
        return self._kept(docs, levels.astype(np.uint8, copy=False), self._idf(int(docs.size)))

    def _kept(self, docs: np.ndarray, impacts: np.ndarray, idf: float) -> tuple[np.ndarray, ...]:
        """A term's scores as :meth:`_contribution` keeps them: listed, or over
        :data:`DENSE_SHARE` of the documents an impact for every document (0 where absent)."""
        if docs.size <= DENSE_SHARE * self.size:
            return docs, impacts, np.array([idf])
        dense = np.zeros(self.size, dtype=np.uint8)
        dense[docs.astype(np.intp)] = impacts
        return dense, np.array([idf])

    def holding(self, text: str, fields: list[tuple[str, float]]) -> np.ndarray:
        """Boolean mask of the documents holding *text* in any weighted field of *fields*."""
        present = np.zeros(self.size, dtype=bool)
        impact = self._impacts.get(_weighing(fields))
        if impact is not None:  # one list holds every field's articles
            self.view.mark(present, impact, text)
            return present
        for name, field_weight in fields:
            if field_weight:
                self.view.mark(present, name, text)
        return present

    def weighted(self, names, suffix: str = "") -> list[tuple[str, float]]:
        """``(view, weight)`` of the fields *names* (``body``; ``body_f`` with *suffix* ``_f``)."""
        return [(f"{name}{suffix}", self.w.fields[name]) for name in names]

    def phrase_counts(
        self, field: str, terms: list[str], candidates: np.ndarray, unbroken: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(docs, occurrences)`` of *terms* side by side in *field*, among *candidates*;
        *unbroken*: not across a sentence end, a comma or a line (an exact phrase)."""
        self.deadline.check()
        if not unbroken:
            paired = self._paired_phrase_counts(field, terms, candidates)
            if paired is not None:
                return paired
        keys = self.view.phrase_ends(field, terms, candidates)
        if unbroken:
            keys = self.view.unbroken(field, keys, len(terms))
        return _runs(keys >> POSITION_BITS)

    def _paired_phrase_counts(
        self, field: str, terms: list[str], candidates: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """:meth:`phrase_counts` through the pair view (``<field>_p``: each frequent folded
        syllable with the next): a phrase of two is its pair's list, and a longer one is
        walked only in the articles holding its frequent pairs.  None where the view holds
        none of the phrase's pairs, and for a longer phrase where the pair view keeps
        positions: :meth:`IndexView.phrase_ends` chains it from its pairs' lists."""
        if not field.endswith("_f") or (len(terms) > 2 and self.view.pair_positions):
            return None
        view, held = self.view.phrase_pairs(field, terms)
        if not held:
            return None
        pairs = [pair for _, pair in held]
        if len(terms) == 2:
            docs, counts = self.view.term_docs(view, pairs[0])
            keep = candidates.take(docs)
            return docs[keep].astype(np.int64), counts[keep].astype(np.int64)
        among = candidates.copy()
        for pair in dict.fromkeys(pairs):
            among &= self._present(view, pair)
            if not among.any():
                return _NO_DOCS, _NO_DOCS
        return _runs(self.view.phrase_ends(field, terms, among) >> POSITION_BITS)

    def _present(self, field: str, term: str) -> np.ndarray:
        """Boolean mask of the documents holding *term* in *field* (memoised per query)."""
        key = ("present", field, term)
        found = self._memo.get(key)
        if found is None:
            found = np.zeros(self.size, dtype=bool)
            self.view.mark(found, field, term)
            if self._scope is not None:
                self._memo[key] = found
        return found

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
            share = max(1, self.prefix_terms // self._prefixes)  # as Elasticsearch counts expansions as clauses
            expansions = self.view.expand_prefix([f"{name}_f" for name in fields], folded, share)
            weight = 1.0 / max(1, len(expansions)) ** 0.5
            for term in expansions:
                self.bm25f(term, self.weighted(fields, "_f"), scratch, weight, mask)
            return mask
        if len(syllables) == 1:
            syllable = syllables[0]
            asked = id(clause) in self._asking
            if exact_accents:
                weight = 0.0 if asked else 1.0
                self.bm25f(syllable, self.weighted(fields), scratch, weight, mask)
            else:
                weight = 0.0 if asked else self._folded
                self.bm25f(fold(syllable), self.weighted(fields, "_f"), scratch, weight, mask)
            return mask
        # Several syllables: they must stand side by side within one field.  Scored
        # as BM25F of the phrase taken as one term (its own frequency and idf).
        within = candidates if candidates is not None else self.view.live
        pseudo = np.zeros(self.size, dtype=np.float32) if scores is not None else None
        for name in fields:
            view_field, terms = (name, syllables) if exact_accents else (f"{name}_f", [fold(s) for s in syllables])
            docs, counts = self.phrase_counts(view_field, terms, within, unbroken=clause.exact)
            if docs.size == 0:
                continue
            mask[docs] = True
            if pseudo is not None:
                norm = self.view.norms(view_field, self.w.b)[docs]
                pseudo[docs] += self.w.fields[name] * counts / norm
        if pseudo is not None and mask.any():
            hit = np.flatnonzero(mask)
            tf = pseudo[hit]
            scores[hit] += self._idf(int(hit.size)) * tf * (self.w.k1 + 1.0) / (tf + self.w.k1)
        return mask

    # --- the whole query ----------------------------------------------------------------

    def evaluate(
        self,
        query: ParsedQuery,
        filters: np.ndarray | None = None,
        reading: list[str] | None = None,
        name: bool = False,
    ) -> Evaluation:
        """Match and score *query*; *filters* restricts the documents; *reading* is an
        accented reading of a query typed without diacritics (accent restoration), used
        to rank its exact matches first; *name*: the query is a person's name, whose phrase
        is unbroken (see the module's docstring, rule 2)."""
        self._name = name
        try:
            return self._evaluate(query, filters, reading)
        finally:
            self._asks, self._asking, self._name, self._unrequired = set(), set(), False, set()

    def _evaluate(self, query: ParsedQuery, filters: np.ndarray | None, reading: list[str] | None) -> Evaluation:
        allowed = self.view.live.copy()
        if filters is not None:
            allowed &= filters
        self._prefixes = max(1, sum(c.prefix for c in [*query.clauses, *query.excluded]))
        for clause in query.excluded:
            allowed &= ~self.clause_mask(clause, None)
        scores = np.zeros(self.size, dtype=np.float32)
        tiers = np.zeros(self.size, dtype=np.uint8)
        many = len(query.positive_syllables()) > self.w.all_words_up_to
        # A short question's question words are not required (``Bệnh Madelung là gì``: the article
        # about it need not hold *gì*); a long question's count towards the share it must hold.
        # A long question's score nothing; a short one's still do (a headline may hold them).
        asks = _asking(query, reading)
        optional = set() if many else _optional_groups(query, asks)
        # A short question ending in its question mark (``Trà xanh có tác dụng gì?``) is asked as a
        # long one: matched by a share of its words (the article need not hold *có*), ranked by
        # relevance and its passages.  Without the mark it may be a headline holding a question
        # word (``dòm gì thế``), which the rules find: every one of them in the title.
        long_query = many or (bool(optional) and query.text.rstrip().endswith("?"))
        if long_query:
            optional = set()
        self._asks = asks if long_query else set()
        self._unrequired = asks if optional else set()
        self._folded, self._exact = LONG_FOLDED_EXACT if long_query and query.accented else FOLDED_EXACT
        self._asking = _asking_clauses(query, self._asks)
        if query.is_empty:
            return Evaluation(matched=allowed, scores=scores)

        # Required groups (quoted, name:) first, each narrowing where the next looks for its
        # phrase: "của và" "và có" read the second phrase's positions only in the articles
        # holding the first, not in every article holding both syllables.
        within = allowed.copy()
        for group in query.groups:  # and a quoted phrase can only be where all its syllables are
            if len(group) == 1 and group[0].exact and not group[0].alternatives and not group[0].prefix:
                for syllable in {fold(s) for s in group[0].syllables}:
                    holding = np.zeros(self.size, dtype=bool)
                    for name in self._fields(group[0]):
                        self.view.mark(holding, f"{name}_f", syllable)
                    within &= holding
        group_masks: list[np.ndarray] = [_NO_DOCS] * len(query.groups)
        order = sorted(range(len(query.groups)), key=lambda i: not any(c.exact for c in query.groups[i]))
        for number in order:
            group = query.groups[number]
            combined = np.zeros(self.size, dtype=bool)
            for clause in group:
                combined |= self.clause_mask(clause, scores, within)
            group_masks[number] = combined
            if any(c.exact for c in group):
                within &= combined

        # Exact clauses (quoted, name:) are always required; plain words are required
        # while the query is short, and a share of them once it is long.
        exact = [m for g, m in zip(query.groups, group_masks, strict=True) if any(c.exact for c in g)]
        loose = [
            m
            for number, (g, m) in enumerate(zip(query.groups, group_masks, strict=True))
            if not any(c.exact for c in g) and number not in optional
        ]
        matched = allowed.copy()
        for mask in exact:
            matched &= mask
        relaxed = False
        if loose:
            # Count syllables, not clauses: a phrase that helpers merged from several
            # words (an abbreviation's long form) must not turn a question into a short query.
            words = sum(
                len(c.syllables)
                for number, g in enumerate(query.groups)
                if not any(c.exact for c in g) and number not in optional
                for c in g[:1]
            )
            if words <= self.w.all_words_up_to and not long_query:
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

        if not matched.any() and exact and long_query:
            # A reader's question quoting something nobody wrote exactly: fall back to
            # its words rather than show nothing.  A short exact search stays exact.
            loosened = ParsedQuery(
                groups=[words for g in query.groups for words in _loosened(g)],
                excluded=query.excluded,
                text=query.text,
                truncated=query.truncated,
            )
            fallback = self._evaluate(loosened, filters, reading)
            fallback.relaxed = True
            return fallback
        self._scope, self._memo = matched, {}
        try:
            # Words ORed together past a short query's length (thirty alternatives) are ranked as
            # a question is: by relevance alone, exactness a score, not a rule needing every
            # alternative's exact lists.
            ored = any(sum(not c.prefix for c in group) > 1 for group in query.groups)
            by_rules = not relaxed and not (ored and long_query)
            near = self._rank(query, matched, scores, tiers if by_rules else None, reading)
        finally:
            self._scope, self._memo = None, {}
        # A long query (a question) holds words found everywhere (là, có, của): marking
        # them all would bury the words that matter, so only the rarer ones are marked.
        common = self._common_syllables(query) if long_query else set()
        return Evaluation(
            matched=matched,
            scores=scores,
            tiers=tiers,
            near=near,
            relaxed=relaxed,
            optional=frozenset(optional),
            # Prepared here, once for every hit of every page of this evaluation.
            terms=prepare(highlight_terms(query, reading, skip=common)),
            title_terms=prepare(highlight_terms(query, reading, "title", skip=common)),
            question=self._question(query) if long_query and not ored else None,
        )

    def _question(self, query: ParsedQuery) -> tuple[str | None, ...]:
        """*query*'s syllables (prefixes left out), folded, None at its question words."""
        sequence = [s for c in query.clauses if not c.prefix for s in c.syllables]
        return tuple(None if at in self._asks else fold(s).lower() for at, s in enumerate(sequence))

    def _common_syllables(self, query: ParsedQuery) -> set[str]:
        """Folded syllables of *query* found in more than a fifth of the articles."""
        limit = COMMON_SHARE * max(self.view.live_count, 1)
        # From the term table: reading a common syllable's whole list only to count it was a
        # third of a millisecond of a question on 100,000 articles, where its scores are remembered.
        return {
            f for f in {fold(s) for s in query.positive_syllables()} if self.view.doc_frequency("body_f", f) > limit
        }

    def _share(self, masks: list[np.ndarray], at_least: int) -> np.ndarray:
        hits = np.zeros(self.size, dtype=np.int16)
        for mask in masks:
            hits += mask
        return hits >= at_least

    def _rank(
        self,
        query: ParsedQuery,
        matched: np.ndarray,
        scores: np.ndarray,
        tiers: np.ndarray | None,
        reading: list[str] | None,
    ) -> np.ndarray | None:
        """Set the ranking rules' bits in *tiers* (each rule of :data:`RULE_STEPS` in order) and
        add relevance to *scores*; return the ``TITLE_NEAR`` rule's articles, or None.  Without
        *tiers* (a long query, where no article is expected to hold every word), exactness and
        phrases only score."""
        sequence = [s for c in query.clauses if not c.prefix for s in c.syllables]
        if not matched.any() or not sequence:
            return None
        typed_accents = query.accented
        if reading and (typed_accents or len(reading) != len(sequence)):
            reading = None
        # pyvi's words of the restored reading: a rule's test below, and a ranking signal.
        reading_words = segment_words(" ".join(reading)) if reading else []
        q = _Query(
            sequence=sequence,
            # OR-ed words are not a phrase: the phrase rules and the adjacent pairs would read
            # every alternative's positions in every article holding any of them.  (A word being
            # typed, ORed with its prefix, is one word.)
            phrased=all(sum(not c.prefix for c in group) <= 1 for group in query.groups),
            typed_accents=typed_accents,
            accented=sequence if typed_accents else reading,
            reading=reading,
            one_word=bool(reading) and _one_word(reading, reading_words),
            unbroken=self._name,
            fields=[f for f in FIELDS if self.w.fields.get(f)],
            matched=matched,
            title_words=list(
                dict.fromkeys(
                    fold(s) for c in query.clauses if not c.prefix and c.field in (None, "title") for s in c.syllables
                )
            ),
        )
        # Relevance, in the order its float32 sums have always been taken: exact diacritics
        # (or the restored reading's), adjacent pairs, pyvi's words.
        if q.accented:
            common: set[str] = set()
            if tiers is None:
                # A long query only scores exactness (no rule needs every syllable): a syllable
                # written so in over half of the articles (là, của, được) is scored by the folded
                # lists its word already read, not by five exact lists of its own: a fifth off a
                # question's time on 100,000 articles, for 0.001 of MRR@10 (BENCHMARKS.md).
                limit = EXACT_COMMON_SHARE * max(self.view.live_count, 1)
                common = {s for s in q.accented if self.view.doc_frequency("body", s) > limit}
            q.present_all = self._all_present(
                q.accented, q.fields, matched, scores, common, self._asks, self._unrequired
            )
        near = None
        if tiers is not None:
            for bit, rule in RULE_STEPS:
                holding = rule(self, q)
                if holding is not None:
                    tiers[holding] |= bit
                    if bit == TITLE_ALL:
                        near = self.title_near(q, holding)
            # Long queries (questions) skip it: it cost a third of their time and changed
            # nothing measurable (MRR@10 of the dev questions equal to three decimals).
            if len(sequence) > 1 and self.w.proximity and q.phrased:
                self._proximity(sequence, matched, scores)
        if self.w.words and q.accented:  # pyvi words of the query, as typed (capitals help pyvi) or restored
            words = segment_words(" ".join(c.raw for c in query.clauses)) if typed_accents else reading_words
            asked = {q.accented[i].lower() for i in self._asks} if q.accented else set()
            # In the query's order, not a set's: float32 sums taken in another order differ in
            # their last bits, and a set's order changes from one process to the next.
            for word in dict.fromkeys(w for w in words if "_" in w and not set(w.lower().split("_")) <= asked):
                self.bm25f(word, self.weighted(WORD_FIELDS, "_w"), scores, self.w.words)
        return near

    # --- the ranking rules, one step each (RULE_STEPS gives their order) ------------------------

    def exact_accents(self, q: _Query) -> np.ndarray | None:
        """A query typed with diacritics: articles holding every syllable exactly so."""
        return q.present_all if q.typed_accents else None

    def phrase(self, q: _Query) -> np.ndarray | None:
        """The whole query side by side (with the diacritics typed, if any)."""
        return self._phrases(q).whole

    def phrase_first(self, q: _Query) -> np.ndarray | None:
        """Within the phrase: the restored reading of a one-word query, else the title."""
        phrases = self._phrases(q)
        return phrases.reading if q.one_word else phrases.title

    def phrase_second(self, q: _Query) -> np.ndarray | None:
        """Within the phrase: the title of a one-word query, else the restored reading."""
        phrases = self._phrases(q)
        return phrases.title if q.one_word else phrases.reading

    def reading_all(self, q: _Query) -> np.ndarray | None:
        """A query typed without diacritics: its restored reading's syllables, anywhere."""
        return q.present_all if not q.typed_accents else None

    def title_all(self, q: _Query) -> np.ndarray | None:
        """Every word of the query in the title, once folded, in any order (not for words ORed
        together, which are alternatives, nor for a clause asked of another field)."""
        if not q.title_words or not q.phrased or "title" not in q.fields:
            return None
        held = q.matched.copy()
        for syllable in q.title_words:  # titles are short: their lists are short too
            held &= self._present("title_f", syllable)
        return held

    def title_near(self, q: _Query, titled: np.ndarray) -> np.ndarray | None:
        """Of the articles *titled* (``TITLE_ALL``: every word of the query in the title), those
        whose title holds every word within one syllable more than their number of each other,
        by each word's first place; None for a query of one word (where it is the title rule).
        The title lists of the titled articles' words are short, and were just read."""
        words = q.title_words
        if len(words) < 2 or not titled.any():
            return None
        firsts = []
        for found in self.view.term_keys([("title_f", word) for word in words], titled):
            docs = found >> POSITION_BITS
            starts = np.flatnonzero(np.concatenate(([True], docs[1:] != docs[:-1])))
            firsts.append((docs[starts], found[starts] & ((1 << POSITION_BITS) - 1)))
        if len({docs.size for docs, _ in firsts}) != 1:
            return None  # a title view that disagrees with the title rule's: no order made up
        places = np.stack([at for _, at in firsts])
        near = np.zeros(self.size, dtype=bool)
        near[firsts[0][0][places.max(axis=0) - places.min(axis=0) <= len(words)]] = True
        return near

    def _phrases(self, q: _Query) -> _Phrases:
        """The articles holding the query as a phrase, in the title, and as its restored
        reading: found once per query, for the phrase rules."""
        if q.phrases is not None:
            return q.phrases
        q.phrases = found = _Phrases()
        if len(q.sequence) < 2 or not q.phrased:
            return found
        fields, matched = q.fields, q.matched
        # A phrase with diacritics is a phrase without them too, at the same positions, and in
        # the same field: the exact views' positions are decoded only where the folded phrase is
        # (a few articles, where the matched ones can be thousands), and only in the fields where
        # it is (a name is seldom in a caption or a byline: their lists are not read at all).
        unbroken = q.unbroken
        if q.typed_accents:
            forms = [q.sequence, *spellings(q.sequence)]  # kĩ thuật / kỹ thuật: each counts as the phrase
            where: dict[str, np.ndarray] = {}
            for form in forms:
                for name, docs in self._folded_phrase([fold(s) for s in form], fields, matched, unbroken).items():
                    where[name] = docs if name not in where else where[name] | docs
            found.whole, found.title = self._accented_phrase(forms, where, unbroken)
            return found
        where = self._folded_phrase([fold(s) for s in q.sequence], fields, matched, unbroken)
        found.whole = np.zeros(self.size, dtype=bool)
        for docs in where.values():
            found.whole |= docs
        found.title = where.get("title", np.zeros(self.size, dtype=bool))
        if q.reading and where:
            found.reading, _ = self._accented_phrase([q.reading], where, unbroken)
        return found

    def _folded_phrase(
        self, folded: list[str], fields: list[str], candidates: np.ndarray, unbroken: bool = False
    ) -> dict[str, np.ndarray]:
        """Documents holding the folded syllables *folded* side by side, by field (those with any);
        *unbroken*: not across a sentence end, a comma or a line, looked for only in the documents
        holding the phrase (a name's: a few, where the matched ones can be thousands)."""
        found = {}
        for name in fields:
            docs, _ = self.phrase_counts(f"{name}_f", folded, candidates)
            if docs.size and unbroken:
                holding = np.zeros(self.size, dtype=bool)
                holding[docs] = True
                docs, _ = self.phrase_counts(f"{name}_f", folded, holding, unbroken=True)
            if docs.size:
                found[name] = np.zeros(self.size, dtype=bool)
                found[name][docs] = True
        return found

    def _accented_phrase(
        self, forms: list[list[str]], where: dict[str, np.ndarray], unbroken: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Documents holding any of *forms* (with their diacritics) side by side, anywhere and
        in the title, looked for in each field only where *where* says its folded form is;
        *unbroken* as :meth:`_folded_phrase`'s."""
        whole = np.zeros(self.size, dtype=bool)
        title = np.zeros(self.size, dtype=bool)
        for name, candidates in where.items():
            for form in forms:
                docs, _ = self.phrase_counts(name, form, candidates, unbroken)
                whole[docs] = True
                if name == "title":
                    title[docs] = True
        return whole, title

    def _all_present(
        self,
        syllables: list[str],
        fields: list[str],
        matched: np.ndarray,
        scores: np.ndarray,
        folded: Collection[str] = (),
        asks: Collection[int] = (),
        unrequired: Collection[int] = (),
    ) -> np.ndarray:
        """Documents holding every syllable with its diacritics; their BM25 adds to *scores*.
        The syllables of *folded* are scored by their folded lists instead (see :meth:`_rank`),
        those at the positions *asks* (a long question's question words) neither scored nor
        required, those at *unrequired* (a short question's) scored but not required."""
        everywhere = matched.copy()
        for at, syllable in enumerate(syllables):
            if at in asks:
                continue
            weight = self._exact  # exact diacritics also score (FOLDED_EXACT)
            present = np.zeros(self.size, dtype=bool) if at not in unrequired else None
            if syllable in folded:
                self.bm25f(fold(syllable), self.weighted(fields, "_f"), scores, weight, present)
                continue
            self.bm25f(syllable, self.weighted(fields), scores, weight, present)
            twin = other_spelling(syllable)  # lý / lí: either spelling is exact
            if twin is not None:
                self.bm25f(twin, self.weighted(fields), scores, weight, present)
            if present is not None:
                everywhere &= present
        return everywhere

    def _proximity(self, sequence: list[str], matched: np.ndarray, scores: np.ndarray) -> None:
        folded = [fold(s) for s in sequence]
        for a, b in itertools.pairwise(folded):
            idf = 0.5 * (
                self._idf(self.view.doc_frequency("body_f", a)) + self._idf(self.view.doc_frequency("body_f", b))
            )
            for name in PROXIMITY_FIELDS:
                docs, counts = self.phrase_counts(f"{name}_f", [a, b], matched)
                if docs.size:
                    scores[docs] += (self.w.proximity * self.w.fields[name] * idf) * np.minimum(counts, 3) / 3.0


# The ranking rules in their order, as Meilisearch's: the bit each sets in Evaluation.tiers
# (the higher bit first) and its step (see the module's docstring).
RULE_STEPS = (
    (EXACT_ACCENTS, Evaluator.exact_accents),
    (PHRASE, Evaluator.phrase),
    (PHRASE_FIRST, Evaluator.phrase_first),
    (PHRASE_SECOND, Evaluator.phrase_second),
    (TITLE_ALL, Evaluator.title_all),
    (READING_ALL, Evaluator.reading_all),
)
assert [bit for bit, _ in RULE_STEPS] == sorted(RULES, reverse=True)


def rank_keys(evaluation: Evaluation, docs: np.ndarray) -> np.ndarray | None:
    """The leading sort key of *docs* by relevance: the tier, then ``TITLE_NEAR`` within it
    (None: no rule ranks the query)."""
    if evaluation.tiers is None:
        return None
    keys = evaluation.tiers[docs].astype(np.uint16) << 1
    if evaluation.near is not None:
        keys |= evaluation.near[docs]
    return keys


def highlight_terms(
    query: ParsedQuery, reading: list[str] | None = None, part: str = "text", skip: set[str] | None = None
) -> dict:
    """What to mark in the title (*part* ``"title"``) or the text (``"text"``: summary,
    body, captions): accented and folded syllables, phrases, prefixes.  A clause
    restricted to another field (``author:``) marks nothing here; single syllables
    whose folded form is in *skip* are not marked (phrases still are)."""
    own = {"title": ("title",), "text": ("summary", "body", "captions")}[part]
    skip = skip or set()
    accented, folded, prefixes, phrases = set(), set(), set(), []
    for clause in query.clauses:
        if clause.field and clause.field not in own:
            continue
        for variant in [clause.syllables, *clause.alternatives]:
            if clause.prefix:
                prefixes.add(fold(variant[-1]))
                continue
            if len(variant) == 1 and fold(variant[0]) in skip:
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


def _weighing(fields) -> tuple[tuple[str, float], ...]:
    """The fields of a ``(name, weight)`` list that weigh: the key of an impact view."""
    return tuple((name, weight) for name, weight in fields if weight)


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_counts=True)`` for sorted *values*, without sorting again."""
    if values.size == 0:
        return values, values
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    return values[starts], np.diff(np.append(starts, values.size))


def _loosened(group: list[Clause]) -> list[list[Clause]]:
    """A group of a query whose exact clauses found nothing, as words: a quoted phrase
    becomes its syllables, each a word of its own (reading the positions of a dozen
    phrases of common syllables in every article was most of the cost of such a query)."""
    if len(group) == 1 and group[0].exact and len(group[0].syllables) > 1 and not group[0].prefix:
        clause = group[0]
        return [
            [replace(clause, syllables=[s], raw=s, phrase=False, exact=False, alternatives=[])]
            for s in clause.syllables
        ]
    return [[replace(c, exact=False) for c in group]]


def _word_clauses(query: ParsedQuery) -> list[tuple[Clause, int]]:
    """The one-syllable word clauses of *query* (not quoted, not prefixes), each with the position
    of its syllable among the query's syllables (prefixes left out, as in ``_Query.sequence``)."""
    found, at = [], 0
    for clause in query.clauses:
        if clause.prefix:
            continue
        if len(clause.syllables) == 1 and not clause.exact:
            found.append((clause, at))
        at += len(clause.syllables)
    return found


def _asking_clauses(query: ParsedQuery, asks: Collection[int]) -> set[int]:
    """Ids of *query*'s one-word clauses at the positions *asks* (its question words)."""
    return {id(clause) for clause, at in _word_clauses(query) if at in asks}


def _optional_groups(query: ParsedQuery, asks: Collection[int]) -> set[int]:
    """Numbers of *query*'s groups that are its question words (*asks*: search/interrogatives.py),
    which a short query does not require; none where nothing else is asked."""
    asking = _asking_clauses(query, asks)
    if not asking:
        return set()
    found = {number for number, group in enumerate(query.groups) if all(id(c) in asking for c in group)}
    return found if len(found) < len(query.groups) else set()


def _asking(query: ParsedQuery, reading: list[str] | None) -> set[int]:
    """Positions of *query*'s question words, found on its syllables as typed with diacritics or
    on the restored *reading* of a query typed without them (search/interrogatives.py)."""
    sequence = [s for c in query.clauses if not c.prefix for s in c.syllables]
    accented = sequence if query.accented else reading
    if not accented or len(accented) != len(sequence):
        return set()
    return asking(accented)


def _one_word(syllables: list[str], words: list[str]) -> bool:
    """Whether pyvi's *words* of *syllables* are a single word (``dân_vận``, a name)."""
    return len(words) == 1 and words[0].count("_") == len(syllables) - 1
