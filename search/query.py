"""The query language of the search box, parsed leniently into clauses.

    dân vận                     words (all must match when the query is short)
    "Nguyễn Văn Phong"          an exact phrase: every article holding it, and only those
    name:nguyen van phong       the same for a name typed without quotes (up to the next operator)
    author:Huy Kiên             a byline (the words up to the next operator; diacritics optional)
    -covid  -"phòng chống"      excluded words and phrases
    hòa OR hoà OR thủy          alternatives
    title:"dân vận" author:kiên a field
    dân*                        a prefix (at least two letters before ``*``)

Any string is a valid query.  What cannot be read as an operator is read as
words: an unclosed quote, a lone ``-`` or ``*``, ``title:`` with nothing after
it, ``OR OR``, an unknown ``field:`` (``http://...``), emoji.  Queries longer
than ``search.max_query_chars`` are cut at a word boundary (``truncated``).

A query's cost is bounded here, at its entry, as established engines do
(Elasticsearch's ``max_clause_count``, Meilisearch's first ten words): it is read
for at most ``search.max_query_terms`` syllables (positive clauses first, then
exclusions) and ``search.max_prefixes`` prefixes; the rest is ignored or read
as plain words, and ``truncated`` says so.  ``a*`` (one letter) is the word ``a``:
it would stand for a large share of the vocabulary.

Every syllable goes through :mod:`index.analysis`, the code that indexed the
documents, so tone placement, eth, NFD input and invisible characters are
handled the same way on both sides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from index.analysis import fold, has_diacritics, normalize, syllables

# Fields a user may name.  `name:` is not a field: it makes a phrase exact.
FIELDS = ("title", "summary", "body", "captions", "author")
FIELD_ALIASES = {"tieude": "title", "tacgia": "author", "noidung": "body", "tomtat": "summary", "chuthich": "captions"}
EXACT_PREFIX = "name"
MULTIWORD_PREFIXES = (EXACT_PREFIX, "author")
MIN_PREFIX_CHARS = 2  # letters before `*`: one letter would expand to a good share of the vocabulary
MAX_TERMS = 32  # search.max_query_terms
MAX_PREFIXES = 4  # search.max_prefixes

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "＂": '"'})
_TOKEN = re.compile(r'(?P<neg>-)?(?:(?P<field>[A-Za-z]+):)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+))')


@dataclass
class Clause:
    """One thing the user asked for: a word, a phrase, or a word prefix."""

    syllables: list[str]  # canonical accented syllables, lower case
    raw: str  # as typed
    field: str | None = None  # one of FIELDS, or None for every text field
    phrase: bool = False  # syllables must stand next to each other
    exact: bool = False  # quoted or name:, diacritics (when typed) must match exactly
    negated: bool = False
    prefix: bool = False  # the last syllable is a prefix
    # Other ways of writing the same thing, each matched as a phrase (abbreviations
    # and their expansions: UBND / ủy ban nhân dân), filled in by search helpers.
    alternatives: list[list[str]] = dataclass_field(default_factory=list)

    @property
    def folded(self) -> list[str]:
        return [fold(s) for s in self.syllables]

    @property
    def accented(self) -> bool:
        """Typed with diacritics: exact-diacritic matches rank first."""
        return any(has_diacritics(s) for s in self.syllables)


@dataclass
class ParsedQuery:
    """AND of groups; each group is an OR of clauses; minus the excluded clauses."""

    groups: list[list[Clause]] = dataclass_field(default_factory=list)
    excluded: list[Clause] = dataclass_field(default_factory=list)
    text: str = ""
    truncated: bool = False

    @property
    def clauses(self) -> list[Clause]:
        return [c for group in self.groups for c in group]

    @property
    def is_empty(self) -> bool:
        """Nothing to look for: every article matches (browsing, newest first)."""
        return not self.groups

    @property
    def accented(self) -> bool:
        return any(c.accented for c in self.clauses)

    def positive_syllables(self) -> list[str]:
        return [s for c in self.clauses for s in c.syllables]


def parse_query(
    text: str, max_chars: int = 1000, max_terms: int = MAX_TERMS, max_prefixes: int = MAX_PREFIXES
) -> ParsedQuery:
    """Parse *text*, within the limits of one query; never raises."""
    text = normalize(text or "").translate(_QUOTES).strip()
    truncated = len(text) > max_chars
    if truncated:
        cut = text[:max_chars]
        text = cut.rsplit(" ", 1)[0] if " " in cut else cut
    if text.count('"') % 2:
        last = text.rfind('"')
        text = text[:last] + " " + text[last + 1 :]

    parsed = ParsedQuery(text=text, truncated=truncated)
    pending_or = False
    tokens = list(_TOKEN.finditer(text))
    i = 0
    while i < len(tokens):
        match = tokens[i]
        i += 1
        negated = bool(match.group("neg"))
        field_name = (match.group("field") or "").lower()
        phrase, word = match.group("phrase"), match.group("word")

        if word == "OR" and not negated and not field_name:
            pending_or = bool(parsed.groups)
            continue
        if word and word.endswith(":") and word[:-1].lower() in (*FIELDS, *FIELD_ALIASES, EXACT_PREFIX):
            continue  # "title:" with nothing after it

        field_name = FIELD_ALIASES.get(field_name, field_name)
        known_field = field_name in FIELDS or field_name == EXACT_PREFIX
        if field_name and not known_field:
            # Not an operator (http://..., a typo): the whole token is text.
            word = match.group()[1:] if negated else match.group()
            if phrase is not None:
                word = word.replace('"', " ")
            phrase = None

        quoted = phrase is not None
        if field_name in MULTIWORD_PREFIXES and phrase is None and word is not None:
            # name: and author: take the following plain words, up to the next operator:
            # a person's name is several syllables (author:Huy Kiên).
            words = [word]
            while i < len(tokens) and _is_plain_word(tokens[i]):
                words.append(tokens[i].group("word"))
                i += 1
            phrase, word = " ".join(words), None

        clause = _clause(
            phrase if phrase is not None else word,
            quoted=quoted,
            field_name=field_name if field_name in FIELDS else None,
            exact=field_name == EXACT_PREFIX or quoted,
            negated=negated,
        )
        if clause is None:
            continue
        if clause.negated:
            parsed.excluded.append(clause)
        elif pending_or:
            parsed.groups[-1].append(clause)
        else:
            parsed.groups.append([clause])
        pending_or = False
    _bound(parsed, max_terms, max_prefixes)
    return parsed


def _bound(parsed: ParsedQuery, max_terms: int, max_prefixes: int) -> None:
    """Keep the first *max_terms* syllables (positive clauses, then exclusions) and the first
    *max_prefixes* prefixes of *parsed*; later prefixes are plain words.  Sets ``truncated``
    when anything was left out."""
    remaining, prefixes = max_terms, 0

    def fit(clause: Clause) -> Clause | None:
        nonlocal remaining, prefixes
        if remaining <= 0:
            parsed.truncated = True
            return None
        if clause.prefix:
            prefixes += 1
            if prefixes > max_prefixes:
                clause.prefix = False
                parsed.truncated = True
        if len(clause.syllables) > remaining:
            clause.syllables = clause.syllables[:remaining]
            clause.phrase = len(clause.syllables) > 1
            clause.prefix = False  # its last syllable was cut off
            parsed.truncated = True
        remaining -= len(clause.syllables)
        return clause

    groups = [[c for c in (fit(clause) for clause in group) if c is not None] for group in parsed.groups]
    parsed.groups = [group for group in groups if group]
    parsed.excluded = [c for c in (fit(clause) for clause in parsed.excluded) if c is not None]


def _is_plain_word(match: re.Match) -> bool:
    return (
        bool(match.group("word"))
        and not match.group("neg")
        and not match.group("field")
        and match.group("word") != "OR"
    )


def _clause(text: str | None, *, quoted: bool, field_name: str | None, exact: bool, negated: bool) -> Clause | None:
    if text is None:
        return None
    prefix = False
    if not quoted and text.endswith("*"):
        text = text.rstrip("*")
        prefix = True
    found = syllables(text)
    if not found:
        return None
    if len(found[-1]) < MIN_PREFIX_CHARS:
        prefix = False
    # A token that is several syllables (TP.HCM, Covid-19) or a quoted text is a phrase.
    return Clause(
        syllables=found,
        raw=text,
        field=field_name,
        phrase=len(found) > 1,
        exact=exact,
        negated=negated,
        prefix=prefix and not exact,
    )
