"""Highlighted titles and snippets, from the original text, HTML-escaped.

The stored text is re-tokenised with the index's own tokenizer (so offsets are
offsets into the text exactly as written, diacritics and tone placement as the
author wrote them) and every syllable the query matched is wrapped in
``<mark>``: matched with its diacritics, or through folding, or as part of a
phrase, or as a prefix.  Neighbouring marks merge (``<mark>Dân vận</mark>``).
Everything else is escaped.  Unlike Whoosh's highlighter, nothing is cut at
32,768 characters: whole articles are scanned.
"""

from __future__ import annotations

import bisect
import html
import operator
import re
from typing import NamedTuple

import numpy as np

from index.analysis import canonical_syllable, fold

ELLIPSIS = "…"


class Hit(NamedTuple):
    start: int
    end: int
    key: str  # the folded syllable: distinct keys make a fragment better


# Every way a letter of a folded syllable can be written.
_VARIANTS = {
    "a": "aàáảãạăằắẳẵặâầấẩẫậ",
    "e": "eèéẻẽẹêềếểễệ",
    "i": "iìíỉĩị",
    "o": "oòóỏõọôồốổỗộơờớởỡợ",
    "u": "uùúủũụưừứửữự",
    "y": "yỳýỷỹỵ",
    "d": "dđ",
}
# Folds a text letter for letter (offsets in the folded text are offsets in the text), as
# a lookup table over code points: str.translate with a dict costs ~75 ns a character,
# the table a few ns (a 2,500-character body: 190 us against 25 us).
_FOLD_LIMIT = 0x1F00  # past Latin Extended Additional (ạ..ỹ): nothing to fold
_FOLD_CODES = np.arange(_FOLD_LIMIT, dtype=np.uint32)
_FOLD_CODES[ord("A") : ord("Z") + 1] = np.arange(ord("a"), ord("z") + 1)
for _base, _variants in _VARIANTS.items():
    for _variant in _variants + _variants.upper():
        _FOLD_CODES[ord(_variant)] = ord(_base)


def fold_letters(text: str) -> str:
    """*text* lower-cased and without diacritics, letter for letter (same length)."""
    if text.isascii():
        return text.lower()
    if len(text) < 120:  # below this, the table's fixed cost exceeds translate's per-character one
        return text.translate(_FOLD_TABLE)
    # surrogatepass: a lone surrogate in hostile text is a code point like any other.
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    folded = np.where(codes < _FOLD_LIMIT, _FOLD_CODES[np.minimum(codes, _FOLD_LIMIT - 1)], codes)
    return folded.tobytes().decode("utf-32-le", "surrogatepass")


_FOLD_TABLE = {code: int(folded) for code, folded in enumerate(_FOLD_CODES) if code != folded}
_SYLLABLE_CHAR = r"[^\W_]"
_SYLLABLE_TAIL = re.compile(rf"{_SYLLABLE_CHAR}*")


def _candidates(folded: str, words: frozenset[str], prefixes: frozenset[str]) -> list[tuple[int, int]]:
    """Spans of whole syllables of *folded* that are one of *words* or start with a prefix.

    ``str.find`` per word and a boundary check beat one regex alternation that
    tries every position of the text (2-3x on article bodies).
    """
    found = set()
    n = len(folded)
    for word in words:
        size = len(word)
        i = folded.find(word)
        while i >= 0:
            j = i + size
            if (i == 0 or not folded[i - 1].isalnum()) and (j == n or not folded[j].isalnum()):
                found.add((i, j))
            i = folded.find(word, j)
    for prefix in prefixes:
        i = folded.find(prefix)
        while i >= 0:
            if i == 0 or not folded[i - 1].isalnum():
                j = _SYLLABLE_TAIL.match(folded, i + len(prefix)).end()
                found.add((i, j))
                i = folded.find(prefix, j)
            else:
                i = folded.find(prefix, i + 1)
    return sorted(found)


class Terms(NamedTuple):
    """What to mark, prepared once for every text of a page of hits (see :func:`prepare`)."""

    accented: frozenset[str]
    folded: frozenset[str]
    prefixes: frozenset[str]
    prefix_tuple: tuple[str, ...]
    phrases: list[list[str]]
    wanted: frozenset[str]  # every folded syllable to look for


def prepare(terms: dict | Terms) -> Terms:
    """*terms* as :func:`search.engine.highlight_terms` gives them, ready for :func:`find_hits`."""
    if isinstance(terms, Terms):
        return terms
    accented = frozenset(terms.get("accented", ()))
    folded_terms = frozenset(terms.get("folded", ()))
    prefixes = frozenset(p for p in terms.get("prefixes", ()) if p)
    phrases = list(terms.get("phrases", []))
    wanted = folded_terms | {fold(s) for s in accented} | {w for p in phrases for w in p}
    wanted = frozenset(w for w in wanted if w)
    return Terms(accented, folded_terms, prefixes, tuple(prefixes), phrases, wanted)


def find_hits(text: str, terms: dict | Terms, folded: str | None = None) -> list[Hit]:
    """Spans of *text* that the query matched; *folded* is ``fold_letters(text)`` if known."""
    terms = prepare(terms)
    accented, folded_terms, prefixes, phrases = terms.accented, terms.folded, terms.prefixes, terms.phrases
    wanted = terms.wanted
    if not wanted and not prefixes:
        return []
    if folded is None:
        folded = fold_letters(text)
    found = []
    for start, end in _candidates(folded, wanted, prefixes):
        # Only an accented query term needs the syllable as written (tone placement ignored).
        syllable = canonical_syllable(text[start:end]) if accented else ""
        found.append((start, end, syllable, folded[start:end]))
    # An accented query term marks its exact form when the text has it, else its folded form.
    exact_keys = {key for _, _, syllable, key in found if syllable in accented}
    marked = [
        syllable in accented
        or (key in folded_terms and key not in exact_keys)
        or (bool(prefixes) and key.startswith(terms.prefix_tuple))
        for _, _, syllable, key in found
    ]
    for phrase in phrases:
        n = len(phrase)
        for i in range(len(found) - n + 1):
            if all(found[i + j][3] == phrase[j] for j in range(n)) and all(
                not _SYLLABLE_SEARCH.search(text, found[i + j][1], found[i + j + 1][0]) for j in range(n - 1)
            ):
                for j in range(i, i + n):
                    marked[j] = True
    return [Hit(start, end, key) for (start, end, _, key), hit in zip(found, marked, strict=True) if hit]


_SYLLABLE_SEARCH = re.compile(_SYLLABLE_CHAR)


def mark(text: str, hits: list[Hit], start: int = 0, end: int | None = None) -> str:
    """``text[start:end]`` escaped, with *hits* wrapped in ``<mark>``; adjacent marks merged."""
    end = len(text) if end is None else end
    out = []
    cursor = start
    inside = [h for h in hits if h.start >= start and h.end <= end]
    i = 0
    while i < len(inside):
        run_start, run_end = inside[i].start, inside[i].end
        # Merge with following hits separated only by spaces (phrases, names).
        while i + 1 < len(inside) and not text[run_end : inside[i + 1].start].strip():
            i += 1
            run_end = inside[i].end
        out.append(html.escape(text[cursor:run_start]))
        out.append("<mark>" + html.escape(text[run_start:run_end]) + "</mark>")
        cursor = run_end
        i += 1
    out.append(html.escape(text[cursor:end]))
    return "".join(out)


def highlight_title(title: str, terms: dict | Terms) -> str:
    return mark(title, find_hits(title, terms))


def snippet(
    texts: list[str], terms: dict | Terms, size: int = 200, fragments: int = 3, folded: list[str] | None = None
) -> str:
    """One to *fragments* pieces of about *size* characters around the best hits.

    *texts* are the article's parts in reading order (summary, body, captions);
    a fragment never spans two parts.  Without any hit, the opening of the
    first non-empty part is returned.  *folded*: each part's ``fold_letters``, if known.
    """
    terms = prepare(terms)
    candidates = []
    hits_of: dict[int, list[Hit]] = {}
    for part, text in enumerate(texts):
        if not text:
            continue
        hits = hits_of[part] = find_hits(text, terms, folded[part] if folded is not None else None)
        last = 0  # hits[i:last] lie inside the window that starts at hit i (two pointers)
        keys: dict[str, int] = {}  # how many of hits[i:last] have each key
        for i, hit in enumerate(hits):
            if 0 < i <= last:
                gone = hits[i - 1].key
                keys[gone] -= 1
                if not keys[gone]:
                    del keys[gone]
            window_start = hit.start - size // 4 if hit.start > size // 4 else 0
            window_end = window_start + size if window_start + size < len(text) else len(text)
            last = max(last, i)
            while last < len(hits) and hits[last].end <= window_end:
                keys[hits[last].key] = keys.get(hits[last].key, 0) + 1
                last += 1
            score = 10 * len(keys) + (last - i) - part * 0.5
            candidates.append((score, part, window_start, window_end))
    chosen: list[tuple[int, int, int]] = []
    for _score, part, start, end in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if any(p == part and start < e and s < end for p, s, e in chosen):
            continue
        chosen.append((part, start, end))
        if len(chosen) == fragments:
            break
    if not chosen:
        for text in texts:
            if text:
                start, end = _snap(text, 0, min(len(text), size))
                return html.escape(text[start:end]) + (ELLIPSIS if end < len(text) else "")
        return ""
    pieces = []
    for part, start, end in sorted(chosen):
        text = texts[part]
        start, end = fragment_bounds(text, hits_of[part], start, end)
        piece = mark(text, hits_of[part], start, end)
        pieces.append((ELLIPSIS if start > 0 else "") + piece + (ELLIPSIS if end < len(text) else ""))
    return " ".join(pieces)


RUN_REACH = 40  # characters a fragment may grow by at each edge to keep a run of marks whole


def fragment_bounds(text: str, hits: list[Hit], start: int, end: int) -> tuple[int, int]:
    """The window ``text[start:end]`` around *hits* as a fragment shows it: no word cut
    (:func:`_snap`), no run of marks split (hits with only spaces between, as :func:`mark`
    merges them: a name, a phrase), and no space at either end.  A fragment that ends in
    ``<mark>Hà</mark>…`` shows half of what was asked for, so an edge inside a run moves to
    its start or end when that is within :data:`RUN_REACH` characters (a run longer than that,
    a text repeating the query, is cut as any text is).  The words first: a run's edges are
    between words, where an edge moved to the next or last space may fall inside a run
    (``Hà Nội,tuyển``)."""
    start, end = _snap(text, start, end)
    # The first hit ending after the start, back to its run's first hit.
    first = bisect.bisect_right(hits, start, key=_end)
    if first < len(hits) and hits[first].start - RUN_REACH < start:
        while first and hits[first].start >= start - RUN_REACH and _joined(text, hits[first - 1], hits[first]):
            first -= 1
        if start - RUN_REACH <= hits[first].start < start:
            start = hits[first].start
    # The last hit starting before the end, on to its run's last hit.
    last = bisect.bisect_left(hits, end, key=_start) - 1
    if last >= 0 and hits[last].end + RUN_REACH > end:
        while last + 1 < len(hits) and hits[last].end <= end + RUN_REACH and _joined(text, hits[last], hits[last + 1]):
            last += 1
        if end < hits[last].end <= end + RUN_REACH:
            end = hits[last].end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _joined(text: str, hit: Hit, following: Hit) -> bool:
    return not _VISIBLE.search(text, hit.end, following.start)


_start, _end = operator.attrgetter("start"), operator.attrgetter("end")


def _snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Move a window's edges out of words, so no syllable is cut: the start past its word (and
    the punctuation after it), the end back to the last space (or, in a window of a few words,
    on to its word's end).  An edge already between two words stays where it is."""
    size = len(text)
    if 0 < start < size and text[start - 1].isalnum() and text[start].isalnum():
        start = _LEAD.match(text, _SYLLABLE_TAIL.match(text, start).end()).end()
    end = max(end, start)
    if 0 < end < size and text[end - 1].isalnum() and text[end].isalnum():
        space = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
        end = space if space > start + 20 else _SYLLABLE_TAIL.match(text, end).end()
    return start, end


_LEAD = re.compile(r"[\s,.;:!?]*")  # what a fragment does not start with
_VISIBLE = re.compile(r"\S")
