"""Accent restoration: the most likely Vietnamese reading of syllables typed without diacritics.

``dan van`` could be *dân vận*, *dân văn*, *đàn vẫn*...  The index's own text
decides.  The typed syllables are cut into the longest runs that occur side by
side somewhere in the index (``ha noi`` + ``dan van``), preferring few long runs
(a dynamic programme that keeps as many neighbours together as it can, and as
few syllables alone); each run
is then read where it occurs -- a sample of its occurrences, titles first --
and the most frequent way of writing it wins, capitals included (``Hà Nội``,
``Nguyễn Văn Phong``, ``HĐND``), counting only capitals that are not merely
the start of a sentence.  A syllable that stands alone takes its most frequent
accented form in the index.

Titles, summaries, captions and bylines are searched first; the bodies (far
more text, so more expensive) only when those do not hold the whole query as
one phrase.

A long stretch (more than :data:`SCOPED_AFTER` syllables: a reader's question, a
sentence) is looked for in the bodies of the :data:`SCOPE` articles its own
syllables weigh most in (:func:`likely_articles`, their BM25F from the folded
impact view), not in every article: the runs of a question are the words of
its topic, and those articles are where its words stand together.  A question's
runs in every body of 100,000 articles were most of its restoration's cost,
growing with the archive; within 2,000 articles they cost the same on any archive.
The rankings measured the same, and the questions' syllables given back 95.4 % against
95.5 % (BENCHMARKS.md, thirtieth round).
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from index.analysis import canonical_syllable, fold
from search.engine import DENSE_SHARE, idf
from search.impacts import scale
from search.occurrences import CHEAP_FIELDS, FIELDS, Occurrences, Sighting
from search.ranking import kth_smallest
from search.segments import IndexView, intersect_sorted

# Vowels and the letters they may have been before their marks were dropped.
_VOWEL_FORMS = {"a": "aăâ", "e": "eê", "o": "oôơ", "u": "uư", "i": "i", "y": "y"}
_TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_TONE_MARKS = re.compile("[" + "".join(_TONES) + "]")
_MAX_BASES = 64  # more combinations than this is not a Vietnamese syllable
UNIGRAM_FIELDS = ("title", "summary", "body")
SAMPLE = 24  # occurrences read per run
SCOPED_AFTER = 6  # syllables: a longer stretch is looked for in its likeliest articles' bodies
SCOPE = 2_000  # articles: those likeliest articles
NAME_SHARE = 0.2  # a two-syllable run is read as a name if this share of sightings write it so


@dataclass
class Reading:
    """A restored query: one entry per syllable typed."""

    syllables: list[str]  # canonical, lower case
    display: list[str]  # as it should be shown (capitals restored)
    share: float  # for a one-syllable query: the winning form's share of its uses


@lru_cache(maxsize=4096)  # up to ~150 forms each: some 8 MB when full
def accent_variants(folded: str) -> tuple[str, ...]:
    """Every canonical syllable that folds to *folded* (``dan`` -> dan, dân, dần, đàn, ...)."""
    return _variants(folded)


def variants_beginning(folded: str, partial: str) -> tuple[str, ...]:
    """The forms of :func:`accent_variants` of *folded* with diacritics that begin as *partial*
    (a word being typed with them: ``phuong``, ``phượ`` -> phượng), as typed or in canonical
    tone placement.  Only the bases of the letters typed are made, and nothing is kept: a
    reader's every keystroke asks this of a dozen endings, and through :func:`accent_variants`'
    cache a worker's suggestions kept ~150 forms of each (its RSS at the end of its life 479 MB
    against 464 with a quarter of that cache: BENCHMARKS.md, thirtieth round)."""
    typed = (partial, canonical_syllable(partial))
    letters = unicodedata.normalize("NFC", _TONE_MARKS.sub("", unicodedata.normalize("NFD", partial.lower())))
    return tuple(form for form in _variants(folded, letters) if form != folded and form.startswith(typed))


def _variants(folded: str, letters: str = "") -> tuple[str, ...]:
    """:func:`accent_variants` of *folded*, only those whose letters (tone marks aside) begin
    as *letters* do (and *folded* itself, first)."""
    if not folded.isascii() or not folded.isalpha():
        return (folded,)
    options = []
    for i, ch in enumerate(folded):
        if ch in _VOWEL_FORMS:
            options.append(_VOWEL_FORMS[ch])
        elif ch == "d" and i == 0:
            options.append("dđ")
        else:
            options.append(ch)
    if not any(ch in _VOWEL_FORMS for ch in folded) or math.prod(len(o) for o in options) > _MAX_BASES:
        return (folded,)
    if len(letters) > len(options) or any(ch not in options[i] for i, ch in enumerate(letters)):
        return (folded,)
    options[: len(letters)] = letters
    found = dict.fromkeys([folded])
    # Not through canonical_syllable's cache: its ~150 forms here are mostly no word (bàt, bãt),
    # and this function keeps its own answer; through it, a worker's suggestions filled that
    # cache with 37,500 such forms in 100 readers' typing.
    canonical = canonical_syllable.uncached  # type: ignore[attr-defined]
    for letters in itertools.product(*options):
        base = "".join(letters)
        first_vowel = next(i for i, ch in enumerate(base) if fold(ch) in _VOWEL_FORMS)
        for tone in _TONES:
            decomposed = unicodedata.normalize("NFD", base[: first_vowel + 1]) + tone + base[first_vowel + 1 :]
            found[canonical(unicodedata.normalize("NFC", decomposed))] = None
    return tuple(found)


class UnigramCache:
    """How often each accented form of a folded syllable is used, per index state (cheap lookups,
    memoised): its commonest form for restoration, its common forms for a wrong tone mark."""

    FORMS = 4  # forms kept per folded syllable, the commonest first

    def __init__(self, limit: int = 50_000):
        self.limit = limit
        self._state: tuple = ()
        self._forms: dict[str, tuple[tuple[str, int], ...]] = {}

    def reset(self, state: tuple) -> None:
        if state != self._state:
            self._state = state
            self._forms.clear()

    def forms(self, occurrences: Occurrences, folded: str) -> tuple[tuple[str, int], ...]:
        """``(form, articles)`` of the commonest forms of *folded* in the index, the commonest
        first (articles counted in each of titles, summaries and bodies), and last the total
        of every form as ``("", total)``."""
        found = self._forms.get(folded)
        if found is None:
            counts = {}
            for form in accent_variants(folded):
                count = sum(occurrences.doc_frequency(field, form) for field in UNIGRAM_FIELDS)
                if count:
                    counts[form] = count
            # The typed form wins a tie: restoring "ma" must not make it "mà" for nothing.
            ranked = sorted(counts, key=lambda f: (-counts[f], f != folded))[: self.FORMS]
            found = (*((form, counts[form]) for form in ranked), ("", sum(counts.values())))
            if len(self._forms) >= self.limit:
                self._forms.clear()
            self._forms[folded] = found
        return found

    def best(self, occurrences: Occurrences, folded: str) -> tuple[str, float, int]:
        """``(form, share, uses)``: the commonest form, its share of all forms' uses, their total."""
        *ranked, (_, total) = self.forms(occurrences, folded)
        if not total:
            return folded, 0.0, 0
        form, count = ranked[0]
        return form, count / total, total

    def uses(self, occurrences: Occurrences, form: str) -> int:
        """Articles using the accented *form* (as :meth:`forms` counts them)."""
        for known, count in self.forms(occurrences, fold(form))[:-1]:
            if known == form:
                return count
        return sum(occurrences.doc_frequency(field, form) for field in UNIGRAM_FIELDS)


def likely_articles(view: IndexView, folded: list[str], count: int = SCOPE) -> np.ndarray | None:
    """Boolean mask of the *count* live articles in which the folded syllables *folded* weigh
    most: the sum of their BM25F, from the folded impact view as the evaluator reads it
    (:func:`search.impacts.scale`), ties in article order (:func:`search.columns.article_order`, so that every copy of
    the index picks the same ones).  None where every article holding any of them would be
    in it, and on an index without impact views (format 4 or older)."""
    params = view.impact_params
    if params is None:
        return None
    scores = np.zeros(view.size, dtype=np.float32)
    for syllable in dict.fromkeys(folded):
        docs, impacts = view.term_docs("impact_f", syllable)
        if not docs.size:
            continue
        weight = idf(max(view.live_count, 1), int(docs.size))
        # As the evaluator keeps a common term: one whole-array addition, not a scattered one (the
        # same sums; 2.4 against 3.2 ms a folded question on 100,000 articles, BENCHMARKS.md).
        if docs.size > DENSE_SHARE * view.size:
            dense = np.zeros(view.size, dtype=np.uint8)
            dense[docs] = impacts
            scores += scale(dense, weight, params.k1)
        else:
            scores[docs] += scale(impacts, weight, params.k1)
    scores[~view.live] = 0.0
    held = np.flatnonzero(scores)
    if held.size <= count:
        return None
    bound = -kth_smallest(-scores[held], count)  # the count-th highest score
    likely = scores > bound
    tied = held[scores[held] == bound]
    tied = tied[np.argsort(view.columns.order[tied], kind="stable")[: count - int(likely.sum())]]
    likely[tied] = True
    return likely


class Restorer:
    """Restores diacritics on folded syllables, using one request's :class:`Occurrences`."""

    def __init__(self, occurrences: Occurrences, unigrams: UnigramCache, scope: int = SCOPE):
        self.occ = occurrences
        self.unigrams = unigrams
        self.scope = scope  # articles a long stretch's runs are looked for in the bodies of

    def restore(self, folded: list[str]) -> Reading:
        if len(folded) > SCOPED_AFTER:
            likely = likely_articles(self.occ.view, folded, self.scope)
            if likely is not None:
                return Restorer(self.occ.within(likely), self.unigrams)._restore(folded)
        return self._restore(folded)

    def _restore(self, folded: list[str]) -> Reading:
        n = len(folded)
        runs = self.runs(folded, CHEAP_FIELDS)
        if n > 1 and runs != [(0, n)]:
            runs = self.runs(folded, FIELDS)
        syllables: list[str] = []
        display: list[str] = []
        share = 1.0
        for start, end in runs:
            if end - start == 1:
                form, share, _ = self.unigrams.best(self.occ, folded[start])
                syllables.append(form)
                display.append(form)
                continue
            part = folded[start:end]
            sightings = self.occ.sample(part, limit=SAMPLE)
            words, shown = vote(sightings, len(part))
            if not words:  # occurrences in deleted documents only, or text and index disagree
                for syllable in part:
                    form = self.unigrams.best(self.occ, syllable)[0]
                    syllables.append(form)
                    display.append(form)
                continue
            syllables.extend(words)
            display.extend(shown)
        return Reading(syllables, display, share if n == 1 else 1.0)

    def runs(self, folded: list[str], fields: tuple[str, ...]) -> list[tuple[int, int]]:
        """Cut *folded* into runs that occur as phrases in *fields*, few and long."""
        n = len(folded)
        reach = [i + 1 for i in range(n)]  # reach[i]: the longest run from i ends before reach[i]
        for field in fields:
            view = f"{field}_f"
            if field != "body":  # bodies: only documents holding both syllables, see Occurrences
                self.occ.prefetch(view, folded)
            pairs = [self.occ.phrase(view, folded[i : i + 2]) for i in range(n - 1)]
            for i in range(n - 1):
                keys, end = pairs[i], i + 2
                while keys.size:
                    reach[i] = max(reach[i], end)
                    if end == n:
                        break
                    keys = intersect_sorted(keys + (end - 1 - i), pairs[end - 1]) - (end - 1 - i)
                    end += 1
        # Score: pairs of neighbours read together, minus syllables left alone (they
        # lose their context). Longer runs are tried first and win ties.
        best = [0.0] * (n + 1)
        choice = [n] * (n + 1)
        for i in range(n - 1, -1, -1):
            best[i] = -math.inf
            for j in range(reach[i], i, -1):
                score = (j - i - 1 if j - i > 1 else -1) + best[j]
                if score > best[i]:
                    best[i], choice[i] = score, j
        runs, i = [], 0
        while i < n:
            runs.append((i, choice[i]))
            i = choice[i]
        return runs


def vote(sightings: list[Sighting], length: int) -> tuple[list[str], list[str]]:
    """The commonest reading of a run among *sightings*, and its capitals.

    Names come first: when some sightings write the run as a name (``Phạm Thế
    Hiển``), the reader who typed ``pham the hien`` more likely meant the person
    than the words (``sản phẩm thể hiện``), though the words are more frequent.
    """
    names = [s for s in sightings if s.proper(length)]
    pool = names if names and (length >= 3 or len(names) >= NAME_SHARE * len(sightings)) else sightings
    readings = Counter(s.canonical[:length] for s in pool)
    if not readings:
        return [], []
    words = list(readings.most_common(1)[0][0])
    agreeing = [s for s in sightings if s.canonical[:length] == tuple(words)]
    return words, capitals(words, agreeing)


def capitals(words: list[str], sightings: list[Sighting]) -> list[str]:
    """How to write *words*: the capitals most sightings give them mid-sentence."""
    styles = []
    for k in range(len(words)):
        votes = Counter()
        for s in sightings:
            if s.caseless or s.initial[k]:
                continue
            original = s.tokens[k].original
            votes[
                "upper" if len(original) > 1 and original.isupper() else "title" if original[0].isupper() else "lower"
            ] += 1
        styles.append(votes.most_common(1)[0][0] if votes else None)
    # A first word only ever seen starting a sentence: a name if the next word is one.
    for k, style in enumerate(styles):
        if style is None:
            follows = styles[k + 1] if k + 1 < len(styles) else None
            styles[k] = "title" if follows == "title" else "lower"
    return [
        word.upper() if style == "upper" else word[:1].upper() + word[1:] if style == "title" else word
        for word, style in zip(words, styles, strict=True)
    ]
