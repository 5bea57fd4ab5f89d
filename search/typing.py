"""How readers type with the keyboard against them: Telex and VNI with the input method off
(``daan vaajn`` / ``da6n va6n5`` -> ``dân vận``), and words run together (``hanoi``, ``covid19``).

A reader whose Vietnamese keyboard is switched off still types the keys of the
input method: Telex (``aa ee oo`` for â ê ô, ``aw ow uw`` or a lone ``w`` for ă ơ ư,
``dd`` for đ, the tone keys ``s f r x j`` after the vowel or at the end of the
syllable, ``z`` to clear) or VNI (``6`` for â ê ô, ``7`` for ơ ư, ``8`` for ă,
``9`` for đ, typed after the letter or at the end; tones ``1``-``5``, ``0`` to clear).

:func:`reading` reads one word both ways and keeps a reading only when it is a
Vietnamese syllable (:func:`is_vietnamese_syllable`: an initial and a rhyme of
the language, a stop final taking only the sắc or nặng tone).  Whether to
believe it is :func:`decode_text`'s business, given how many articles hold each
word as typed: a word the index knows (``Moon``, ``A1``) is left alone.  A real
syllable (``an``, ``loan``, ``tranh``) is never decoded: no Telex or VNI key
letter can end or sit inside one (``xoong``, the exception, is weighed).

:func:`splits` cuts a word typed without spaces into syllables (``hanoi`` ->
``ha noi``), or its letters from its digits (``covid19`` -> ``covid 19``: the analyzer
cuts ``Covid-19`` in two); :mod:`search.helpers` offers the cut the index holds far
more often than the word, as a correction.  A VNI tone digit is read first
(``sau3`` is *sảu*), and a code the texts write whole (``U23``) is the index's word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from index.analysis import STRING_CACHE, SYLLABLE_RE, canonical_syllable, fold, normalize

# --- what a Vietnamese syllable is ---------------------------------------------------

_INITIALS = (
    "",
    "b",
    "c",
    "ch",
    "d",
    "đ",
    "g",
    "gh",
    "gi",
    "h",
    "k",
    "kh",
    "l",
    "m",
    "n",
    "ng",
    "ngh",
    "nh",
    "p",
    "ph",
    "qu",
    "r",
    "s",
    "t",
    "th",
    "tr",
    "v",
    "x",
)
# Rhymes without their tone: open ones, and each vowel nucleus with the finals it takes.
_OPEN = [
    "a",
    "e",
    "ê",
    "i",
    "o",
    "ô",
    "ơ",
    "u",
    "ư",
    "y",
    "ia",
    "ua",
    "ưa",
    "ai",
    "ao",
    "au",
    "âu",
    "ay",
    "ây",
    "eo",
    "êu",
    "iu",
    "oi",
    "ôi",
    "ơi",
    "ui",
    "ưi",
    "ưu",
    "oa",
    "oe",
    "uê",
    "uy",
    "uơ",
    "iêu",
    "yêu",
    "uôi",
    "ươi",
    "ươu",
    "oai",
    "oay",
    "oao",
    "oeo",
    "uây",
    "uya",
    "uyu",
]
_CLOSED = {
    "a": "c ch m n ng nh p t u i y o",
    "ă": "c m n ng p t k",  # k: Đắk Lắk
    "â": "c m n ng p t u y",
    "e": "c m n ng p t o",
    "ê": "ch m n nh p t u",
    "i": "ch m n nh p t u",
    "o": "c m n ng p t i",
    "oo": "c ng",
    "ô": "c m n ng p t i",
    "ơ": "m n p t i",
    "u": "c m n ng p t i",
    "ư": "c m n ng t i u",
    "y": "",
    "iê": "c m n ng p t u",
    "yê": "m n ng t u",
    "uô": "c m n ng t i",
    "ươ": "c m n ng p t i u",
    "oa": "c ch m n ng nh p t i y",
    "oă": "c m n ng t",
    "oe": "m n t o",
    "uâ": "n ng t y",
    "uê": "ch nh",
    "uy": "ch n nh p t u",
    "uyê": "n t",
}
_RHYMES = frozenset(_OPEN) | {nucleus + final for nucleus, finals in _CLOSED.items() for final in finals.split()}
_STOPS = ("c", "ch", "p", "t", "k")
_STOP_TONES = {"", "\u0301", "\u0323"}  # none (for loanwords), sắc, nặng
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


@lru_cache(maxsize=STRING_CACHE)  # asked for every form of every word of the queries
def is_vietnamese_syllable(word: str) -> bool:
    """Whether *word* (lower case, NFC) is a Vietnamese syllable: an initial, a rhyme, one tone."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in _TONE_MARKS]
    if len(tones) > 1:
        return False
    tone = tones[0] if tones else ""
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    for initial in _INITIALS:
        if not base.startswith(initial):
            continue
        rhyme = base[len(initial) :]
        if initial == "gi" and (not rhyme or rhyme[0] not in "aăâeêoôơuư"):
            continue  # gì, gìn: the i is the vowel (the g initial reads them)
        if initial == "qu":
            if rhyme.startswith(("u", "o")):
                continue
            rhyme = rhyme if rhyme in _RHYMES else "u" + rhyme  # the u of qu is the glide: quýt, quỳnh
        if rhyme in _RHYMES and not (rhyme.endswith(_STOPS) and tone not in _STOP_TONES):
            return True
    return False


def may_be_syllable(word: str) -> bool:
    """Whether *word* is a syllable, or one without the diacritics it lacks (``thuong``: *thương*)."""
    if is_vietnamese_syllable(word):
        return True
    bare = fold(word)
    return bare == word and any(
        bare.startswith(initial) and _bare_rhyme(initial, bare[len(initial) :]) for initial in _BARE_INITIALS
    )


def _bare_rhyme(initial: str, rhyme: str) -> bool:
    return rhyme in _BARE_RHYMES or (initial == "qu" and "u" + rhyme in _BARE_RHYMES)


_BARE_INITIALS = sorted({fold(i) for i in _INITIALS})
_BARE_RHYMES = frozenset(fold(r) for r in _RHYMES)


def may_begin_syllable(word: str) -> bool:
    """Whether some Vietnamese syllable, diacritics aside, begins as *word* (``th``, ``thu``:
    yes; ``covi``, ``iph``: no, a word of another language or a code)."""
    return fold(word).lower() in _syllable_starts()


@lru_cache(maxsize=1)
def _syllable_starts() -> frozenset[str]:
    words = [i + r for i in _BARE_INITIALS for r in _BARE_RHYMES] + [f"qu{r}" for r in _BARE_RHYMES]
    return frozenset(word[:end] for word in words for end in range(1, len(word) + 1))


# --- the two input methods ------------------------------------------------------------

_TONES = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323", "z": ""}
_VNI_TONES = {"1": "\u0301", "2": "\u0300", "3": "\u0309", "4": "\u0303", "5": "\u0323", "0": ""}
_HAT = {"a": "â", "e": "ê", "o": "ô"}  # Telex aa ee oo, VNI 6
_HORN = {"u": "ư", "o": "ơ"}  # Telex w, VNI 7
_BREVE = {"a": "ă"}  # Telex w, VNI 8
_VOWELS = set("aăâeêioôơuưy")
# Keys of one syllable at most: the longest syllables take nine (``nghieengf``, ``dduwowngf``,
# ``nghie6ng2``); room to spare for marks typed as characters of their own (``nghie\u0302ng``).
MAX_KEYS = 16
# Marks of a letter typed with the input method on, inside a word typed with it off (``hiênj``).
_LETTER_MARKS = {"\u0302": _HAT, "\u0306": _BREVE, "\u031b": _HORN}


def telex(word: str) -> str | None:
    """The syllable Telex keys *word* type (``dduwowcj`` -> ``được``), canonical, or None."""
    return _decode(word, _telex_key)


def pressed_twice(word: str) -> bool:
    """Whether *word*'s only Telex key is a letter typed twice (``quaan``, ``ddi``, ``mooi``):
    the keys for â, ê, ô and đ are what a key pressed twice by mistake gives, so such a word
    alone is as likely a slip of the fingers (*quan*) as Telex (*quân*); a tone key or a ``w``
    (``quaans``, ``muwa``) is nobody's slip."""
    read = telex(word)
    if read is None:
        return False
    typed, plain = word.lower(), fold(read)
    return any(typed[i] == typed[i + 1] and typed[:i] + typed[i + 1 :] == plain for i in range(len(typed) - 1))


def vni(word: str) -> str | None:
    """The syllable VNI keys *word* type (``du7o7c5`` or ``duoc75`` -> ``được``), canonical, or None."""
    return _decode(word, _vni_key)


def _decode(word: str, key: Callable[[list[str], str, _State], bool | None]) -> str | None:
    """Feed *word* to an input method's *key* handler, letter by letter, and read the result.

    Letters the reader typed with their marks (``ê``, ``đ``, a tone) count as typed: a
    word may mix them with keys (``hiênj``, ``nhâp5``).  *key* returns True when it took
    the key, False when it is a plain letter, None when the word cannot be its keys.
    A word longer than :data:`MAX_KEYS` is no syllable's keys, and is not read at all: each
    key looks back over the letters before it, so a word of 10,000 tone keys (``xxx...``)
    took two to three seconds of a search."""
    if len(word) > MAX_KEYS:
        return None
    letters: list[str] = []
    state = _State()
    used = False
    for ch in unicodedata.normalize("NFD", word.lower()):
        if ch in _LETTER_MARKS:
            # A mark typed on its own letter (``o\u0302``) or, by some tools, on the key after it.
            if not _mark(letters, _LETTER_MARKS[ch]):
                return None
            continue
        if ch in _TONE_MARKS:
            if state.tone is not None:
                return None
            state.tone = ch
            continue
        if not ch.isalnum():
            return None
        took = key(letters, ch, state)
        if took is None:
            return None
        used = used or took
        if not took:
            letters.append(ch)
    if not used:
        return None  # no key of the method: nothing to decode
    base = unicodedata.normalize("NFC", "".join(letters))
    # Telex and VNI put the horn on both letters of uo; an open uơ keeps the u bare (thuở, huơ).
    for written in (base, base.replace("ươ", "uơ")):
        syllable = canonical_syllable(_toned(written, state.tone))
        if is_vietnamese_syllable(syllable):
            return syllable
    return None


def _toned(base: str, tone: str | None) -> str:
    """*base* with *tone* on its first vowel (:func:`canonical_syllable` then moves it)."""
    first = next((i for i, ch in enumerate(base) if ch in _VOWELS), None)
    if not tone or first is None:
        return base
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", base[: first + 1]) + tone + base[first + 1 :])


class _State:
    """What a word's keys have set besides its letters: the tone (None: none typed yet)."""

    tone: str | None = None


def _telex_key(letters: list[str], ch: str, state: _State) -> bool | None:
    if ch in _TONES and any(c in _VOWELS for c in letters):
        if state.tone is not None:
            return None  # two tone keys: ``ss`` types the letter, not a tone
        state.tone = _TONES[ch]
        return True
    if ch == "w":
        if _mark(letters, {**_HORN, **_BREVE}, both_uo=True):
            return True
        if letters and letters[-1] in _VOWELS:
            return None
        letters.append("ư")  # a lone w types ư
        return True
    if ch in _HAT and letters and letters[-1] == ch:
        letters[-1] = _HAT[ch]
        return True
    if ch == "d" and letters == ["d"]:
        letters[-1] = "đ"
        return True
    return False if ch.isalpha() else None


def _vni_key(letters: list[str], ch: str, state: _State) -> bool | None:
    if ch in _VNI_TONES:
        if state.tone is not None or not any(c in _VOWELS for c in letters):
            return None
        state.tone = _VNI_TONES[ch]
        return True
    if ch in "678":
        table = {"6": _HAT, "7": _HORN, "8": _BREVE}[ch]
        return True if _mark(letters, table, both_uo=ch == "7") else None
    if ch == "9":
        if not letters or letters[0] != "d":
            return None
        letters[0] = "đ"
        return True
    return False if ch.isalpha() else None


def _mark(letters: list[str], table: dict[str, str], both_uo: bool = False) -> bool:
    """Put a mark on the last letter of *letters* that takes it (after a final consonant
    too: ``duocw``); ``uo`` takes the horn on both (``ươ``)."""
    for i in range(len(letters) - 1, -1, -1):
        if letters[i] in table:
            if both_uo and letters[i] == "o" and i and letters[i - 1] == "u" and not (i == 2 and letters[0] == "q"):
                letters[i - 1] = "ư"
            letters[i] = table[letters[i]]
            return True
    return False


def reading(word: str) -> str | None:
    """The syllable *word* types under Telex or VNI (capitals kept), or None.

    A real syllable may also be keys (``xoong`` is *xông* in Telex): see :func:`decode_text`."""
    found = telex(word) or vni(word)
    return None if found is None else _capitals(word, found)


def joined_readings(word: str) -> tuple[str, ...]:
    """What Telex or VNI keys *word* type as two syllables written as one word (``vawscxin`` or
    ``va8cxin1`` -> *vắcxin*, ``ootoo`` -> *ôtô*): loanwords the texts write joined, which
    :func:`reading` cannot read as one syllable.  Each piece is keys or a plain syllable, one at
    least keys; a tone key ending the word may be the first piece's (``va8cxin1``).  Capitals
    kept; the index decides which is written (:func:`decode_text`).  Some 50 us for a word that
    reads as no syllable, at most ``search.max_query_terms`` of them a query: not remembered."""
    if not word.isascii() or not word.isalnum() or len(word) > 2 * MAX_KEYS or may_be_syllable(word.lower()):
        return ()
    found = []
    for cut in range(1, len(word)):
        head, tail = word[:cut], word[cut:]
        pieces = [(head, tail)]
        if tail[-1].lower() in _TONES or tail[-1] in _VNI_TONES:
            pieces.append((head + tail[-1], tail[:-1]))
        for first, second in pieces:
            read = [telex(piece) or vni(piece) for piece in (first, second)]
            if not any(read):
                continue
            forms = [
                known or (piece.lower() if is_vietnamese_syllable(piece.lower()) else "")
                for known, piece in zip(read, (first, second), strict=True)
            ]
            if all(forms):
                found.append(_capitals(word, "".join(forms)))
    return tuple(dict.fromkeys(found))


def _capitals(word: str, decoded: str) -> str:
    """*decoded* with the capitals typed in *word*: all of them, or the first."""
    if word.isupper() and len(word) > 1:
        return decoded.upper()
    return decoded[:1].upper() + decoded[1:] if word[:1].isupper() else decoded


# --- run-together words ----------------------------------------------------------------

MAX_PARTS = 3  # syllables a run-together word is cut into (vietnam, hanoi, thanhhoa, tphochiminh: no)
MAX_CUTS = 8  # cuts tried per word, the fewest parts first: each is a phrase lookup


_LETTERS_OR_DIGITS = re.compile(r"[a-z]+|[0-9]+")


def splits(word: str) -> list[list[str]]:
    """Every way to cut *word*, typed without diacritics and spaces, into 2 to :data:`MAX_PARTS`
    syllables (``hanoi`` -> ``[ha, noi]``, ``[han, oi]``), or its letters from its digits
    (``covid19`` -> ``[covid, 19]``); the index decides which is meant."""
    word = word.lower()
    if word.isascii() and word.isalnum() and not word.isalpha() and not word.isdigit():
        # Letters run into digits (covid19, iphone13): cut where they meet, as the texts write
        # them (Covid-19, iPhone 13); a code the texts write whole (U23, H5N1) stays, the index decides.
        runs = _LETTERS_OR_DIGITS.findall(word)
        return [runs] if len(runs) <= MAX_PARTS else []
    if not word.isascii() or not word.isalpha() or len(word) > 6 * MAX_PARTS:
        return []
    found: list[list[str]] = []

    def cut(rest: str, parts: list[str]) -> None:
        if not rest:
            if len(parts) > 1:
                found.append(parts)
            return
        if len(parts) == MAX_PARTS:
            return
        for end in range(1, min(len(rest), 7) + 1):
            head = rest[:end]
            if may_be_syllable(head):
                cut(rest[end:], [*parts, head])

    cut(word, [])
    return sorted(found, key=len)[:MAX_CUTS]


# --- queries ---------------------------------------------------------------------------

RARE = 3  # a word typed in fewer articles than this is no word of the index
# A real syllable or a known word (``coong``, ``teen``, ``max``) among decoded words is decoded
# too when its reading is in this many times more articles.  Measured on the dev Telex/VNI
# queries (BENCHMARKS.md): 1 and 3 read them equally well, 10 misses ``max`` (mã), 30 and
# more miss names; 3 keeps a margin for words of other queries.
AMBIGUOUS_RATIO = 3


def decode_text(
    text: str,
    frequency: Callable[[str], int],
    limit: int | None = None,
    slip: Callable[[str, str], int] | None = None,
    eager: bool = False,
    commonest: Callable[[str], str] | None = None,
) -> str | None:
    """*text* with its Telex and VNI words decoded, or None when none is; only the words
    that start within its first *limit* characters (the query is cut there: the rest is not
    searched, and would only cost a frequency lookup each).

    *frequency* says in how many articles a word is found (folded when typed without
    diacritics).  A word is surely keys when it is no Vietnamese syllable and the index
    hardly knows it (``daan``, ``va6n5``); a name or code the index knows (``Moon``,
    ``A1``) stays as typed.  A real syllable or a known word that is also keys
    (``coong``, ``teen``, ``six``) is decoded only in a query that surely holds keys,
    and only when its reading is far more common: alone it is what it says.

    *slip*, given, says in how many articles the commonest word a slip of the fingers could
    have typed as the word is, other than its reading's letters (:meth:`search.spelling.Speller.
    commonest_slip`): the one word of a query that would be keys, whose reading the index hardly
    writes where a slip makes a word far commoner, is the slip's (``virm phoi``: *viêm* with
    ``r`` beside ``e``, not *vỉm*).  Beside other keys it is keys: a reader with the input
    method off types every word so.

    *eager*: a known word that is also keys, its reading far more common, is decoded even with
    no word surely keys beside it (``Lys Vix Linh``: *Lys* and *Vix* are in a few articles, *Lý
    Vĩ* in thousands), unless typed in capitals: for a query that found nothing as typed.
    There a word's only key a letter typed twice is keys where *commonest* (the form the index
    writes a folded syllable most often as) says its slip and its keys read the same.
    """
    sure, maybe = [], []
    for match in SYLLABLE_RE.finditer(text):
        if limit is not None and match.start() >= limit:
            break
        if text[match.end() : match.end() + 1] == ":":
            continue  # a field name (``title:``)
        word = match.group()
        decoded = reading(word)
        if decoded is None:
            # Two syllables' keys written as one word the index holds (``vawscxin``: *vắcxin*).
            joined = [(frequency(form.lower()), form) for form in joined_readings(word)]
            if joined and max(joined)[0] >= RARE and frequency(canonical_syllable(normalize(word))) < RARE:
                sure.append((match, max(joined)[1]))
            continue
        typed = canonical_syllable(normalize(word))
        seen = frequency(typed)
        acronym = len(word) > 1 and word.isupper()  # GIST, AJ: nobody types keys in capitals
        if not acronym and not is_vietnamese_syllable(typed) and seen < RARE:
            sure.append((match, decoded))
        elif frequency(decoded.lower()) >= AMBIGUOUS_RATIO * max(1, seen):
            # A rare real syllable that is keys (``coong``) reads far better decoded, on its own
            # beside other such words (alone, its one key is a letter typed twice: see below).
            maybe.append((match, decoded, not acronym, seen < RARE))
    # Decoded beside a sure word; alone, where the index hardly knows it; eager, wherever.
    decoded_words = [(m, d) for m, d, keyed, rare in maybe if sure or (keyed and (rare or eager))] + sure
    if len(decoded_words) == 1:
        match, decoded = decoded_words[0]
        if pressed_twice(match.group()) and not (
            eager and commonest is not None and commonest(fold(decoded).lower()) == decoded.lower()
        ):
            # One word with a letter typed twice: a slip as likely as keys (the speller's), unless
            # both read the same, eager: the slip's letters written most often as the keys'
            # reading (``khoong``: *khong* is mostly *không*; ``quaan``: *quan* is not *quân*).
            return None
        typed = canonical_syllable(normalize(match.group()))
        if slip is not None and slip(typed, decoded) >= AMBIGUOUS_RATIO * max(1, frequency(decoded.lower())):
            return None  # one word whose slip reads far better than its keys: the speller's
    if not decoded_words:
        return None
    out, at = [], 0
    for match, decoded in sorted(decoded_words, key=lambda pair: pair[0].start()):
        out += [text[at : match.start()], decoded]
        at = match.end()
    return "".join(out) + text[at:]
