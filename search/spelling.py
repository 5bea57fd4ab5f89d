"""Spelling correction from the index's vocabulary: ``hoi nghi truc tuyn`` -> ``hội nghị trực tuyến``.

Asked only when a query finds little (see :mod:`search.helpers`).  A syllable is
suspect when, without diacritics, it is in almost no article; or when typed with
diacritics that almost no article writes it with (``nớc``: a letter left out of *nước*,
though its letters spell *nóc*), then its candidates are the written forms one slip
away, a letter or a mark (:meth:`Speller._best_written`).  Its candidates
are the index's folded syllables one edit away (a letter dropped, added,
changed or two swapped), the syllable split in two (``tructuyen``), and what
Telex keystrokes would have typed with the input method off (``hooij`` ->
``hội``).  Each candidate is scored as a noisy channel (Kernighan, Church and Gale,
1990): how likely the reader's fingers were to type the query for it (keys in the
wrong order, pressed twice, beside the one meant, or left out, against a stray key
from elsewhere: ``qau`` is *qua*, not *sau*), times how likely it stands where it
was typed, by a bigram estimate from the index's counts of the query's neighbouring
words beside it, so the correction fits its context (``truc tuyn`` -> ``trực
tuyến``, not ``trực tuyển``).
The corrected query then gets its diacritics back from :mod:`search.restore`,
keeping the words the reader typed as typed (capitals too) when the query has
diacritics, and reading each corrected syllable among its near neighbours only.

The vocabulary is :mod:`search.vocabulary` (every folded syllable of titles,
summaries and bodies, read once per index segment).
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from dataclasses import dataclass

from index.analysis import canonical_syllable, fold, has_diacritics
from search.deadline import NONE, Deadline
from search.occurrences import Occurrences
from search.query import ParsedQuery
from search.restore import Restorer, UnigramCache
from search.typing import may_be_syllable
from search.vocabulary import Vocabulary

FREQUENCY_FIELDS = ("title_f", "summary_f", "body_f")
CONTEXT_FIELDS = ("title_f", "summary_f", "body_f")
ACCENTED_FIELDS = ("title", "summary", "body")
HEADLINE_FIELDS = ("title_f",)  # where a real-word error's correction must stand (see Speller.real_word)
RARE = 3  # a folded syllable in fewer articles than this is suspect
BETTER = 20  # a candidate must be in this many times more articles
MAX_CANDIDATES = 12  # checked against the context, the most common first
MAX_SUSPECTS = 3  # syllables of one query corrected at most, the first ones (each costs ~25 phrase lookups)
CONTEXT = 2  # neighbours either side that decide how a corrected syllable is written
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
# The keys around each key of a QWERTY keyboard: beside it on its row, and the two it touches on
# the rows above and below (each row sits half a key right of the one above it).
_NEAR = {
    key: "".join(
        [row[i - 1 : i], row[i + 1 : i + 2]]
        + ([_ROWS[r - 1][i : i + 2]] if r else [])
        + ([_ROWS[r + 1][max(0, i - 1) : i + 1]] if r + 1 < len(_ROWS) else [])
    )
    for r, row in enumerate(_ROWS)
    for i, key in enumerate(row)
}
SLIP = 1.0  # a likely slip of the fingers (see _edits)
STRAY = 0.05  # an edit no slip explains: a twentieth as likely
AS_TYPED = 20.0  # a word no syllable is, typed as meant: twenty times likelier than a given slip
MARK = 1.0  # a syllable's letters as typed, one of its marks a slip: as likely as a slip of a letter
UNWRITTEN_SHARE = 0.01  # a syllable written as typed in fewer than this share of its letters' uses: a slip
_HATS = frozenset("\u0302\u0306\u031b")  # circumflex, breve, horn (NFD)
_TONES = frozenset("\u0301\u0300\u0309\u0303\u0323")  # acute, grave, hook, tilde, dot below (NFD)
ODD_SHARE = 0.01  # such a word in fewer than this share of the articles may be a typo
_TELEX_TONES = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
_TELEX_LETTERS = (("uow", "ươ"), ("aa", "â"), ("aw", "ă"), ("ee", "ê"), ("oo", "ô"), ("ow", "ơ"), ("uw", "ư"))


@dataclass
class _Candidate:
    syllables: tuple[str, ...]  # folded, or accented when Telex said which marks
    frequency: int  # articles holding it (a cut: its rarer word), to rank candidates before context
    likely: float = SLIP  # how likely the reader's fingers typed the query for it (see _edits)
    context: int = 0  # occurrences beside the query's neighbouring words
    fit: float = 0.0  # log of how likely it stands where it was typed (see Speller._fit)

    @property
    def score(self) -> float:
        # The noisy channel: log P(typed | candidate) + log P(candidate, in its place).
        return self.fit + math.log(self.likely)


class Speller:
    """Corrects the syllables of a query that the index hardly knows."""

    def __init__(self, vocabulary: Vocabulary, max_chars: int = 40) -> None:
        self.vocabulary = vocabulary
        # A syllable has at most 7 letters; its one-edit variants grow with its length (a
        # 910-letter word made 48,000 of them: 668 ms and 100 MB), and nothing that long is a typo.
        self.max_chars = max_chars

    def correct(
        self, occ: Occurrences, unigrams: UnigramCache, parsed: ParsedQuery, deadline: Deadline = NONE
    ) -> list[str] | None:
        """What to write for each positive syllable of *parsed* (a word may become two), or None
        (also when *deadline* passes first: a suggestion is not worth holding the worker)."""
        clauses = parsed.clauses
        words = [s for c in clauses for s in c.syllables]
        frozen = [c.prefix or c.exact for c in clauses for _ in c.syllables]
        if not words or len(words) > 32:
            return None
        vocabulary = self.vocabulary.segments(occ.view)
        folded = [fold(w) for w in words]
        fixed: list[tuple[str, ...] | None] = [None] * len(words)
        typed = [word for c in clauses for word in _as_typed(c)]
        suspects = 0
        cap = max(RARE, ODD_SHARE * occ.view.live_count)
        for i, syllable in enumerate(folded):
            if frozen[i] or len(syllable) > self.max_chars or not syllable.isalpha():
                continue
            frequency = word_frequency(occ, syllable)
            # A word no syllable is (mt, ch, tie) that the index holds now and then: a typo
            # there too, or a code or a name (GTVT, Trump), which it keeps if it reads better.
            # Not a lone letter: an initial (Lê Văn T.), and a query of them is a probe.
            odd = RARE <= frequency < cap and len(syllable) > 1 and not may_be_syllable(syllable)
            # A syllable typed with diacritics as nothing writes it, its letters another word's.
            marked = False
            if frequency >= RARE and not odd:
                marked = has_diacritics(words[i]) and self._unwritten(
                    occ, unigrams, words[i], frequency, typed[i][:1].isupper()
                )
                if not marked:
                    continue
            suspects += 1
            if suspects > MAX_SUSPECTS or deadline.expired():
                break
            if marked:
                left = _accented_neighbour(words, fixed, i - 1)
                right = words[i + 1] if i + 1 < len(words) else None
                best = self._best_written(occ, vocabulary, unigrams, words, i, left, right)
            else:
                left = fold((fixed[i - 1] or (folded[i - 1],))[-1]) if i else None
                right = folded[i + 1] if i + 1 < len(folded) else None
                best = self._best(occ, vocabulary, syllable, left, right, keep=odd)
            if best is not None:
                fixed[i] = best
        if not any(fixed) or deadline.expired():
            return None
        return self._accented(occ, unigrams, typed, folded, fixed)

    @staticmethod
    def _unwritten(occ: Occurrences, unigrams: UnigramCache, word: str, frequency: int, capital: bool) -> bool:
        """Whether *word*, typed with diacritics, its letters a syllable in *frequency* articles,
        is written so almost nowhere (``nớc``, ``khẻ``, ``chàp``): a slip of a letter that left
        another word's letters (*nóc*, *khe*, *chấp*), or of a mark.  A word typed with a capital
        is a name, the reader's own, however rarely written (*Thạnh*), unless nothing writes it."""
        share = 0.0 if capital else UNWRITTEN_SHARE
        return unigrams.uses(occ, word) < max(RARE, share * frequency)

    def _best_written(
        self,
        occ,
        vocabulary,
        unigrams: UnigramCache,
        words: list[str],
        at: int,
        left: str | None,
        right: str | None,
    ) -> tuple[str, ...] | None:
        """The likeliest word the reader meant by ``words[at]``, a syllable with diacritics that
        the archive hardly writes (see :meth:`_unwritten`), between *left* and *right*, the words
        before and after it; None when nothing fits.  The noisy channel of :meth:`_best` over
        the written forms: one slip away is one letter (:func:`_edits`, its marks as typed) or
        one mark (the tone, or the hat, horn or breve: ``khò`` is *khó*, ``xộ số`` is *xổ số*),
        and each candidate's fit is read from the accented texts, so the marks typed beside it
        choose among forms of the same letters.  A letter wins over the best mark only where
        it makes the whole query a phrase as often (``trồng người hày gieo``: *này* beside
        *người*, but the headline is *hãy gieo*)."""
        typed = words[at]
        folded = fold(typed)
        uses = unigrams.uses(occ, typed)
        spellings = {folded: MARK}
        edits = [(e, chance) for e, chance in _edits(folded).items() if _known(vocabulary, e)]
        for edit, chance in sorted(edits, key=lambda ec: -word_frequency(occ, ec[0]) * ec[1])[:MAX_CANDIDATES]:
            spellings[edit] = chance
        options = [
            _Candidate((form,), count, chance)
            for spelled, chance in spellings.items()
            for form, count in unigrams.forms(occ, spelled)[:-1]
            if count >= max(RARE, BETTER * uses) and (spelled != folded) + _mark_distance(typed, form) == 1
        ]
        ranked = sorted(options, key=lambda c: -c.frequency * c.likely)[:MAX_CANDIDATES]
        if not ranked:
            return None
        for candidate in ranked:
            self._fit(occ, candidate, left, right, unigrams)
        if (left or right) and len(ranked) > 1 and not any(c.context for c in ranked):
            return None
        best = max(ranked, key=lambda c: c.score).syllables
        # Only a mark slipped: the query respelled as the archive writes it (Helpers.respelled)
        # reads the letters typed in a wider context than the neighbours weighed here.
        if fold(best[0]) == folded:
            return None
        marks = [c for c in ranked if fold(c.syllables[0]) == folded]
        if marks and len(words) > 2:
            mark = max(marks, key=lambda c: c.score).syllables

            def whole(word: tuple[str, ...]) -> int:
                return phrase_count(occ, [*words[:at], *word, *words[at + 1 :]], ACCENTED_FIELDS)

            if whole(mark) > whole(best):
                return None
        return best

    def real_word(
        self, occ: Occurrences, unigrams: UnigramCache, parsed: ParsedQuery, deadline: Deadline = NONE
    ) -> list[str] | None:
        """A real-word error (Mays, Damerau and Mercer, 1991): every syllable of *parsed* is one
        the index holds, but a slip of the fingers made one of them another real syllable
        (``tong thong pha kho`` for *phap*, ``cuoc song cu co giao`` for *cua*), which
        :meth:`correct` cannot see.  The searcher asks only for a short query whose words stand
        side by side in no article it matches (:meth:`search.helpers.Helpers.did_you_mean`).

        The suspects are the syllables beside a link no title holds (the pair side by side),
        not typed with a capital (a name: the reader's own, as in
        :meth:`search.helpers.Helpers.confident`); each is tried as its commonest slips
        (:data:`SLIP`), and the one that makes the whole query a headline, in the titles most
        often, wins.  None when no slip does.  Titles, not bodies: a run of three common
        syllables is somewhere in the bodies of 10,000 articles by chance (``lui tien dung``
        for the name *Lưu Tiến Dũng*, which news-00 does not hold), a reader types a headline
        far more often than a line of a body, and titles' lists are short: asking the links
        of the bodies too found fewer slips (known items with a typo, MRR@10 0.821 against
        0.878 on news-00) at twice the cost (BENCHMARKS.md, thirty-third round)."""
        words = [s for c in parsed.clauses for s in c.syllables]
        if len(words) < 2 or not may_be_headline(parsed):
            return None
        vocabulary = self.vocabulary.segments(occ.view)
        folded = [fold(w) for w in words]
        broken = [phrase_count(occ, list(pair), HEADLINE_FIELDS) == 0 for pair in itertools.pairwise(folded)]
        best: tuple[int, int, str] | None = None  # (occurrences, position, the syllable meant)
        typed = [w for c in parsed.clauses for w in _as_typed(c)]
        suspects = [
            i
            for i, syllable in enumerate(folded)
            if ((i and broken[i - 1]) or (i < len(broken) and broken[i]))  # not held beside a neighbour
            and not typed[i][:1].isupper()
            and syllable.isalpha()
            and len(syllable) <= self.max_chars
        ]
        for i in suspects[:MAX_SUSPECTS]:
            if deadline.expired():
                break
            syllable = folded[i]
            slips = [e for e, chance in _edits(syllable).items() if chance == SLIP and _known(vocabulary, e)]
            for edit in sorted(slips, key=lambda e: -word_frequency(occ, e))[:MAX_CANDIDATES]:
                count = phrase_count(occ, [*folded[:i], edit, *folded[i + 1 :]], HEADLINE_FIELDS)
                if count and (best is None or count > best[0]):
                    best = (count, i, edit)
        if best is None or deadline.expired():
            return None
        fixed: list[tuple[str, ...] | None] = [None] * len(words)
        fixed[best[1]] = (best[2],)
        return self._accented(occ, unigrams, typed, folded, fixed)

    def commonest_slip(self, occ: Occurrences, word: str, besides: str = "") -> int:
        """Articles holding the commonest word a slip of the fingers (:data:`SLIP`) turns into
        *word*, other than *besides*: ``ohieu`` is *phieu* with the key beside ``p`` (0: none
        the index holds)."""
        if len(word) > self.max_chars:
            return 0
        vocabulary = self.vocabulary.segments(occ.view)
        slips = [e for e, chance in _edits(word).items() if chance == SLIP and e != besides and _known(vocabulary, e)]
        return max((word_frequency(occ, e) for e in slips), default=0)

    def _best(
        self, occ, vocabulary, syllable: str, left: str | None, right: str | None, keep: bool = False
    ) -> tuple[str, ...] | None:
        """The likeliest word the reader meant by *syllable* between *left* and *right*, or None;
        with *keep*, *syllable* itself is a candidate, :data:`AS_TYPED` times likelier typed so
        than any slip, and None when it wins."""
        frequency = word_frequency(occ, syllable)
        floor = max(RARE, BETTER * frequency)
        candidates = {}
        likely: dict[tuple[str, ...], float] = {}
        for edit, chance in _edits(syllable).items():
            if _known(vocabulary, edit):
                candidates[(edit,)] = word_frequency(occ, edit)
                likely[(edit,)] = chance
        for cut in range(2, len(syllable) - 1):
            head, tail = syllable[:cut], syllable[cut:]
            if _fragment(head) or _fragment(tail):
                continue  # "conn" is no "co nn", "khing" no "khi ng" (but "bogtvt" is "bo gtvt")
            if _known(vocabulary, head) and _known(vocabulary, tail):
                candidates[(head, tail)] = min(word_frequency(occ, head), word_frequency(occ, tail))
        typed = telex(syllable)
        if typed is not None:
            written = sum(occ.doc_frequency(field, typed) for field in ACCENTED_FIELDS)
            if written:
                candidates[(typed,)] = written + floor  # the keys said which marks: trust them
        ranked = sorted(
            (_Candidate(k, v, likely.get(k, SLIP)) for k, v in candidates.items() if v >= floor),
            key=lambda c: -c.frequency * c.likely,
        )[:MAX_CANDIDATES]
        if not ranked:
            return None
        if keep:
            ranked.append(_Candidate((syllable,), frequency, AS_TYPED))
        for candidate in ranked:
            self._fit(occ, candidate, left, right)
        if (left or right) and len(ranked) > 1 and not any(c.context for c in ranked):
            return None  # nothing fits the context: better no correction than a guess
        best = max(ranked, key=lambda c: c.score).syllables
        return None if best == (syllable,) else best

    @staticmethod
    def _fit(
        occ: Occurrences,
        candidate: _Candidate,
        left: str | None,
        right: str | None,
        unigrams: UnigramCache | None = None,
    ) -> None:
        """Set *candidate*'s context and fit: the log of a bigram estimate, from the index's
        counts, of its syllables standing between the words typed before and after them, P(first
        | before) x P(next | first)... x P(after | last), each P(b | a) counted as the pair's
        occurrences over a's articles (the word before's own count is the same for every
        candidate, and left out; with no word before, the first's articles stand for P(first)).
        A cut is two words, and its own pair must be held too: ``treen`` is no *trẻ en*.
        With *unigrams*, the syllables and their neighbours are counted as written, in the
        accented texts (a syllable's articles as :meth:`UnigramCache.uses` counts them)."""
        fields = CONTEXT_FIELDS if unigrams is None else ACCENTED_FIELDS
        if unigrams is None:
            words = [fold(s) for s in candidate.syllables]
            counts = [word_frequency(occ, s) for s in words]
        else:
            words = list(candidate.syllables)
            counts = [unigrams.uses(occ, s) for s in words]
        fit = math.log1p(counts[0])
        if left:
            before = phrase_count(occ, [left, words[0]], fields)
            candidate.context += before
            fit = math.log(before + 0.5)
        for (a, b), count in zip(itertools.pairwise(words), counts, strict=False):
            fit += math.log(phrase_count(occ, [a, b], fields) + 0.5) - math.log1p(count)
        if right:
            after = phrase_count(occ, [words[-1], right], fields)
            candidate.context += after
            fit += math.log(after + 0.5) - math.log1p(counts[-1])
        candidate.fit = fit

    def _accented(self, occ, unigrams, words, folded, fixed) -> list[str]:
        """Restore diacritics on the corrected query, keeping the ones the reader typed."""
        sequence: list[str] = []
        owner: list[int] = []
        for i, replacement in enumerate(fixed):
            for syllable in replacement or (folded[i],):
                sequence.append(fold(syllable))
                owner.append(i)
        # A reader who types diacritics leaves a syllable bare on purpose (cho, ai, Alle), as
        # the search itself assumes: such a query gets no restored reading.
        typed_accents = any(has_diacritics(word) for word in words)
        kept = [_kept(word, replacement, typed_accents) for word, replacement in zip(words, fixed, strict=True)]
        # Beside words kept as typed, a reader who typed no capital gets none: "hà nộii" is
        # "hà nội", not "hà Nội" (the restored reading's capitals are those of the name).
        lower = typed_accents and not any(ch.isupper() for word in words for ch in word)
        restorer = Restorer(occ, unigrams)
        out: list[list[str]] = [[] for _ in words]
        for start, end in _windows([kept[i] is None for i in owner]):
            restored = restorer.restore(sequence[start:end]).display
            for i, shown in zip(owner[start:end], restored, strict=True):
                out[i].append(shown.lower() if lower else shown)
        return [word if word is not None else " ".join(out[i]) for i, word in enumerate(kept)]


def may_be_headline(parsed: ParsedQuery) -> bool:
    """Whether *parsed* is plain words, as a headline is typed: words ORed together are
    alternatives, and a quoted phrase or a prefix is what the reader chose.  (An abbreviation's
    long form, an alternative the searcher added, is not the reader's.)"""
    return all(len(g) == 1 for g in parsed.groups) and not any(c.prefix or c.exact for c in parsed.clauses)


def _as_typed(clause) -> list[str]:
    """The syllables of *clause* with the reader's capitals, where its text lines up with them."""
    tokens = clause.raw.split()
    if len(tokens) == len(clause.syllables) and all(
        t.lower() == s for t, s in zip(tokens, clause.syllables, strict=True)
    ):
        return tokens
    return list(clause.syllables)


def _kept(word: str, replacement: tuple[str, ...] | None, typed_accents: bool) -> str | None:
    """What stays of a query word as the reader or Telex wrote it, or None: restore it."""
    if replacement is None and (typed_accents or has_diacritics(word)):
        return word  # found as typed: the reader's own
    if replacement is not None and len(replacement) == 1 and has_diacritics(replacement[0]):
        return replacement[0]  # Telex said exactly which marks
    return None


def _windows(needed: list[bool]) -> list[tuple[int, int]]:
    """Stretches of a corrected query to restore: each syllable that needs its diacritics
    with up to :data:`CONTEXT` neighbours either side, overlapping stretches merged.

    A reader's question typed with diacritics and one typo needs one syllable back:
    restoring all twenty read every pair of them in the bodies (100 ms), and the
    reading of one syllable depends on its neighbours, not on the far end of the sentence.
    """
    windows: list[tuple[int, int]] = []
    for i, wanted in enumerate(needed):
        if not wanted:
            continue
        start, end = max(0, i - CONTEXT), min(len(needed), i + CONTEXT + 1)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def _known(vocabulary, word: str) -> bool:
    """Whether *word* is a folded syllable of the index (*vocabulary*: one set a segment)."""
    return any(word in terms for terms in vocabulary)


def _fragment(part: str) -> bool:
    """Two letters or one and no vowel: a piece of a syllable (``ng``, ``nn``), not a word; a
    code the texts write is longer (``HCM``, ``GTVT``)."""
    return len(part) <= 2 and not any(ch in "aeiouy" for ch in part)


def word_frequency(occ: Occurrences, folded: str) -> int:
    return sum(occ.doc_frequency(field, folded) for field in FREQUENCY_FIELDS)


def _mark_distance(typed: str, form: str) -> int:
    """Marks to change to write *typed*'s letters as *form* writes them: its tone, and its set
    of hats, horns, breves and the stroke of ``đ`` (one slip of the fingers however many letters
    bear them: ``uow`` in Telex is ``ươ``)."""

    def marks(word: str) -> tuple[frozenset[str], str]:
        decomposed = unicodedata.normalize("NFD", word)
        hats = frozenset(ch for ch in decomposed if ch in _HATS) | ({"đ"} if "đ" in word else frozenset())
        return hats, "".join(ch for ch in decomposed if ch in _TONES)

    (hats, tone), (other_hats, other_tone) = marks(typed), marks(form)
    return (hats != other_hats) + (tone != other_tone)


def _accented_neighbour(words: list[str], fixed: list[tuple[str, ...] | None], i: int) -> str | None:
    """The word before a suspect as corrected so far, where it is written with its marks."""
    if i < 0:
        return None
    word = (fixed[i] or (words[i],))[-1]
    return word if fixed[i] is None or has_diacritics(word) else None


def phrase_count(occ: Occurrences, words: list[str], fields: tuple[str, ...] = CONTEXT_FIELDS) -> int:
    """Occurrences of *words* side by side in *fields* (folded ones unless told)."""
    return sum(int(occ.phrase(field, words).size) for field in fields)


def _edits(word: str) -> dict[str, float]:
    """Every string one edit from *word* (Norvig's edits1, over a-z), each with how likely a
    reader's fingers are to have made that edit: the noisy channel of Kernighan, Church and Gale
    (1990), reduced to two classes.  Keys pressed in the wrong order, twice, or beside the one
    meant, and a key left out, are :data:`SLIP`; a letter from elsewhere on the keyboard put in or
    swapped for another, :data:`STRAY` (``qau`` is *qua* typed in the wrong order far more likely
    than *sau* with a ``q`` for an ``s``, which sits two keys away)."""
    found: dict[str, float] = {}

    def add(candidate: str, likely: float) -> None:
        if candidate and candidate != word and found.get(candidate, 0.0) < likely:
            found[candidate] = likely

    for i in range(len(word) + 1):
        head, tail = word[:i], word[i:]
        if tail:
            # The reader typed tail[0] too many: pressed twice, or beside a neighbour's key.
            beside = (head[-1:] or tail[1:2], tail[1:2])
            extra = any(tail[0] == n or tail[0] in _NEAR.get(n, "") for n in beside if n)
            add(head + tail[1:], SLIP if extra else STRAY)
            for c in _LETTERS:  # the reader typed tail[0] for c
                add(head + c + tail[1:], SLIP if tail[0] in _NEAR.get(c, "") else STRAY)
        if len(tail) > 1:
            add(head + tail[1] + tail[0] + tail[2:], SLIP)
        for c in _LETTERS:  # the reader left c out
            add(head + c + tail, SLIP)
    return found


def telex(word: str) -> str | None:
    """The syllable Telex keystrokes *word* stand for (``dduowcj`` -> ``được``), or None."""
    if not word.isascii() or not word.isalpha():
        return None
    tone = ""
    if len(word) > 2 and word[-1] in _TELEX_TONES:
        tone, word = _TELEX_TONES[word[-1]], word[:-1]
    letters = word
    if letters.startswith("dd"):
        letters = "đ" + letters[2:]
    for keys, letter in _TELEX_LETTERS:
        letters = letters.replace(keys, letter)
    if (letters == word and not tone) or "w" in letters or not any(fold(ch) in "aeiouy" for ch in letters):
        return None
    if tone:
        first = next(i for i, ch in enumerate(letters) if fold(ch) in "aeiouy")
        decomposed = unicodedata.normalize("NFD", letters[: first + 1]) + tone + letters[first + 1 :]
        letters = unicodedata.normalize("NFC", decomposed)
    return canonical_syllable(letters)
