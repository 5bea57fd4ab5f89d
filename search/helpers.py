"""Search helpers: accent restoration, spelling, suggestions, abbreviations, more like this.

:class:`Helpers` is what :class:`search.searcher.Searcher` calls at fixed
points of a search.  This is the plain version: every hook does nothing, so
search works without helpers; issue 4 fills them in.
"""

from __future__ import annotations

from search.query import ParsedQuery


class Helpers:
    """Hooks called by the searcher, each with the searcher's lock held."""

    def __init__(self, config):
        self.config = config

    def index_changed(self, searcher) -> None:
        """The searcher now sees a new commit or generation: refresh derived data."""

    def expand(self, parsed: ParsedQuery) -> None:
        """Add other ways of writing clauses (``Clause.alternatives``), e.g. abbreviations."""

    def reading(self, parsed: ParsedQuery) -> list[str] | None:
        """The most likely accented syllables of a query typed without diacritics, or None."""
        return None

    def did_you_mean(self, parsed: ParsedQuery, reading: list[str] | None, evaluation) -> str | None:
        """A query to offer instead (accents restored, spelling corrected), or None."""
        return None

    def suggest(self, searcher, prefix: str, limit: int) -> list[str]:
        """Completions of what the reader is typing."""
        return []

    def similar(self, searcher, doc_id: str, limit: int) -> list[dict] | None:
        """Articles like *doc_id* (not itself), or None when *doc_id* is unknown."""
        return None
