"""Search helpers: accent restoration, spelling, suggestions, abbreviations, more like this.

:class:`Helpers` is what :class:`search.searcher.Searcher` calls at fixed
points of a search, each time with the searcher's lock held:

* :meth:`Helpers.expand` -- abbreviations both ways (:mod:`search.abbreviations`)
  and the i/y spellings the language treats as one (:mod:`search.variants`);
* :meth:`Helpers.reading` -- for a query typed without diacritics, its most
  likely accented reading (:mod:`search.restore`), which the engine ranks first;
* :meth:`Helpers.did_you_mean` -- a spelling correction when the query finds
  little (:mod:`search.spelling`), else the restored reading;
* :meth:`Helpers.suggest` and :meth:`Helpers.similar` -- completions as the
  reader types (:mod:`search.suggest`) and more like this (:mod:`search.similar`).

Everything is learned from the index itself at query time, through the
searcher's posting cache and a small sample of stored texts
(:mod:`search.occurrences`); the only statistics kept per index segment are
its vocabulary (:mod:`search.vocabulary`, read on first use).  So
:meth:`Helpers.index_changed` only forgets what is tied to document numbers
(walked texts, phrase keys, counts), which the next requests refill.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from index.analysis import fold
from index.settings import ROOT
from search.abbreviations import AbbreviationFileError, Abbreviations
from search.deadline import NONE, Deadline
from search.occurrences import KeyCache, Occurrences, TextCache
from search.query import Clause, ParsedQuery
from search.restore import Reading, Restorer, UnigramCache
from search.similar import similar
from search.spelling import Speller
from search.suggest import Suggester
from search.variants import spellings
from search.vocabulary import Vocabulary

log = logging.getLogger(__name__)

MAX_RESTORED = 32  # syllables: longer queries are pasted text, not typed words
READINGS_KEPT = 20_000  # restored stretches remembered (a few hundred bytes each)
FEW_HITS = 3  # fewer matches than this and a spelling correction is worth offering
MIN_SHARE = 0.75  # a lone syllable is restored only if one form has most of its uses


class Helpers:
    """Hooks called by the searcher, each with the searcher's lock held."""

    def __init__(self, config):
        self.config = config
        self.abbreviations = load_abbreviations(config)
        self.unigrams = UnigramCache()
        self.vocabulary = Vocabulary()
        self.speller = Speller(self.vocabulary, config["search.spelling_max_chars"])
        self.suggester = Suggester(self.vocabulary, self.unigrams)
        self.texts = TextCache()
        self.keys = KeyCache(24 << 20)  # phrase keys for keystrokes; the worker has 500 MB in all
        self.frequencies: dict[tuple[str, str], int] = {}  # document frequencies, until the index changes
        self.readings: dict[tuple[str, ...], Reading] = {}  # restored stretches, until the index changes
        self._view = None
        self._whoosh = None
        self._pending: tuple[ParsedQuery, Reading] | None = None

    def index_changed(self, searcher) -> None:
        """The searcher now sees a new commit or generation: refresh derived data."""
        self._view = searcher._view
        self._whoosh = searcher._searcher
        self._pending = None
        self.texts.clear()  # document numbers may have changed
        self.keys.clear()
        self.frequencies.clear()
        self.readings.clear()
        self.suggester.index_changed()
        # Document frequencies depend on the segments only (not on deletions).
        self.unigrams.reset(tuple(leaf.key for leaf in self._view.leaves))

    def occurrences(self) -> Occurrences:
        return Occurrences(self._view, self._whoosh, self.texts, self.keys, self.frequencies)

    # --- a search ----------------------------------------------------------------------

    def expand(self, parsed: ParsedQuery) -> None:
        """Add other ways of writing clauses (``Clause.alternatives``), e.g. abbreviations."""
        self.abbreviations.expand(parsed)
        for clause in [*parsed.clauses, *parsed.excluded]:
            _add_spellings(clause)

    def reading(self, parsed: ParsedQuery) -> list[str] | None:
        """The most likely accented syllables of a query typed without diacritics, or None."""
        self._pending = None
        if parsed.is_empty or parsed.accented or self._view is None:
            return None
        clauses = parsed.clauses
        total = sum(len(c.syllables) for c in clauses)
        if total > MAX_RESTORED:
            return None
        restorer = Restorer(self.occurrences(), self.unigrams)
        syllables: list[str] = []
        display: list[str] = []
        share = 1.0
        # Prefixes are not words yet: they split the query into stretches restored apart.
        stretch: list[str] = []
        for clause in [*clauses, None]:
            if clause is None or clause.prefix:
                if stretch:
                    restored = self._restore(restorer, stretch)
                    syllables += restored.syllables
                    display += restored.display
                    share = restored.share
                    stretch = []
                if clause is not None:
                    syllables += clause.syllables
                    display += clause.syllables
                continue
            stretch += clause.syllables
        if syllables == parsed.positive_syllables() or (total == 1 and share < MIN_SHARE):
            return None
        self._pending = (parsed, Reading(syllables, display, share))
        return syllables

    def _restore(self, restorer: Restorer, stretch: list[str]) -> Reading:
        # The same words come back with another sort, page or filter, and as part of other
        # queries' stretches; their reading depends on the index alone.
        key = tuple(stretch)
        found = self.readings.get(key)
        if found is None:
            if len(self.readings) >= READINGS_KEPT:
                self.readings.clear()
            found = self.readings[key] = restorer.restore(stretch)
        return replace(found, syllables=list(found.syllables), display=list(found.display))

    def did_you_mean(
        self, parsed: ParsedQuery, reading: list[str] | None, evaluation, deadline: Deadline = NONE
    ) -> str | None:
        """A query to offer instead (accents restored, spelling corrected), or None; no spelling
        correction once *deadline* has passed."""
        if self._view is None or parsed.is_empty:
            return None
        pending = self._pending
        self._pending = None
        display = pending[1].display if pending and pending[0] is parsed and reading else None
        if evaluation.relaxed or int(evaluation.matched.sum()) < FEW_HITS:
            corrected = self.speller.correct(self.occurrences(), self.unigrams, parsed, deadline)
            if corrected is not None:
                return render(parsed, corrected)
        if display is None:
            return None
        return render(parsed, display)

    # --- other requests ----------------------------------------------------------------

    def suggest(self, searcher, prefix: str, limit: int) -> list[str]:
        """Completions of what the reader is typing."""
        return self.suggester.suggest(self.occurrences(), prefix, limit)

    def similar(self, searcher, doc_id: str, limit: int) -> list[dict] | None:
        """Articles like *doc_id* (not itself), or None when *doc_id* is unknown."""
        return similar(searcher, doc_id, limit)


def load_abbreviations(config) -> Abbreviations:
    """The abbreviations file of *config*; a relative path missing beside the config is the project's own."""
    configured = config["search.abbreviations"]
    if not configured:
        return Abbreviations([])
    path = config.path("search.abbreviations")
    if not path.exists() and not Path(configured).is_absolute() and (ROOT / configured).exists():
        # Configs written for one index (tests, benchmarks) sit in other folders but
        # mean the list that ships with the project.
        path = ROOT / configured
    try:
        return Abbreviations.load(path)
    except AbbreviationFileError as exc:
        log.warning("%s: searching without abbreviations", exc)
        return Abbreviations([])


def _add_spellings(clause: Clause) -> None:
    exact = clause.exact
    seen = {tuple(v) if exact else tuple(_fold_all(v)) for v in [clause.syllables, *clause.alternatives]}
    for variant in [clause.syllables, *clause.alternatives]:
        for other in spellings(variant):
            key = tuple(other) if exact else tuple(_fold_all(other))
            if key not in seen:
                seen.add(key)
                clause.alternatives.append(other)


def _fold_all(syllables: list[str]) -> list[str]:
    return [fold(s) for s in syllables]


def render(parsed: ParsedQuery, words: list[str]) -> str | None:
    """*parsed* written back as a query, its positive syllables replaced by *words*; None if that
    changes no letter of it."""
    position = 0
    parts = []
    changed = False
    for group in parsed.groups:
        texts = []
        for clause in group:
            own = words[position : position + len(clause.syllables)]
            position += len(clause.syllables)
            text = " ".join(own)
            if [w.lower() for w in own] != clause.syllables:
                changed = True
            elif text.lower() != clause.raw.lower():
                text = clause.raw  # the same letters, punctuated (TP.HCM, Covid-19): as typed
            texts.append(_clause_text(clause, text))
        parts.append(" OR ".join(texts))
    parts += [_clause_text(c, c.raw) for c in parsed.excluded]
    return " ".join(parts) if changed else None


def _clause_text(clause: Clause, text: str) -> str:
    if clause.exact:
        text = f'"{text}"'
    elif clause.prefix:
        text += "*"
    if clause.field:
        text = f"{clause.field}:{text}"
    return f"-{text}" if clause.negated else text
