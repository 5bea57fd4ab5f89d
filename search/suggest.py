"""Suggestions as the reader types: ``ban dan v`` -> ``Ban Dân vận Trung ương``, ``Ban Dân vận``...

A prefix is the words typed so far, the last one maybe unfinished.  Its
completions are found in the index's own text, diacritics optional:

1. the unfinished word's possible endings are the index's folded syllables
   that start with it (:mod:`search.vocabulary`), the most frequent first; with
   words before it, those endings are kept that follow those words somewhere
   (positions of titles and summaries, bodies only when those have none);
2. the phrase (typed words + ending) is read where it occurs -- titles first,
   then summaries, then a few bodies (:mod:`search.occurrences`) -- together
   with up to three following words, stopping at punctuation;
3. each reading, and each reading extended by one to three words, is a
   candidate, counted over the sightings; an extension that nearly always goes
   on with the same next word is dropped for that longer one (``Ban Dân vận
   Trung`` gives way to ``Ban Dân vận Trung ương``), and diacritics the reader
   did type must match (an ending typed with them is read in the accented views,
   so ``Trần Thị Phượ`` finds *Phượng* among a thousand *Phương*);
4. where nothing goes on as typed, a long prefix's oldest words are kept as typed and
   the rest completed (``tin moi ve`` + ``Ban Dân vận``); a prefix of two words or
   fewer, a name most often, is completed as a whole or not at all, unless what is
   being typed begins no Vietnamese syllable (``tin tuc covi`` + ``Covid 19``).

Candidates are written with the capitals most sightings give them mid-sentence
(``Hà Nội``, ``Ban Dân vận``), as accent restoration does.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from index.analysis import SYLLABLE_RE, canonical_syllable, fold, has_diacritics, normalize, syllables
from search.occurrences import POSITION_BITS, Occurrences, Sighting
from search.restore import UnigramCache, capitals, variants_beginning
from search.typing import is_vietnamese_syllable, may_begin_syllable
from search.vocabulary import Vocabulary

MAX_AFTER = 3  # words a suggestion may add after the typed ones
CONTEXT = 4  # finished words looked up together with the unfinished one
# Where nothing goes on as typed, the oldest typed words are dropped from the context and kept
# as typed (``tin moi ve | ban dan v``), but not in a prefix of this many finished words or
# fewer: a name nobody wrote got a common pair that merely followed its first word, ``nguyen
# tâm thần`` for ``nguyen tam than``.  (A longer query, a reader's question, keeps the back-off:
# without it, the word being typed was completed at 6 points fewer of its keystrokes.)
BACKOFF_CONTEXT = 2
ENDINGS = 16  # endings of the unfinished word considered, the most frequent first
HEADS = 2  # endings actually read in the text
SAMPLE = 16  # sightings read per phrase
ENOUGH = 6  # sightings that make reading bodies (slow) unnecessary
BODIES = 4  # at most this many bodies read per phrase
KEEP_RATIO = 0.75  # an extension followed this often by the same word gives way to the longer one
MIN_EXTENSION = 2  # sightings an extension needs (once is an accident of one text)
WHOLE_WORD = 3.0  # preference for readings whose last word is all the reader typed (van, not vành)
# Where phrases are looked for, the cheap fields first: headlines and leads are what
# readers search for, and their positions are a fraction of the bodies'.
HEADLINES = ("title", "summary")
FIELDS = (*HEADLINES, "body")
HEADLINE_F = ("title_f", "summary_f", "captions_f")  # the folded views the vocabulary reads
COUNTS_KEPT = 20_000  # phrase counts remembered between keystrokes


class Suggester:
    """Completes prefixes from the index's text (see the module docstring)."""

    def __init__(self, vocabulary: Vocabulary, unigrams: UnigramCache):
        self.vocabulary = vocabulary
        self.unigrams = unigrams
        # Keystroke after keystroke the same context is tried with the same endings.
        self._counts: dict[tuple, int] = {}

    def index_changed(self) -> None:
        self._counts.clear()

    def _count(self, occ: Occurrences, words: list[str], fields: tuple[str, ...]) -> int:
        key = (tuple(words), fields)
        found = self._counts.get(key)
        if found is None:
            if len(self._counts) >= COUNTS_KEPT:
                self._counts.clear()
            found = self._counts[key] = sum(int(occ.where(field, words).size) for field in fields)
        return found

    def suggest(self, occ: Occurrences, prefix: str, limit: int) -> list[str]:
        text = normalize(prefix or "")
        words = syllables(text)
        if not words:
            return []
        unfinished = bool(SYLLABLE_RE.search(text[-1:]))
        finished = words[:-1] if unfinished else words
        partial = words[-1] if unfinished else None
        # Long prefixes: look up the last few finished words, keep the others as typed.
        kept = max(0, len(finished) - CONTEXT)
        while True:
            context = finished[kept:]
            sightings = self._sightings(occ, context, partial)
            if sightings or not context or len(finished) <= BACKOFF_CONTEXT:
                break
            kept += 1  # nothing goes on like this: drop the oldest word from the context
        if not sightings and context and partial is not None and not may_begin_syllable(partial):
            # A short prefix followed by no word of the language (tin tuc | covi): that word is
            # completed alone, as the typed words' sequel is no guess at a name's next syllable.
            kept, context = len(finished), []
            sightings = self._sightings(occ, context, partial)
        start = _typed_words(text, kept)
        out, seen = [], set()
        for shown in self._candidates(occ, sightings, context, partial):
            full = f"{start} {shown}" if start else shown
            if full.lower() not in seen:
                seen.add(full.lower())
                out.append(full)
            if len(out) >= limit:
                break
        return out

    def _sightings(self, occ: Occurrences, context: list[str], partial: str | None) -> list[tuple[Sighting, int]]:
        """Sightings of what was typed, each with the number of typed words it covers."""
        # Diacritics typed must match (the accented views); words typed without may have any.
        folded = [w if has_diacritics(w) else fold(w) for w in context]
        found: list[tuple[Sighting, int]] = []
        if partial is None:
            if folded:
                found = [(s, len(folded)) for s in self._read(occ, folded)]
            return found
        ending, size = fold(partial), len(folded) + 1
        seen = set()
        if folded:
            # Where the finished words occur, which go on with the unfinished one?
            for s in self._read(occ, folded, extra=1):
                goes_on = len(s.tokens) > len(folded) and not s.breaks[len(folded) - 1]
                if (
                    goes_on
                    and fold(s.tokens[len(folded)].canonical).startswith(ending)
                    and _agrees(s.canonical, context, partial)
                ):
                    found.append((s, size))
                    seen.add((s.field, s.doc, s.tokens[0].start))
        # The unfinished word's likely endings: common words hide behind a common
        # context, and a variety of endings reads better than one.
        endings = [t for t, _ in self.vocabulary.completions(occ.view, ending, ENDINGS)]
        if ending not in endings and occ.doc_frequency("body_f", ending):
            endings.append(ending)  # a word only bodies hold (the vocabulary has no bodies)
        # Each ending is read as typed: folded, or where the reader typed diacritics ("đứ" may
        # end as đức or đứng, not as được) its forms that begin so, in the accented views.
        as_typed = has_diacritics(partial)
        forms = self._accented(occ, endings, partial) if as_typed else {t: [t] for t in endings}
        following = (s.tokens[len(folded)].canonical for s, _ in found)
        read = Counter(word if as_typed else fold(word) for word in following)
        heads = 0
        for term in self._following(occ, folded, list(forms)) if folded else iter(forms):
            if heads >= HEADS:
                break
            unseen = [form for form in forms[term] if read[form] < ENOUGH // 2]  # else seen enough
            fresh = [
                (s, size)
                for form in unseen
                for s in self._read(occ, [*folded, form])
                if (s.field, s.doc, s.tokens[0].start) not in seen and _agrees(s.canonical, context, partial)
            ]
            found += fresh
            heads += bool(fresh)
        return found

    @staticmethod
    def _accented(occ: Occurrences, endings: list[str], partial: str) -> dict[str, list[str]]:
        """The folded *endings* that some form beginning as *partial* was typed (with its
        diacritics) is found for, with those forms, the most frequent in titles and summaries
        first (then in bodies).  Read as typed, not sampled among the folded ending's: a
        sample of ``trần thị phuong`` is all *Phương*, and for ``Trần Thị Phượ`` the rarer
        *Phượng* went unseen.  The endings come in the order of their commonest form
        (``đứ``: đứng, đức before the ``đứ`` of *đứ đừ*, though ``du`` is the commonest folded)."""
        weight: dict[str, tuple[int, int]] = {}  # (titles and summaries, else bodies) a form
        found: dict[str, list[str]] = {}
        for ending in endings:
            for form in variants_beginning(ending, partial):
                headlines = sum(occ.doc_frequency(field, form) for field in HEADLINES)
                weight[form] = (headlines, headlines or occ.doc_frequency("body", form))
                if weight[form][1]:
                    found.setdefault(ending, []).append(form)
        for forms in found.values():
            forms.sort(key=weight.__getitem__, reverse=True)
        return dict(sorted(found.items(), key=lambda item: weight[item[1][0]], reverse=True))

    def _read(self, occ: Occurrences, folded: list[str], extra: int = 0) -> list[Sighting]:
        # One word more than a suggestion may add: to see whether the phrase goes on.
        return occ.sample(
            folded, FIELDS, limit=SAMPLE, max_after=extra + MAX_AFTER + 1, body_limit=BODIES, enough=ENOUGH
        )

    def _following(self, occ: Occurrences, folded: list[str], endings: list[str]):
        """The *endings* found right after *folded*, the most often first: those titles and
        summaries hold, then (counted only if the caller goes on) those only bodies hold."""
        counted = {t: self._count(occ, [*folded, t], HEADLINES) for t in endings}
        yield from (t for t, n in sorted(counted.items(), key=lambda p: -p[1]) if n)
        rest = {t: self._count(occ, [*folded, t], ("body",)) for t, n in counted.items() if not n}
        yield from (t for t, n in sorted(rest.items(), key=lambda p: -p[1]) if n)

    def _candidates(
        self, occ: Occurrences, sightings: list[tuple[Sighting, int]], context: list[str], partial: str | None
    ) -> list[str]:
        docs: dict[tuple[str, ...], set[int]] = defaultdict(set)
        seen_in: dict[tuple[str, ...], list[Sighting]] = defaultdict(list)
        heads: dict[tuple[str, ...], set[int]] = defaultdict(set)
        for sighting, size in sightings:
            words = sighting.canonical
            if not _agrees(words, context, partial):
                continue
            heads[_head(words, context, size)].add(sighting.doc)
            for end in range(size, min(len(words), size + MAX_AFTER) + 1):
                if end > size and sighting.breaks[end - 2]:
                    break  # punctuation: the phrase ended
                if not _cuts_name(sighting, end) and not _initial(words[end - 1]):
                    docs[words[:end]].add(sighting.doc)
                    seen_in[words[:end]].append(sighting)
        if not docs:
            return self._fallback(occ, context, partial)
        # Articles, not sightings (one article repeating a phrase is one voice), and
        # scaled from the sample to all articles holding the typed words.
        totals = {head: _articles(occ, list(head)) for head in heads}
        size = len(context) + (partial is not None)
        # With the input method on (diacritics typed), a bare word being typed is all that was
        # typed only as itself: "biên giới vi" may go on as vì as much as Việt.
        marks = partial is not None and (has_diacritics(partial) or any(has_diacritics(w) for w in context))
        counts, estimates = {}, {}
        for words, found in docs.items():
            head = _head(words, context, size)
            counts[words] = len(found)
            estimates[words] = max(totals[head], len(heads[head])) * len(found) / len(heads[head])
            if partial is not None and whole_word(words[size - 1], partial, marks):
                estimates[words] *= WHOLE_WORD  # "dan van": the reader may have typed the whole word
        children: dict[tuple[str, ...], int] = {}
        for words, count in counts.items():
            if len(words) > size and count >= MIN_EXTENSION:  # only children that will be shown
                parent = words[:-1]
                children[parent] = max(children.get(parent, 0), count)
        kept = []
        for words, count in counts.items():
            if len(words) > size and count < MIN_EXTENSION:
                continue
            if (len(words) > size or partial is not None) and children.get(words, 0) >= KEEP_RATIO * count:
                continue  # "Ban Dân vận Trung", "cải cách hành": nearly always go on the same way
            kept.append((-estimates[words], len(words), words))
        if not kept:  # everything seen once: a rare phrase, or a name (Bamboo Airways) completed
            kept = [(-estimates[w], -len(w), w) for w in counts]
        kept.sort()
        return [" ".join(capitals(list(words), seen_in[words])) for _, _, words in kept]

    def _fallback(self, occ: Occurrences, context: list[str], partial: str | None) -> list[str]:
        """Nothing read: the commonest words the unfinished one may become."""
        if partial is None or context:
            return []
        endings = self.vocabulary.completions(occ.view, fold(partial), 3 * ENDINGS)
        # The vocabulary keeps the terms of deleted articles (until a merge): only live ones count.
        live = [t for t, _ in endings if any(occ.view.live[occ.view.term_docs(f, t)[0]].any() for f in HEADLINE_F)]
        return [self.unigrams.best(occ, t)[0] for t in live[:3]]


def _cuts_name(sighting: Sighting, end: int) -> bool:
    """Ending at *end* would cut a name in two (``Thành ủy Đà`` | ``Nẵng``)."""
    if end >= len(sighting.tokens) or sighting.caseless or sighting.breaks[end - 1]:
        return False
    last, after = sighting.tokens[end - 1].original, sighting.tokens[end].original
    return last[:1].isupper() and after[:1].isupper() and not sighting.initial[end - 1]


def _initial(word: str) -> bool:
    """A lone letter no syllable is (the *L* of ``Trần Đức L.``, the *T* of ``Dân vận T.Ư``): an
    initial or an abbreviation cut, no word to end a suggestion on, where ``ở`` or ``ý`` is (and
    a digit is a number: ``quận 1``, ``bão số 9``)."""
    return len(word) == 1 and word.isalpha() and not is_vietnamese_syllable(word)


def _head(words: tuple[str, ...], context: list[str], size: int) -> tuple[str, ...]:
    """The typed part of a reading as it was looked up: diacritics only where typed."""
    return tuple(w if k < len(context) and has_diacritics(context[k]) else fold(w) for k, w in enumerate(words[:size]))


def _articles(occ: Occurrences, words: list[str]) -> int:
    """Articles holding *words* in a title or summary (else in a body)."""
    for fields in (HEADLINES, ("body",)):
        docs = set()
        for field in fields:
            docs.update((occ.where(field, words) >> POSITION_BITS).tolist())
        if docs:
            return len(docs)
    return 0


def whole_word(word: str, partial: str, marks: bool) -> bool:
    """Whether *word* is all the reader typed of it, *partial*: the same letters, and with
    *marks* (the input method on) the same diacritics too."""
    if marks:
        return word.lower() == canonical_syllable(partial).lower()
    return fold(word) == fold(partial)


def _agrees(words: tuple[str, ...], finished: list[str], partial: str | None) -> bool:
    """The diacritics the reader typed are the ones of *words*."""
    for typed, word in zip(finished, words, strict=False):
        if has_diacritics(typed) and typed != word:
            return False
    if partial is not None and has_diacritics(partial) and len(words) > len(finished):
        word = words[len(finished)]
        return word.startswith(partial) or word.startswith(canonical_syllable(partial))
    return True


def _typed_words(text: str, count: int) -> str:
    """The first *count* words of *text*, as typed."""
    if count <= 0:
        return ""
    matches = list(SYLLABLE_RE.finditer(text))
    return text[: matches[count - 1].end()] if count <= len(matches) else text
