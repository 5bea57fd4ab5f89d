"""What a search page shows, as held by its URL (``/?q=...&from=...&author=...``).

The URL is the whole state, so a search can be bookmarked, shared, and walked
with back/forward.  Every link on the page (facets, chips, pagination, sort)
is this state with one thing changed; changing anything but the page goes
back to page 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlencode

import falcon

from api import params


@dataclass(frozen=True)
class SearchState:
    q: str = ""
    page: str = ""  # raw: the searcher validates it (and names it when it is bad)
    sort: str = ""  # "" = the searcher's default (relevance with a query, newest without)
    date_from: str = ""
    date_to: str = ""
    authors: tuple[str, ...] = field(default_factory=tuple)
    sources: tuple[str, ...] = field(default_factory=tuple)
    categories: tuple[str, ...] = field(default_factory=tuple)
    diacritics: str = ""  # "any": a query typed with diacritics counts its folded matches too
    match: str = ""  # "" = the page's own reading (all words on /, one phrase on /coverage)
    verbatim: str = ""  # "1": exactly as typed (no Telex/VNI decoding, no results for a correction)
    typing: str = ""  # "1": live results while the words are typed; never in links

    @classmethod
    def from_request(cls, req: falcon.Request) -> SearchState:
        """The state a URL holds, read by the API's rules (:mod:`api.params`)."""
        return cls(
            q=params.one(req, "q", ""),
            page=params.one(req, "page", ""),
            sort=params.one(req, "sort", ""),
            date_from=params.one(req, "from", ""),
            date_to=params.one(req, "to", ""),
            authors=tuple(params.many(req, "author")),
            sources=tuple(params.many(req, "source")),
            categories=tuple(params.many(req, "category")),
            diacritics=params.one(req, "diacritics", ""),
            match=params.one(req, "match", ""),
            # A link of the site's own is never refused for these: anything but 1/true is off.
            verbatim="1" if params.one(req, "verbatim") in ("1", "true") else "",
            typing="1" if params.typing(req) in ("1", "true") else "",
        )

    # --- what the searcher is asked --------------------------------------------------

    def search_options(self) -> dict:
        return {
            "page": self.page or 1,
            "sort": self.sort or None,
            "date_from": self.date_from or None,
            "date_to": self.date_to or None,
            "author": list(self.authors),
            "source": list(self.sources),
            "category": list(self.categories),
            "diacritics": self.diacritics or None,
            "match": self.match or None,
            "verbatim": bool(self.verbatim),
            "typing": bool(self.typing),
        }

    @property
    def has_filters(self) -> bool:
        return bool(self.date_from or self.date_to or self.authors or self.sources or self.categories)

    @property
    def start(self) -> date | None:
        return _day(self.date_from)

    @property
    def end(self) -> date | None:
        return _day(self.date_to)

    # --- links -----------------------------------------------------------------------

    def changed(self, **changes) -> SearchState:
        """This state with *changes*; back to page 1 unless the page is what changes."""
        if "page" not in changes:
            changes["page"] = ""
        changes.setdefault("typing", "")
        return replace(self, **changes)

    def without_filters(self) -> SearchState:
        return self.changed(date_from="", date_to="", authors=(), sources=(), categories=())

    def params(self, *, page: bool = True) -> list[tuple[str, str]]:
        """Query parameters, in a stable order, leaving out what is empty or default."""
        out = []
        if self.q:
            out.append(("q", self.q))
        if self.date_from:
            out.append(("from", self.date_from))
        if self.date_to:
            out.append(("to", self.date_to))
        out += [("author", a) for a in self.authors]
        out += [("source", s) for s in self.sources]
        out += [("category", c) for c in self.categories]
        if self.sort:
            out.append(("sort", self.sort))
        if self.match:
            out.append(("match", self.match))
        if self.diacritics:
            out.append(("diacritics", self.diacritics))
        if page and self.page and self.page != "1":
            out.append(("page", self.page))
        if self.verbatim:
            out.append(("verbatim", "1"))
        return out

    def url(self, path: str = "/") -> str:
        return url(path, self.params())

    def link(self, path: str = "/", **changes) -> str:
        return self.changed(**changes).url(path)


def url(path: str, params=()) -> str:
    """*path* with a query string (``+`` for spaces, UTF-8 percent-encoded)."""
    query = urlencode(list(params))
    return f"{path}?{query}" if query else path


def toggled(values: tuple[str, ...], value: str) -> tuple[str, ...]:
    """*values* with *value* added, or removed when it is there already."""
    return tuple(v for v in values if v != value) if value in values else (*values, value)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
