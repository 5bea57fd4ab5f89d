"""Abbreviations of Vietnamese public news, matched both ways: ``UBND`` / ``Ủy ban nhân dân``.

The list is data (``search.abbreviations``, format at the top of
``data/abbreviations.tsv``): each line holds the ways of writing one thing.  A
query clause, or a run of plain word clauses, whose syllables spell one of them
(diacritics, case and punctuation ignored) gets the others as
``Clause.alternatives``, which the engine ORs with the clause, each matched as
a phrase.  A long form typed as several words (``cai cach hanh chinh``: four
clauses) is merged into one phrase clause first, so that it means "this phrase
or its abbreviation" rather than "these four words anywhere".

Quoted phrases and ``name:`` are exact by definition and are not expanded;
neither are prefixes (``dân*``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from index.analysis import fold, syllables
from search.query import Clause, ParsedQuery


class AbbreviationFileError(ValueError):
    """The abbreviations file cannot be read, or a line of it is not a list of forms."""


@dataclass(frozen=True)
class Form:
    """One way of writing a concept: its canonical syllables and their folded key."""

    text: str
    syllables: tuple[str, ...]

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(fold(s) for s in self.syllables)


class Abbreviations:
    """Lines of equivalent forms, looked up by folded syllables."""

    def __init__(self, lines: list[list[Form]]):
        self.lines = lines
        self._by_key: dict[tuple[str, ...], int] = {}
        for number, forms in enumerate(lines):
            for form in forms:
                # A form listed twice keeps its first line: the file's order decides.
                self._by_key.setdefault(form.key, number)
        self.longest = max((len(k) for k in self._by_key), default=0)

    @classmethod
    def parse(cls, text: str, source: str = "abbreviations") -> Abbreviations:
        lines = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            forms = []
            for written in (part.strip() for part in line.split("\t")):
                if not written:
                    continue
                found = syllables(written)
                if not found:
                    raise AbbreviationFileError(f"{source}:{number}: {written!r} holds no letters or digits")
                forms.append(Form(written, tuple(found)))
            if len(forms) < 2:
                raise AbbreviationFileError(f"{source}:{number}: a line needs two or more forms separated by tabs")
            lines.append(forms)
        return cls(lines)

    @classmethod
    def load(cls, path: Path) -> Abbreviations:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AbbreviationFileError(f"cannot read abbreviations file {path}: {exc}") from None
        return cls.parse(text, str(path))

    def others(self, words: list[str]) -> list[list[str]] | None:
        """The other forms of the concept *words* spell, or None if they spell none."""
        key = tuple(fold(s) for s in words)
        number = self._by_key.get(key)
        if number is None:
            return None
        return [list(f.syllables) for f in self.lines[number] if f.key != key]

    # --- queries -----------------------------------------------------------------------

    def expand(self, parsed: ParsedQuery) -> None:
        """Add the other forms as alternatives, merging runs of words that spell a form."""
        groups: list[list[Clause]] = []
        i = 0
        while i < len(parsed.groups):
            end = self._longest_run(parsed.groups, i)
            if end is None:
                for clause in parsed.groups[i]:
                    self._expand_clause(clause)
                groups.append(parsed.groups[i])
                i += 1
                continue
            clauses = [group[0] for group in parsed.groups[i:end]]
            merged = clauses[0] if len(clauses) == 1 else _merge(clauses)
            self._expand_clause(merged)
            groups.append([merged])
            i = end
        parsed.groups = groups
        for clause in parsed.excluded:
            self._expand_clause(clause)

    def _expand_clause(self, clause: Clause) -> None:
        if not _expandable(clause):
            return
        others = self.others(clause.syllables)
        if others:
            _add_alternatives(clause, others)

    def _longest_run(self, groups: list[list[Clause]], start: int) -> int | None:
        """End (exclusive) of the longest run of one-clause groups from *start* spelling a form."""
        key: tuple[str, ...] = ()
        best = None
        first = groups[start][0] if len(groups[start]) == 1 else None
        for end in range(start, len(groups)):
            group = groups[end]
            if len(group) != 1 or not _expandable(group[0]) or group[0].field != first.field:
                break
            key += tuple(fold(s) for s in group[0].syllables)
            if len(key) > self.longest:
                break
            if key in self._by_key:
                best = end + 1
        return best


def _expandable(clause: Clause) -> bool:
    return not clause.exact and not clause.prefix


def _merge(clauses: list[Clause]) -> Clause:
    return Clause(
        syllables=[s for c in clauses for s in c.syllables],
        raw=" ".join(c.raw for c in clauses),
        field=clauses[0].field,
        phrase=True,
    )


def _add_alternatives(clause: Clause, candidates: list[list[str]]) -> None:
    """Append *candidates* not already there (compared folded: clauses match folded)."""
    seen = {tuple(fold(s) for s in v) for v in [clause.syllables, *clause.alternatives]}
    for candidate in candidates:
        key = tuple(fold(s) for s in candidate)
        if key not in seen:
            seen.add(key)
            clause.alternatives.append(list(candidate))
