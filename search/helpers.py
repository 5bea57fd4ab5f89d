"""Search helpers: accent restoration, spelling, suggestions, abbreviations, more like this.

:class:`Helpers` is what :class:`search.searcher.Searcher` calls at fixed
points of a search, each time with the searcher's lock held:

* :meth:`Helpers.decode` -- a query typed in Telex or VNI with the input method
  off, decoded (:mod:`search.typing`); the searcher searches the decoded text;
* :meth:`Helpers.complete_last` -- while a query is being typed, its half-typed
  last word as a prefix, and its likeliest completion (:mod:`search.suggest`);
* :meth:`Helpers.expand` -- abbreviations both ways (:mod:`search.abbreviations`)
  and the i/y spellings the language treats as one (:mod:`search.variants`);
* :meth:`Helpers.reading` -- for a query typed without diacritics, its most
  likely accented reading (:mod:`search.restore`), which the engine ranks first;
* :meth:`Helpers.did_you_mean` -- a spelling correction when the query finds
  little (:mod:`search.spelling`), or, when its words stand side by side nowhere,
  the slip of the fingers that made another real word (``tong thong pha tham``:
  :meth:`search.spelling.Speller.real_word`), else the restored reading;
  a word run together (``hanoi``) cut into the syllables the index holds far more
  often (:func:`search.typing.splits`); :meth:`Helpers.respelled` and
  :meth:`Helpers.retoned` -- a query typed with a wrong accent, written as the index
  writes it (``Đà Nẳng``, ``hà nôi``); :meth:`Helpers.confident` and
  :meth:`Helpers.better` decide whether the correction's results are shown instead;
* :meth:`Helpers.suggest` -- completions as the reader types (:mod:`search.suggest`);
  more like this is :mod:`search.similar`, called by the searcher.

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

import numpy as np

from index.analysis import SYLLABLE_RE, fold, has_diacritics, syllables
from index.settings import ROOT
from search.abbreviations import AbbreviationFileError, Abbreviations
from search.deadline import NONE, Deadline
from search.engine import PHRASE, TITLE_ALL
from search.occurrences import Occurrences
from search.query import Clause, ParsedQuery
from search.restore import Reading, Restorer, UnigramCache
from search.spelling import ACCENTED_FIELDS, RARE, Speller, may_be_headline, phrase_count, word_frequency
from search.state import IndexState
from search.suggest import Suggester, whole_word
from search.typing import decode_text, may_be_syllable, splits
from search.variants import spellings
from search.vocabulary import Vocabulary

log = logging.getLogger(__name__)

MAX_RESTORED = 32  # syllables: longer queries are pasted text, not typed words
FEW_HITS = 3  # fewer matches than this and a spelling correction is worth offering
MIN_SHARE = 0.75  # a lone syllable is restored only if one form has most of its uses
# A correction of the letters (spelling, a word run together) shows its own results instead of
# the query's when it finds, every word matched, this many times more articles.
CORRECTION_GAIN = 10
MAX_SPLIT_WORDS = 3  # run-together words tried per query (each costs a few phrase lookups)
MAX_RETONED = 6  # other tone marks tried per query (each costs a phrase lookup)


class Helpers:
    """Hooks called by the searcher, each with the searcher's lock held."""

    def __init__(self, config):
        self.config = config
        self.abbreviations = load_abbreviations(config)
        self.unigrams = UnigramCache()
        self.vocabulary = Vocabulary()
        self.speller = Speller(self.vocabulary, config["search.spelling_max_chars"])
        self.suggester = Suggester(self.vocabulary, self.unigrams)
        self.state: IndexState | None = None  # the index state the searcher reads, and its caches

    def index_changed(self, state: IndexState) -> None:
        """The searcher now reads a new commit or generation, *state*: its caches start empty."""
        self.state = state
        self.suggester.index_changed()
        # Document frequencies depend on the segments only (not on deletions).
        self.unigrams.reset(tuple(leaf.key for leaf in state.view.leaves))

    def occurrences(self) -> Occurrences:
        state = self.state
        return Occurrences(state.view, state.whoosh, state.texts, state.keys, state.frequencies)

    # --- a search ----------------------------------------------------------------------

    def decode(self, text: str, eager: bool = False) -> str | None:
        """*text* with its Telex and VNI words decoded (``daan vaajn`` -> ``dân vận``), or None;
        *eager*: words the index knows now and then read as keys too (see
        :func:`search.typing.decode_text`)."""
        if self.state is None or not any(ch.isascii() and ch.isalnum() for ch in text):
            return None  # keys are ASCII letters and digits
        occ = self.occurrences()

        def frequency(term: str) -> int:
            if has_diacritics(term):
                return sum(occ.doc_frequency(field, term) for field in ACCENTED_FIELDS)
            return word_frequency(occ, fold(term))

        def slip(typed: str, decoded: str) -> int:
            return self.speller.commonest_slip(occ, fold(typed), besides=fold(decoded))

        def commonest(folded: str) -> str:
            return self.unigrams.best(occ, folded)[0]

        return decode_text(text, frequency, self.config["search.max_query_chars"], slip, eager, commonest)

    def complete_last(self, parsed: ParsedQuery, text: str) -> None:
        """While *text* is being typed: its last word, unless followed by a space, matches
        as a prefix (``dân vậ`` finds *dân vận*, *dân vật*...), and its likeliest completion
        in context (:mod:`search.suggest`) is ORed with it as a word, so that the phrase the
        reader is typing ranks first."""
        if not text or text[-1].isspace() or not parsed.groups or self.state is None:
            return
        group = parsed.groups[-1]
        clause = group[-1]
        if len(group) != 1 or clause.exact or clause.prefix or clause.phrase or clause.alternatives:
            return
        if not SYLLABLE_RE.search(text[-1:]) or not text.rstrip().lower().endswith(clause.raw.lower()):
            return  # the last thing typed is not this word (a closing quote, a star)
        partial = clause.syllables[0]
        completions = self.suggester.suggest(self.occurrences(), text, 1)
        completed = syllables(completions[0]) if completions else []
        finished = [s for c in parsed.clauses[:-1] for s in c.syllables]
        ending = completed[len(finished)] if len(completed) > len(finished) else None
        # With diacritics typed elsewhere, a bare word is whole only as typed: "biên giới vi" is
        # still being typed when its likeliest ending is vì (a tone key to come) or Việt.
        marks = any(has_diacritics(s) for c in parsed.clauses for s in c.syllables)
        if may_be_syllable(partial) and (ending is None or whole_word(ending, partial, marks)):
            return  # a whole word, and the likeliest one: today's meaning
        group[-1] = replace(clause, prefix=True, alternatives=[])
        if ending is not None and fold(ending).startswith(fold(partial)) and ending != partial:
            group.insert(0, replace(clause, syllables=[ending], raw=ending, alternatives=[]))

    def expand(self, parsed: ParsedQuery) -> None:
        """Add other ways of writing clauses (``Clause.alternatives``), e.g. abbreviations."""
        self.abbreviations.expand(parsed)
        for clause in [*parsed.clauses, *parsed.excluded]:
            _add_spellings(clause)

    def reading(self, parsed: ParsedQuery) -> Reading | None:
        """The most likely accented syllables of a query typed without diacritics (and how they
        are written, capitals restored: ``Nguyễn Văn Phong``), or None."""
        # A query cut at its limits (search.max_query_terms, max_prefixes...) is pasted text or
        # a probe, not typed words: restoring two dozen of them was two thirds of the cost of 96
        # two-letter prefixes on 100,000 articles (and did_you_mean offers nothing for it anyway).
        if parsed.is_empty or parsed.accented or parsed.truncated or self.state is None:
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
        return Reading(syllables, display, share)

    def _restore(self, restorer: Restorer, stretch: list[str]) -> Reading:
        # The same words come back with another sort, page or filter, and as part of other
        # queries' stretches; their reading depends on the index alone.
        key = tuple(stretch)
        found = self.state.readings.get(key)
        if found is None:
            found = restorer.restore(stretch)
            self.state.readings.put(key, found)
        return replace(found, syllables=list(found.syllables), display=list(found.display))

    def did_you_mean(
        self, parsed: ParsedQuery, reading: Reading | None, evaluation, deadline: Deadline = NONE
    ) -> str | None:
        """A query to offer instead (accents restored, spelling corrected), or None; no spelling
        correction once *deadline* has passed, and none for a query cut at its limits (``truncated``:
        the offer would hold only the part that was read, and correcting a pasted page is work
        for nothing)."""
        if self.state is None or parsed.is_empty:
            return None
        if parsed.truncated:
            return None
        display = reading.display if reading else None
        # A word run together first: its cut is held side by side ten times as often as the word
        # (``boyte``: *Bộ Y tế*), where a spelling correction of it edits letters (*boy tế*).
        split = self._split(parsed)
        if split is not None:
            return render(parsed, split)
        if evaluation.relaxed or int(evaluation.matched.sum()) < FEW_HITS:
            corrected = self.speller.correct(self.occurrences(), self.unigrams, parsed, deadline)
            if corrected is not None:
                return render(parsed, corrected)
        if self._stands_nowhere(parsed, evaluation):
            corrected = self.speller.real_word(self.occurrences(), self.unigrams, parsed, deadline)
            if corrected is not None:
                return render(parsed, corrected)
        if display is None:
            return None
        return render(parsed, display)

    def respelled(self, parsed: ParsedQuery) -> str | None:
        """*parsed*, typed with diacritics nobody writes it with (``Đà Nẳng``), written with
        those its folded syllables have in the index (``Đà Nẵng``); None if that changes nothing."""
        folded = [fold(s) for s in parsed.positive_syllables()]
        if self.state is None or not folded or len(folded) > MAX_RESTORED:
            return None
        restored = self._restore(Restorer(self.occurrences(), self.unigrams), folded)
        return render(parsed, restored.display)

    def retoned(self, parsed: ParsedQuery) -> str | None:
        """*parsed*, typed with diacritics and found nowhere as typed side by side, with one
        syllable written as the archive writes it :data:`CORRECTION_GAIN` times as often, where
        the words then stand side by side, the most often of such: ``hà nôi`` (*nôi*, a cradle)
        -> ``hà nội``; else None.

        A wrong tone mark is a real word more often than not, so the words found apart (``hà``
        and ``nôi``: seven articles of 10,000) are no sign of it; the phrase is.  Not for one
        syllable (nothing tells a typo from a rarer word), nor for a query every word of which
        has a capital: a name, as the reader spells it (:meth:`confident`)."""
        clauses = parsed.clauses
        if self.state is None or any(c.exact or c.prefix or c.field for c in clauses):
            return None
        typed = parsed.positive_syllables()
        if not 2 <= len(typed) <= MAX_RESTORED or all(w[:1].isupper() for w in parsed.text.split()):
            return None
        occ = self.occurrences()
        choices = []  # (uses, position, form): a far commoner form of a typed syllable
        for position, syllable in enumerate(typed):
            floor = CORRECTION_GAIN * max(1, self.unigrams.uses(occ, syllable))
            for form, uses in self.unigrams.forms(occ, fold(syllable))[:-1]:
                if uses >= floor:
                    choices.append((uses, position, form))
        # The form whose phrase the archive holds most often: "hà nói" (Hà said) is there too.
        best, position, form = max(
            (
                (phrase_count(occ, [*typed[:at], form, *typed[at + 1 :]], ACCENTED_FIELDS), at, form)
                for _, at, form in sorted(choices, reverse=True)[:MAX_RETONED]
            ),
            default=(0, 0, ""),
        )
        if not best:
            return None
        # As the reader wrote it: a word's own capitals (one clause, one syllable).
        written = [c.raw if len(c.syllables) == 1 else s for c in clauses for s in c.syllables]
        return render(parsed, [*written[:position], _cased(form, written[position]), *written[position + 1 :]])

    def _split(self, parsed: ParsedQuery) -> list[str] | None:
        """The positive syllables of *parsed* with its run-together words cut (``hanoi`` ->
        ``Hà Nội``), when the index holds the cut far more often than the word; else None."""
        words = [(c, s) for c in parsed.clauses for s in c.syllables]
        if len(words) > MAX_RESTORED:
            return None
        occ = None
        out = [s for _, s in words]
        tried = 0
        for i, (clause, word) in enumerate(words):
            if clause.exact or clause.prefix or len(clause.syllables) != 1 or may_be_syllable(word):
                continue
            cuts = splits(word)
            if not cuts or tried == MAX_SPLIT_WORDS:
                continue
            tried += 1
            occ = occ or self.occurrences()
            counts = [(phrase_count(occ, cut), cut) for cut in cuts]
            count, best = max(counts, key=lambda pair: pair[0])
            # Two syllables may stand side by side by chance, so a cut in two is taken where a few
            # articles hold it; three, from a word the index hardly knows, stand so nowhere by
            # chance: one article holding them is enough (`bench/run_together.py`: a known item's
            # syllables typed without spaces shown apart, 71 -> 93 % on news-00).
            if count < max(RARE if len(best) < 3 else 1, CORRECTION_GAIN * word_frequency(occ, word)):
                continue
            # Or a slip of the fingers, where the word it makes is commoner than the cut: a key
            # pressed twice ("noii" is "noi", not "Nội I"; "treem" stays "trẻ em"), one beside
            # ("ohieu" is "phieu", not "ở hiệu"), two in the wrong order ("cuha" is "chua").
            if count > self.speller.commonest_slip(occ, word):
                out[i] = " ".join(Restorer(occ, self.unigrams).restore(best).display)
        return out if occ is not None and out != [s for _, s in words] else None

    def _stands_nowhere(self, parsed: ParsedQuery, evaluation) -> bool:
        """Whether a short query (2 to ``search.all_words_up_to`` syllables, every word required)
        matched articles of which none holds its words side by side, nor all of them near each
        other in its title (a headline half remembered: a word left out, its halves swapped);
        :meth:`Speller.real_word` then looks for the slip that makes a headline of it.

        Near: the ranking rule ``TITLE_NEAR`` (:meth:`search.engine.Evaluator.title_near`).  A
        title holding them all scattered is no sign of a headline remembered: on 100,000
        articles a query of common words has some (*tien con bo*: a title holding *tiền*, *con*
        and *bộ* apart)."""
        words = list(dict.fromkeys(fold(s).lower() for s in parsed.positive_syllables()))
        if evaluation.relaxed or not 2 <= len(words) <= self.config["search.all_words_up_to"]:
            return False
        if not may_be_headline(parsed):
            return False
        if _phrased(evaluation) is not False:
            return False
        titled = evaluation.matched & (evaluation.tiers & TITLE_ALL).astype(bool)
        if not titled.any():
            return True
        # The title rule's articles holding the words near each other (None: a title view
        # that disagrees, kept as typed).
        return evaluation.near is not None and not bool((evaluation.near & evaluation.matched).any())

    def confident(self, parsed: ParsedQuery, offered: str) -> bool:
        """Whether *offered* corrects the letters of *parsed* (not only its diacritics) while
        keeping every name the reader typed: a word typed with a capital, after the first,
        is the reader's own (``Trước đó Rahn thường bị gì?`` is not about *rán*)."""
        typed = [fold(s) for s in parsed.positive_syllables()]
        corrected = [fold(s) for s in syllables(offered)]
        if corrected == typed:
            return False
        names = [fold(s) for w in parsed.text.split()[1:] if w[:1].isupper() for s in syllables(w)]
        return set(names) <= set(corrected)

    def better(self, evaluation, corrected) -> bool:
        """The correction finds far more than the query did, every word matched; or its words
        stand side by side in some article, where the query's stand so in none."""
        if corrected.relaxed or not corrected.matched.any():
            return False
        found = 0 if evaluation.relaxed else int(evaluation.matched.sum())
        if int(corrected.matched.sum()) >= CORRECTION_GAIN * found:
            return True
        return not evaluation.relaxed and _phrased(evaluation) is False and _phrased(corrected) is True

    # --- other requests ----------------------------------------------------------------

    def suggest(self, prefix: str, limit: int) -> list[str]:
        """Completions of what the reader is typing."""
        return self.suggester.suggest(self.occurrences(), prefix, limit)


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


def _phrased(evaluation) -> bool | None:
    """Whether a matched article of *evaluation* holds the query as a phrase (the ranking's
    phrase rule); None where the query was ranked by no rule, or matched nothing."""
    if evaluation.tiers is None or not evaluation.matched.any():
        return None
    return bool(np.any((evaluation.tiers & PHRASE).astype(bool) & evaluation.matched))


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


def _cased(form: str, written: str) -> str:
    """*form* with the capitals of *written*: all of them (``HĐND``) or the first."""
    if len(written) > 1 and written.isupper():
        return form.upper()
    return form[:1].upper() + form[1:] if written[:1].isupper() else form


def _clause_text(clause: Clause, text: str) -> str:
    if clause.exact:
        text = f'"{text}"'
    elif clause.prefix:
        text += "*"
    if clause.field:
        text = f"{clause.field}:{text}"
    return f"-{text}" if clause.negated else text
