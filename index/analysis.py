"""Vietnamese text analysis, shared by indexing (``index/``) and querying (``search/``).

Everything that turns text into index terms lives here, so that a document and a
query are always analysed by the same code.  Three views of a text are produced:

* **accented syllables** -- lower case, NFC, one canonical tone-mark placement
  (``hoà`` and ``hòa`` both become ``hòa``), with positions and character
  offsets into the *original* text, for phrases, names and highlighting;
* **folded syllables** -- the accented view with every diacritic removed and
  ``đ`` folded to ``d`` (``Đồng`` -> ``dong``), for queries typed without
  diacritics;
* **pyvi words** -- pyvi's word segmentation (``dân_vận``), a ranking signal.

Canonical tone placement is the *classic* style (``hòa``, ``thúy``, ``ủy``,
``khỏe``): the tone sits on the first vowel of an open ``oa``/``oe``/``uy``.
It is the style of most current Vietnamese news sites (Baomoi in our corpus),
of the default settings of the common input methods, and of pyvi's own word
list (``thành_ủy``, ``hòa_bình``), so pyvi segments canonical text best.  The
other style (``hoà``, ``thuý``, ``uỷ``) is rewritten into it, and so is any
misplaced tone (``qúa`` -> ``quá``, ``gìa`` -> ``già``).

No stop words and no minimum token length: ``ở``, ``ý``, ``An`` and ``Tô`` are
words.  Whoosh's stock analyzers are unsuitable (they drop short tokens and
English stop words, and their accent folding mangles NFD input).

Analyzers are composed the Whoosh way, ``Tokenizer() | Filter() | Filter()``,
and live in this importable module because Whoosh pickles them into the index.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import cache, lru_cache, wraps
from pathlib import Path

from whoosh.analysis import Filter, Tokenizer
from whoosh.analysis.acore import Token

# --- normalisation -------------------------------------------------------------------

# Characters that carry no text: zero-width space/joiners, direction marks, word
# joiner, BOM, soft hyphen.  They are dropped, even inside a word (``k\u200eý``).
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"
_INVISIBLE_RE = re.compile(f"[{INVISIBLE}]")
# Spaces other than the plain one (NBSP, narrow NBSP, figure space, ...).
_SPACES_RE = re.compile("[\u00a0\u2007\u202f\u2000-\u200a\u3000]")
# A combining mark repeated (``a\u0301\u0301``): typing or conversion noise.
_DOUBLED_MARK_RE = re.compile(r"([\u0300-\u036f])\1+")


def _eth_as_d_stroke(text: str) -> str:
    """Eth (used by some sources for Đ) and its lower case, as Đ and đ."""
    # Not str.translate: with a mapping it costs half of normalize() on Vietnamese text (~0.4 ms per
    # article), which is most of what `python -m index sync` spends on an unchanged article.
    return text.replace("\u00d0", "\u0110").replace("\u00f0", "\u0111")


TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền sắc ngã hỏi nặng
_VOWELS = set("aăâeêioôơuưy")


CACHED_CHARS = 16  # longer strings are computed each time, never cached (a syllable has at most 7 letters)
# Entries of each cache of short strings (this module's, pyvi's word features, the typing and
# occurrence checks of search/).  A serving worker meets an archive's whole vocabulary in time,
# and at the 50,000-500,000 entries these caches had, full, they took 186-243 MB: half of the 500 MB a
# worker may use.  At this size they take some 70 MB when full (about 1 KB a token across the
# seven); a build's analysis gains nothing from more (bench/analysis_speed.py: 32,768 cost 7 % more
# CPU an article, 65,536 the same as 200,000).
STRING_CACHE = 65_536


def _short_lru(maxsize: int) -> Callable[[Callable[[str], str]], Callable[[str], str]]:
    """``lru_cache(maxsize)`` for strings of at most :data:`CACHED_CHARS` characters only.

    These caches see every token a server worker analyses (queries, highlighted texts): keyed by
    whole tokens of any length, a few hundred thousand distinct 1,000-digit queries kept 2-3 GB per
    worker.  With short keys an entry is at most a few hundred bytes, whatever is sent."""

    def wrap(function: Callable[[str], str]) -> Callable[[str], str]:
        cached = lru_cache(maxsize=maxsize)(function)

        @wraps(function)
        def call(text: str) -> str:
            return cached(text) if len(text) <= CACHED_CHARS else function(text)

        call.cache_info = cached.cache_info  # type: ignore[attr-defined]
        call.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        call.uncached = function  # type: ignore[attr-defined]  # for strings not worth an entry
        return call

    return wrap


def normalize(text: str) -> str:
    """Return *text* in canonical form, case preserved, offsets *not* preserved.

    NFC (doubled combining marks collapsed), eth to ``Đ``, invisible characters
    removed, every kind of space to a plain space.  Tone placement is left as
    written: it is a per-syllable matter, see :func:`canonical_syllable`.
    """
    text = _eth_as_d_stroke(text)
    text = _INVISIBLE_RE.sub("", text)
    text = _SPACES_RE.sub(" ", text)
    text = unicodedata.normalize("NFD", text)
    text = _DOUBLED_MARK_RE.sub(r"\1", text)
    return unicodedata.normalize("NFC", text)


@_short_lru(maxsize=STRING_CACHE)
def canonical_syllable(syllable: str) -> str:
    """Lower-case *syllable* (a normalised token) with its tone on the canonical vowel.

    Only a syllable with one run of vowels is touched: that is every Vietnamese
    syllable, and it leaves foreign words (``café``) as they are.
    """
    syllable = syllable.lower()
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = [ch for ch in decomposed if ch in TONE_MARKS]
    if len(tones) != 1:
        return syllable
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in TONE_MARKS))
    position = _tone_position(base)
    if position is None:
        return syllable
    toned = base[:position] + unicodedata.normalize("NFC", base[position] + tones[0]) + base[position + 1 :]
    return unicodedata.normalize("NFC", toned)


def _tone_position(base: str) -> int | None:
    """Index in the toneless syllable *base* of the vowel that carries the tone."""
    vowels = [i for i, ch in enumerate(base) if _strip_marks(ch) in "aeiouy"]
    if not vowels or vowels[-1] - vowels[0] + 1 != len(vowels):
        return None  # no vowel, or several vowel runs: not a Vietnamese syllable
    # In "qu" and "gi" the u/i belong to the initial consonant when a vowel follows.
    if len(vowels) > 1 and vowels[0] == 1 and base[:2] in ("qu", "gi"):
        vowels = vowels[1:]
    marked = [i for i in vowels if base[i] in "ăâêôơư"]
    if marked:
        return marked[-1]  # ươ -> ơ, uô -> ô, iê -> ê, ưu -> ư
    if len(vowels) == 1:
        return vowels[0]
    has_final = vowels[-1] < len(base) - 1
    if has_final or len(vowels) == 3:
        return vowels[1] if len(vowels) == 3 else vowels[-1]  # hoàng, hoài, khuỷu
    return vowels[0]  # open pair: hòa, thúy, ủy, khỏe, múa, mía, tài


def _strip_marks(ch: str) -> str:
    return unicodedata.normalize("NFD", ch)[0]


@_short_lru(maxsize=STRING_CACHE)
def fold(text: str) -> str:
    """*text* without diacritics, ``đ``/``Đ`` folded to ``d``/``D``; case preserved."""
    decomposed = unicodedata.normalize("NFD", _eth_as_d_stroke(text))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "D")


def has_diacritics(text: str) -> bool:
    """True when *text* holds a Vietnamese diacritic (or ``đ``) anywhere."""
    return fold(text) != _eth_as_d_stroke(text)


# --- tokenizers and filters ----------------------------------------------------------

# A syllable: letters and digits, with combining marks and invisible characters
# allowed inside (NFD input, ``k\u200eý``).  Underscore is not a word character
# here: pyvi uses it to join words.
SYLLABLE_RE = re.compile(rf"(?:[^\W_]|[\u0300-\u036f{INVISIBLE}])+")


# Punctuation that ends a phrase wherever it stands: sentence ends, brackets, quotes, dashes.
_STRONG_BREAK_RE = re.compile('[\n\r\v\f\u2028\u2029!?;()\\[\\]{}"“”‘’«»…|•–—]')
_NOT_SPACE_RE = re.compile(r"\S")
BREAK_TERM = "|"  # the one term of a breaks view (<field>_b)


def is_break(gap: str) -> bool:
    """Whether the text *gap* between two syllables ends a phrase for exact matching.

    A line break or strong punctuation always does (``Nguyễn Lâm. Hiện nay``: no name
    ``Nguyễn Lâm Hiện`` there); other punctuation does when a space stands beside it
    (``Hà Nội, Huế``, ``Hà Nội - Huế``) but not inside a token (``TP.HCM``, ``COVID-19``,
    ``1,5``, ``10:30``).  Spaces and invisible characters alone never do.
    """
    if gap == " ":
        return False
    gap = _INVISIBLE_RE.sub("", gap)
    if _STRONG_BREAK_RE.search(gap):
        return True
    return _NOT_SPACE_RE.search(gap) is not None and any(ch.isspace() for ch in gap)


@lru_cache(maxsize=8)
def _spans(text: str) -> tuple[tuple[int, int, str], ...]:
    """``(start, end, normalised syllable)`` of *text*, cached for a few texts.

    Whoosh analyses a document's fields in name order (``body``, ``body_f``,
    ``body_w``), so each text is tokenised once for all of its views.
    """
    spans = []
    for match in SYLLABLE_RE.finditer(text):
        normalised = _normalize_token(match.group())
        if is_syllable(normalised):
            spans.append((match.start(), match.end(), normalised))
    return tuple(spans)


def is_syllable(run: str) -> bool:
    """Whether a run of :data:`SYLLABLE_RE` is a syllable: not when it holds only invisible
    characters and combining marks (a stray mark between words, typing noise, which would
    fold to nothing)."""
    return any(ch not in INVISIBLE and not unicodedata.combining(ch) for ch in run)


class SyllableTokenizer(Tokenizer):
    """Split text into syllables, keeping offsets into the text exactly as given.

    Each token's text is normalised (see :func:`normalize`) but not lower-cased;
    filters do that.  Tokens made only of invisible characters are skipped.
    """

    def __eq__(self, other):
        return self.__class__ is other.__class__

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, (start, end, text) in enumerate(_spans(value), start=start_pos):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[start:end]  # type: ignore[attr-defined]  # whoosh's Token takes any attribute
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


class BreakTokenizer(Tokenizer):
    """The breaks view: one term, :data:`BREAK_TERM`, at the position of every syllable that
    follows a break (:func:`is_break`), numbered as :class:`SyllableTokenizer` numbers them.

    Positions of syllables stay consecutive across punctuation, so the phrase a reader types
    without it (``vỉa hè phó chủ`` for ``vỉa hè: Phó Chủ``) still ranks as a phrase; an exact
    phrase (quoted, ``name:``, the coverage view) refuses an occurrence with a break inside.
    (A position gap at breaks, as Lucene's, cost known items 1-4 points of MRR@10.)
    """

    def __eq__(self, other):
        return self.__class__ is other.__class__

    def __call__(self, value, positions=False, chars=False, start_pos=0, mode="", **kwargs) -> Iterator[Token]:
        token = Token(positions, chars, mode=mode, **kwargs)
        previous_end = None
        for pos, (start, end, _) in enumerate(_spans(value), start=start_pos):
            if previous_end is not None and is_break(value[previous_end:start]):
                token.text = BREAK_TERM
                token.boost = 1.0
                token.stopped = False
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar, token.endchar = start, end
                yield token
            previous_end = end


class CanonicalFilter(Filter):
    """Lower-case each syllable and put its tone mark in the canonical place."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = canonical_syllable(token.text)
            yield token


class FoldFilter(Filter):
    """Remove diacritics and fold ``đ`` to ``d`` (``đồng`` -> ``dong``)."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = fold(token.text)
            yield token


PAIR_SYLLABLES = Path(__file__).with_name("pair-syllables-v1.txt")


@cache
def pair_syllables() -> frozenset[str]:
    """The folded syllables whose pairs new indexes hold (:data:`PAIR_SYLLABLES`)."""
    lines = PAIR_SYLLABLES.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


class PairFilter(Filter):
    """Each syllable joined to the next by a space (``dan van``), where both are among
    *syllables*, the frequent ones: the pair view.

    A phrase of two frequent syllables is then one short posting list instead of two long
    ones and their positions, as Elasticsearch's ``index_phrases``; a longer phrase is
    chained from its pairs' positions (each pair is at its second syllable's position:
    index format 6, ``search.segments.IndexView.pair_cover``).  Pairs of rarer syllables are
    not kept: their positions are short lists already.  Positions stay consecutive across
    punctuation (see :class:`BreakTokenizer`), so pairs do too."""

    def __init__(self, syllables: frozenset[str]):
        self.syllables = syllables

    def __call__(self, tokens):
        previous = None
        for token in tokens:
            text = token.text
            if previous is not None and previous in self.syllables and text in self.syllables:
                token.text = f"{previous} {text}"
                yield token
            previous = text


class WordTokenizer(Tokenizer):
    """pyvi word segmentation of canonical text: ``Dân vận`` -> ``dân_vận``.

    Only words of two or more syllables are emitted: a one-syllable word is the
    syllable itself, already in the syllable views, and repeating it here would
    double the index for no new information.  Words are a ranking signal only,
    so no offsets are kept; positions count words.
    """

    def __eq__(self, other):
        return self.__class__ is other.__class__

    def __call__(self, value, positions=False, chars=False, start_pos=0, mode="", **kwargs):
        token = Token(positions, chars, mode=mode, **kwargs)
        for pos, word in enumerate(segment_words(value), start=start_pos):
            if "_" not in word:
                continue
            token.text = word
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = pos
            yield token


def segment_words(text: str) -> list[str]:
    """pyvi words of *text*, each a ``_``-joined run of canonical syllables."""
    canonical = _canonical_text(text)
    if not SYLLABLE_RE.search(canonical):
        return []
    from index.wordseg import segment  # pyvi costs ~1 s and ~120 MB: load on first use

    # Segment with capitals kept (they help pyvi), then lower-case; drop punctuation.
    return [w.lower() for w in segment(canonical) if _WORD_RE.fullmatch(w)]


_WORD_RE = re.compile(r"[^\W_]+(?:_[^\W_]+)*")


def _canonical_text(text: str) -> str:
    """*text* normalised, each syllable given canonical tone placement, case kept."""
    return SYLLABLE_RE.sub(_canonical_cased_match, normalize(text))


def _canonical_cased_match(match: re.Match) -> str:
    return _canonical_cased(match.group())


@_short_lru(maxsize=STRING_CACHE)
def _canonical_cased(syllable: str) -> str:
    canonical = canonical_syllable(syllable)
    if canonical == syllable:
        return syllable
    if len(canonical) != len(syllable):
        # Not Vietnamese (e.g. "ûý"): moving the mark left a combining character; keep it as written.
        return syllable
    # Tone moves never change the length of an NFC Vietnamese syllable: re-apply its capitals.
    return "".join(c.upper() if o.isupper() else c for c, o in zip(canonical, syllable, strict=True))


@_short_lru(maxsize=STRING_CACHE)
def _normalize_token(token: str) -> str:
    return normalize(token)


def accented_analyzer():
    """Syllables with diacritics, canonical tone placement, lower case."""
    return SyllableTokenizer() | CanonicalFilter()


def folded_analyzer():
    """Syllables without diacritics, ``đ`` folded to ``d``, lower case."""
    return SyllableTokenizer() | CanonicalFilter() | FoldFilter()


def pairs_analyzer():
    """Folded syllables, each with the next (see :class:`PairFilter`)."""
    return SyllableTokenizer() | CanonicalFilter() | FoldFilter() | PairFilter(pair_syllables())


def breaks_analyzer():
    """The breaks view of a text (see :class:`BreakTokenizer`)."""
    return BreakTokenizer()


def words_analyzer():
    """pyvi words (``dân_vận``) of canonical text, lower case."""
    return WordTokenizer()


# --- helpers for callers that want plain lists ---------------------------------------


def syllables(text: str) -> list[str]:
    """Accented canonical syllables of *text* (the accented view, as a list)."""
    return [canonical_syllable(t) for _, _, t in _spans(text)]


def folded_syllables(text: str) -> list[str]:
    """Folded syllables of *text* (the folded view, as a list)."""
    return [fold(s) for s in syllables(text)]


def syllable_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, canonical syllable)`` for each syllable, offsets into *text*."""
    for start, end, normalised in _spans(text):
        yield start, end, canonical_syllable(normalised)
