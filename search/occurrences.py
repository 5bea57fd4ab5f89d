"""Where a sequence of folded syllables occurs in the index, and what the text says there.

Accent restoration, spelling and suggestions all ask the same two questions of
the index's own text: *does* ``dan van`` occur as a phrase, and *how is it
written* where it does (``dân vận``, ``Dân vận``, ``dân văn``...)?

The first is answered from the folded views' positions (``title_f``,
``body_f``...), decoded and cached by :mod:`search.postings`; a phrase is a
chain of adjacent positions, found by probing the rarest term's positions into
the others' (sorted keys, ``numpy.searchsorted``), so the cost follows the
rarest syllable.  The second reads the stored text of a small sample of the
occurrences and walks its syllables exactly as the analyzer did when indexing
(same regular expression, same normalisation), so a position in the index is a
syllable in the text.  No statistics are computed ahead of time: nothing to
rebuild when the index changes, and nothing held in memory but the posting
cache the search already has.
"""

from __future__ import annotations

import copy
import itertools
import re
import sys
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from index.analysis import INVISIBLE, STRING_CACHE, canonical_syllable, fold, has_diacritics, is_syllable, normalize
from search.lru import ByteLRU
from search.postings import ENTRY_BYTES
from search.segments import POSITION_BITS, IndexView, intersect_sorted

_POSITION_MASK = (1 << POSITION_BITS) - 1
_SHIFT = np.uint64(POSITION_BITS)
# Where the stored text of a field is, and how much a hit there is worth as evidence
# of how people write a phrase: titles are edited with care and are what readers
# search for; bodies are long and plentiful.
FIELDS = ("title", "summary", "captions", "author", "body")
CHEAP_FIELDS = ("title", "summary", "captions", "author")
# Characters after which a capital letter says nothing (a sentence or line starts).
_SENTENCE_END = set(".!?:;\"'“”‘’()[]…-–—|/\n\r\t•*>")
_BREAK = re.compile(r"[.!?:;,()\[\]\"“”…|/\n\r\t•–—]")
_EMPTY = np.zeros(0, dtype=np.int64)
_FAST_SYLLABLES = re.compile(rf"[\w\u0300-\u036f{INVISIBLE}]+")
# What can make a run of _FAST_SYLLABLES other than one syllable: an underscore, an invisible
# character, a combining mark (none in normalised text but a stray one between words).
_SPECIAL = re.compile(f"[_\u0300-\u036f{INVISIBLE}]")
FREQUENCIES_BYTES = 1 << 20  # document frequencies of one request (~150 bytes each), unless the caller keeps them
_CASE_SAMPLE = 40  # syllables looked at to tell whether a text is in Title Case or capitals


@dataclass
class Token:
    """One syllable of a stored text."""

    start: int
    end: int
    canonical: str  # lower case, canonical tone placement
    original: str  # as written (normalised), case kept


@dataclass
class Sighting:
    """A phrase seen in a text: its syllables as written, and what surrounds them."""

    field: str
    doc: int
    tokens: list[Token]  # the phrase's syllables, then any that follow up to max_after
    initial: list[bool]  # per token: starts a sentence or line (its capital means nothing)
    caseless: bool  # capitals say nothing here (a title in upper case or Title Case)
    breaks: list[bool]  # per token after the first: punctuation before it

    @property
    def canonical(self) -> tuple[str, ...]:
        return tuple(t.canonical for t in self.tokens)

    def proper(self, length: int) -> bool:
        """The first *length* syllables are written as a name: each with a capital, mid-text, and
        not all in capitals (a heading or an acronym's letters: ``LA GI`` is no name, and read
        as one it made ``... la gi`` *La Gi* instead of *là gì*)."""
        if self.caseless or length < 2:
            return False
        words = [t.original for t in self.tokens[:length]]
        return (
            all(w[:1].isupper() for w in words)
            and not all(w.isupper() for w in words)
            and not all(self.initial[1:length])
        )


class TextCache:
    """Stored texts already walked, kept across requests: short fields (titles, summaries...) and
    a few bodies apart, each within its budget in bytes (:class:`search.lru.ByteLRU`).

    A reader typing ``ban dan v`` one key at a time makes the suggester read the same texts
    again and again.  A walked title or summary is some 2-6 KB (text and syllable spans), a
    body ~50 KB, so bodies have their own budget and do not push the short texts out.
    """

    def __init__(self, max_bytes: int = 16 << 20, body_bytes: int = 3 << 20):
        self.short: ByteLRU[tuple[int, str], tuple] = ByteLRU(max_bytes, _text_size)
        self.bodies: ByteLRU[tuple[int, str], tuple] = ByteLRU(body_bytes, _text_size)

    def get(self, key: tuple[int, str]):
        return (self.bodies if key[1] == "body" else self.short).get(key)

    def put(self, key: tuple[int, str], value: tuple) -> None:
        (self.bodies if key[1] == "body" else self.short).put(key, value)


def _text_size(value: tuple) -> int:
    """Bytes of a walked text ``(text, spans, caseless, complete)``: the string and ~120 bytes a span."""
    return ENTRY_BYTES + sys.getsizeof(value[0]) + 120 * len(value[1])


def key_cache(max_bytes: int) -> ByteLRU[tuple[str, str], np.ndarray]:
    """Phrase keys of terms (``doc << 21 | position``), kept across requests: the posting cache
    keeps positions, this keeps them in the form phrases are found with, so consecutive
    keystrokes do not convert the same arrays again.  An empty array still costs its entry."""
    return ByteLRU(max_bytes, lambda keys: ENTRY_BYTES + keys.nbytes)


class Occurrences:
    """Phrase positions and stored texts of one index view, for the length of one request.

    Holds per-request memos (keys of terms, documents read), so one instance is
    made per query; the heavy data lives in the view's posting cache and the
    optional :class:`TextCache`.
    """

    def __init__(
        self,
        view: IndexView,
        searcher,
        texts: TextCache | None = None,
        keys: ByteLRU | None = None,
        frequencies: ByteLRU | None = None,
    ):
        self.view = view
        self.searcher = searcher  # Whoosh searcher, for stored fields
        self._keys: dict[tuple[str, str], np.ndarray] = {}
        self._phrases: dict[tuple, np.ndarray] = {}  # outside bodies: the same in every narrowing
        self._in_bodies: dict[tuple, np.ndarray] = {}
        self._shared_keys = keys if keys is not None else key_cache(0)
        self._stored: dict[int, dict] = {}
        self._texts: dict[tuple[int, str], tuple[str, list[tuple[int, int]], bool, bool]] = {}
        self._shared = texts if texts is not None else TextCache(0, 0)
        # Document frequencies: per request, or kept across requests by the caller (they
        # change only with the index); the speller asks for dozens per question.
        self._df: ByteLRU = ByteLRU(FREQUENCIES_BYTES, lambda _: 150) if frequencies is None else frequencies
        self.bodies = view.live  # the articles whose bodies phrases are looked for in (:meth:`within`)

    def within(self, bodies: np.ndarray) -> Occurrences:
        """These occurrences with phrases looked for only in the bodies of the articles of the
        boolean mask *bodies* (a long query's restoration: :func:`search.restore.likely_articles`);
        the other fields, texts and caches as here."""
        narrowed = copy.copy(self)
        narrowed.bodies = bodies
        narrowed._in_bodies = {}
        return narrowed

    # --- positions ---------------------------------------------------------------------

    def keys(self, field: str, term: str) -> np.ndarray:
        """Sorted ``doc << 21 | position`` of *term* in *field* (a folded view: ``body_f``)."""
        memo = (field, term)
        found = self._keys.get(memo)
        if found is None:
            found = self._shared_keys.get(memo)
        if found is None:
            found = self.view.term_keys([memo], self.view.live)[0]
            self._shared_keys.put(memo, found)
        self._keys[memo] = found
        return found

    def prefetch(self, field: str, terms: list[str]) -> None:
        """Decode the keys of every term of *terms* in *field* not yet known, in one batch."""
        missing = [t for t in dict.fromkeys(terms) if (field, t) not in self._keys]
        missing = [t for t in missing if not self._reuse((field, t))]
        if len(missing) < 2:
            return
        for term, keys in zip(missing, self.view.term_keys([(field, t) for t in missing], self.view.live), strict=True):
            self._keys[(field, term)] = keys
            self._shared_keys.put((field, term), keys)

    def _reuse(self, memo: tuple[str, str]) -> bool:
        found = self._shared_keys.get(memo)
        if found is not None:
            self._keys[memo] = found
        return found is not None

    def phrase(self, field: str, folded: list[str]) -> np.ndarray:
        """Start keys of the folded syllables *folded* side by side in *field* (a folded view)."""
        return self._phrase_starts([(field, t) for t in folded])

    def where(self, field: str, words: list[str]) -> np.ndarray:
        """Start keys of *words* side by side in a text *field*: a word with diacritics must
        have exactly those (the accented view), one without may have any (the folded view)."""
        return self._phrase_starts([(field if has_diacritics(w) else f"{field}_f", w) for w in words])

    def _phrase_starts(self, terms: list[tuple[str, str]]) -> np.ndarray:
        """Start keys of the phrase *terms* (each ``(field, term)``).  Outside bodies, where
        every term's keys in every article are at hand (kept across requests, :meth:`keys`;
        restoration decodes a stretch's at once, :meth:`prefetch`), by aligning them.
        Otherwise, and always in bodies, only in the articles holding every term and each of
        the phrase's pairs of frequent syllables (:meth:`IndexView.phrase_ends_of`): a common
        syllable has millions of positions in the bodies of 100,000 articles, and decoding
        them all took most of a restoration's time; in the summaries, deciding whether a
        query typed in lower case is a name (:func:`search.counting.looks_like_name`)
        decoded every article's keys of its syllables for a sample of eight.
        Where an accented syllable is in a pair, more articles hold the folded pair than the
        accented syllable: the pair only narrows, and the phrase found is the same.  A phrase
        folded throughout is chained from its pairs' own lists where the pair view keeps
        positions (index format 6, :meth:`IndexView.pair_cover`)."""
        if not terms:
            return _EMPTY
        memo = tuple(terms)
        in_bodies = len(terms) > 1 and all(field.startswith("body") for field, _ in terms)
        phrases = self._in_bodies if in_bodies else self._phrases
        found = phrases.get(memo)
        if found is not None:
            return found
        if len(terms) == 1 or (not in_bodies and all(t in self._keys or self._reuse(t) for t in terms)):
            found = _aligned([(at, self.keys(field, term)) for at, (field, term) in enumerate(terms)])
        else:
            among = self.bodies if in_bodies else self.view.live
            folded = terms[0][0].removesuffix("_f") + "_f"
            if self.view.pair_positions and all(field == folded for field, _ in terms):
                # Folded throughout: chained from the pairs' positions (IndexView.pair_cover).
                ends = self.view.phrase_ends(folded, [term for _, term in terms], among)
            else:
                view, pairs = self.view.phrase_pairs(folded, [fold(term) for _, term in terms])
                ends = self.view.phrase_ends_of(terms, among, [(view, pair) for _, pair in pairs])
            found = ends - (len(terms) - 1)
        phrases[memo] = found
        return found

    def doc_frequency(self, field: str, term: str) -> int:
        memo = (field, term)
        found = self._df.get(memo)
        if found is None:
            found = self.view.doc_frequency(field, term)
            self._df.put(memo, found)
        return found

    # --- texts -------------------------------------------------------------------------

    def text(self, doc: int, field: str, count: int) -> tuple[str, list[tuple[int, int]], bool]:
        """``(text, spans of its first *count* syllables or more, caseless)`` of a stored field.

        Syllables are walked only as far as needed: a body holds hundreds.
        """
        memo = (doc, field)
        found = self._texts.get(memo)
        if found is None:
            found = self._shared.get(memo)
        if found is None or (len(found[1]) < count and not found[3]):
            stored = self._stored.get(doc)
            if stored is None:
                stored = self.searcher.stored_fields(doc) or {}
                self._stored[doc] = stored
            text = stored.get(field) or ""
            if not isinstance(text, str):
                text = "\n".join(text)
            spans, complete = _spans(text, max(count, _CASE_SAMPLE))
            found = (text, spans, _caseless(text, spans), complete)
            self._texts[memo] = found
            self._shared.put(memo, found)
        return found[:3]

    def sighting(self, field: str, key: int, length: int, max_after: int = 0) -> Sighting | None:
        """The text at a phrase start *key* of *length* syllables in *field* (a stored field)."""
        doc, position = int(key) >> POSITION_BITS, int(key) & _POSITION_MASK
        text, spans, caseless = self.text(doc, field, position + length + max_after)
        if position + length > len(spans):
            return None  # the stored text and the index disagree: skip this one
        picked = [_token(text, start, end) for start, end in spans[position : position + length + max_after]]
        initial = [_starts_sentence(text, t.start) for t in picked]
        breaks = [bool(_BREAK.search(text, a.end, b.start)) for a, b in itertools.pairwise(picked)]
        return Sighting(field, doc, picked, initial, caseless, breaks)

    def sample(
        self,
        words: list[str],
        fields=FIELDS,
        limit: int = 12,
        max_after: int = 0,
        body_limit: int = 8,
        enough: int = 4,
    ) -> list[Sighting]:
        """Up to *limit* sightings of the phrase *words* (see :meth:`where`), the more telling
        fields first.

        Bodies are read only when the other fields gave fewer than *enough*
        sightings, and then at most *body_limit* of them: their positions are the
        most expensive to decode, and reading one means walking a long text up to
        the phrase, some fifty times the cost of a title.
        """
        found: list[Sighting] = []
        folded = tuple(fold(w) for w in words)
        for field in fields:
            if len(found) >= limit or (field == "body" and len(found) >= enough):
                break
            keys = self.where(field, words)
            wanted = limit - len(found)
            for key in spread(keys, min(wanted, body_limit) if field == "body" else wanted, self.view.columns.order):
                sighting = self.sighting(field, key, len(words), max_after)
                if sighting is not None and tuple(fold(c) for c in sighting.canonical[: len(words)]) == folded:
                    found.append(sighting)
        return found


def _aligned(parts: list[tuple[int, np.ndarray]]) -> np.ndarray:
    """Start keys where every ``(offset, keys)`` of *parts* has a key at start + offset:
    a phrase, or some of its terms at their places in it.  Probes go from the shortest list."""
    if any(keys.size == 0 for _, keys in parts):
        return _EMPTY
    parts = sorted(parts, key=lambda part: part[1].size)
    first, result = parts[0]
    if first:
        result = result[(result & _POSITION_MASK) >= first] - first
    for offset, keys in parts[1:]:
        if result.size == 0:
            break
        result = intersect_sorted(result + offset, keys) - offset
    return result


def spread(keys: np.ndarray, count: int, order: np.ndarray) -> list[int]:
    """At most *count* of *keys*, spread over the articles: the first by *order* (each
    document's ``search.columns.article_order``, a hash of its article's id), then by position.

    A hash scatters them over topics and dates as well as spreading them evenly over the
    index's order did, and every copy of the index picks the same ones, in the same order:
    spread by document number, two copies (cluster nodes, two builds), which can number
    articles differently, read different sightings and could restore a rare run differently
    (`nguyen van bon` as *Bôn* and *Bốn*: BENCHMARKS.md, issue 16's twenty-fourth round)."""
    if count <= 0 or keys.size == 0:
        return []
    # The hash's high bits above the position's: one comparable number an occurrence.
    place = (order[keys >> POSITION_BITS] >> _SHIFT << _SHIFT) | (keys & _POSITION_MASK).astype(np.uint64)
    if keys.size > count:
        chosen = np.argpartition(place, count - 1)[:count]
        keys, place = keys[chosen], place[chosen]
    return keys[np.argsort(place, kind="stable")].tolist()


def _spans(text: str, count: int) -> tuple[list[tuple[int, int]], bool]:
    """Where the first *count* of the analyzer's syllables are in *text*, and whether that is all.

    The same syllables as index.analysis.SYLLABLE_RE (so positions agree with the
    index), found with a simpler expression that is twice as fast: letters,
    digits, combining marks and invisible characters, then split at ``_`` (which
    the analyzer's expression excludes), and a run made only of invisible
    characters and combining marks is no syllable.  A text without any of those
    (nearly all) needs no check run by run.
    """
    if _SPECIAL.search(text) is None:  # nearly every article: each run is one syllable
        spans = [match.span() for match in itertools.islice(_FAST_SYLLABLES.finditer(text), count)]
        return spans, len(spans) < count
    spans = []
    for match in _FAST_SYLLABLES.finditer(text):
        start, end = match.span()
        if "_" in match.group():
            for part in re.finditer(r"[^_]+", match.group()):
                if is_syllable(part.group()):
                    spans.append((start + part.start(), start + part.end()))
        elif is_syllable(match.group()):
            spans.append((start, end))
        if len(spans) >= count:  # a run cut at "_" can add several: no more than asked
            return spans[:count], False
    return spans, True


def _token(text: str, start: int, end: int) -> Token:
    written, canonical = _normal(text[start:end])
    return Token(start, end, canonical, written)


@lru_cache(maxsize=STRING_CACHE)
def _normal(token: str) -> tuple[str, str]:
    written = token if token.isascii() else normalize(token)  # ASCII is already normal
    return written, canonical_syllable(written)


def _starts_sentence(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in " \u00a0":
        i -= 1
    return i < 0 or text[i] in _SENTENCE_END


def _caseless(text: str, spans: list[tuple[int, int]]) -> bool:
    """Capitals carry no information: the text is in upper case, or Title Case (many headlines)."""
    if len(spans) < 4:
        return False
    words = [text[a:b] for a, b in spans[:_CASE_SAMPLE] if text[a].isalpha()]
    capitals = sum(w[0].isupper() for w in words)
    return len(words) >= 4 and capitals > 0.6 * len(words)
