"""What a count counts: a query read as one phrase, exact diacritics, and the spellings found.

A newsroom counts people and phrases.  Three readings make a count mean what
was typed, each applied by :class:`search.searcher.Searcher` above the engine:

* ``match=phrase`` (:func:`as_phrase`): a query typed without operators is one
  phrase, the syllables side by side in one field -- the engine's exact phrase
  clause, as if quoted, so ``nguyen van phong`` counts the articles naming the
  person, not every article holding the three syllables.  A query with quotes,
  ``name:``, ``author:``, ``field:``, ``OR``, ``-`` or ``*`` is taken as written.
* a query typed with diacritics (:func:`exact_mask`): the articles holding its
  accented syllables with those diacritics (tone placement and i/y aside) are
  what ``total`` counts when there are any; those matching only once folded
  are a remainder, counted apart.
* :func:`spellings_found`: how the articles holding a phrase typed without
  diacritics write it (``Nguyễn Văn Phong`` 33, ``Nguyễn Văn Phòng`` 2), read
  exactly from the accented views' positions where the folded phrase is.
* :func:`looks_like_name`: several capitalised syllables, or a phrase the
  index writes as a name (the reader's page then says how many hold it).
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from index.analysis import fold, has_diacritics
from search.engine import Evaluator
from search.occurrences import Occurrences
from search.query import FIELDS, Clause, ParsedQuery
from search.restore import accent_variants
from search.segments import POSITION_BITS, IndexView, contains
from search.variants import other_spelling

MATCHES = ("all", "phrase")  # what a query without operators means: all its words, or one phrase
DIACRITICS = ("exact", "any")  # what a query typed with diacritics counts
MAX_SPELLINGS = 12  # spellings listed; the rest are rare typos
MAX_SPELLED = 8  # syllables: a longer phrase is pasted text, not a name to tell apart (bounds the cost)
NAME_SYLLABLES = (2, 6)  # a person's name is two to six syllables
NAME_SAMPLE = 8  # sightings read to tell whether the index writes a phrase as a name
NAME_FIELDS = ("title", "summary", "captions")  # where they are read


def has_operators(parsed: ParsedQuery) -> bool:
    """Whether *parsed* uses the query language (quotes, fields, OR, -, *): then it is taken as written."""
    if parsed.excluded:
        return True
    return any(len(group) > 1 for group in parsed.groups) or any(c.exact or c.field or c.prefix for c in parsed.clauses)


def as_phrase(parsed: ParsedQuery) -> ParsedQuery | None:
    """*parsed* read as one exact phrase, or None when it has operators (or nothing to find).

    The engine's exact clause does the rest: folded when typed without diacritics,
    exact (tone placement aside) when typed with them, never across a field."""
    if parsed.is_empty or has_operators(parsed):
        return None
    syllables = parsed.positive_syllables()
    clause = Clause(
        syllables=syllables,
        raw=" ".join(c.raw for c in parsed.clauses),
        phrase=len(syllables) > 1,
        exact=True,
    )
    return ParsedQuery(groups=[[clause]], text=parsed.text, truncated=parsed.truncated)


def exact_mask(
    evaluator: Evaluator, parsed: ParsedQuery, among: np.ndarray, optional: Collection[int] = ()
) -> np.ndarray:
    """Of *among*, the articles holding each syllable typed with diacritics exactly so.

    Every group of the query but those numbered in *optional* (a short question's question
    words: :attr:`search.engine.Evaluation.optional`) must be satisfied by one of its clauses (or one of a
    clause's other ways of writing it: ``UBND``, ``kĩ``/``kỹ``); syllables typed
    without diacritics, and a prefix, match as they did.  A syllable is held where
    *evaluator*'s matching would find it: in the fields that weigh, from the index's
    impact view where it has one (one list already read to rank, not five field
    lists with their positions)."""
    found = among.copy()
    for number, group in enumerate(parsed.groups):
        if number in optional:
            continue
        either = np.zeros(evaluator.size, dtype=bool)
        for clause in group:
            fields = evaluator.weighted((clause.field,) if clause.field else FIELDS)
            for variant in [clause.syllables, *clause.alternatives]:
                present = among.copy()
                for syllable in variant[:-1] if clause.prefix else variant:
                    if has_diacritics(syllable):
                        held = np.zeros(evaluator.size, dtype=bool)
                        for form in {syllable, other_spelling(syllable) or syllable}:
                            held |= evaluator.holding(form, fields)
                        present &= held
                either |= present
        found &= either
    return found


def spellings_found(view: IndexView, syllables: list[str], among: np.ndarray) -> list[tuple[list[str], int]]:
    """``(spelling, articles)`` of the phrase *syllables* in the articles of *among*, the
    most frequent first: how the text writes it where the folded phrase is.

    An article writing it two ways counts for each.  Each syllable's accented forms
    are those of :func:`search.restore.accent_variants` the index holds; an occurrence
    whose accented syllable is none of them (digits, foreign words) is left out."""
    if len(syllables) > MAX_SPELLED:
        return []
    folded = [fold(s) for s in syllables]
    articles: dict[tuple[str, ...], set[int]] = {}
    for name in FIELDS:
        # The positions of the folded and the accented views are the same syllables.
        ends = view.unbroken(name, view.phrase_ends(f"{name}_f", folded, among), len(folded))
        if ends.size == 0:
            continue
        starts = ends - (len(folded) - 1)
        holding = np.zeros(view.size, dtype=bool)
        holding[starts >> POSITION_BITS] = True
        labels = np.full((len(folded), starts.size), -1, dtype=np.int32)
        forms: list[list[str]] = []
        for offset, term in enumerate(folded):
            present = [form for form in accent_variants(term) if view.doc_frequency(name, form)]
            forms.append(present)
            for index, keys in enumerate(view.term_keys([(name, form) for form in present], holding)):
                labels[offset][contains(keys, starts + offset)] = index
        known = (labels >= 0).all(axis=0)
        docs = (starts >> POSITION_BITS)[known]
        for column, doc in zip(labels[:, known].T.tolist(), docs.tolist(), strict=True):
            spelling = tuple(forms[offset][i] for offset, i in enumerate(column))
            articles.setdefault(spelling, set()).add(doc)
    ranked = sorted(articles.items(), key=lambda item: (-len(item[1]), item[0]))
    return [(list(spelling), len(docs)) for spelling, docs in ranked[:MAX_SPELLINGS]]


def looks_like_name(parsed: ParsedQuery, display: list[str] | None, occurrences: Occurrences | None) -> bool:
    """Whether *parsed* (without operators) reads as a person's name: two to six syllables
    typed with capitals (``Nguyễn Văn Phong``), restored with capitals (*display*, the
    accent restoration of ``nguyen van phong``: the index writes it so), or, typed with
    diacritics in lower case, written as a name where the index holds it (a sample of
    *occurrences*: capitals mid-sentence)."""
    if parsed.is_empty or has_operators(parsed):
        return False
    syllables = parsed.positive_syllables()
    low, high = NAME_SYLLABLES
    if not low <= len(syllables) <= high:
        return False
    typed = " ".join(c.raw for c in parsed.clauses).split()
    if len(typed) == len(syllables) and all(word[:1].isupper() for word in typed):
        return True
    if display is not None:
        return len(display) == len(syllables) and all(word[:1].isupper() for word in display)
    if occurrences is None or not parsed.accented:
        return False
    # Titles, leads and captions only: bodies cost most of a search's time to read (a known name
    # is in some lead or caption), and a query typed in lower case with diacritics is seldom a name.
    sightings = occurrences.sample(syllables, fields=NAME_FIELDS, limit=NAME_SAMPLE)
    telling = [s for s in sightings if not s.caseless]
    return bool(telling) and 2 * sum(s.proper(len(syllables)) for s in telling) > len(telling)
