"""Query parameters of the search API and of the site's pages, read by one set of rules.

``/api/search``, ``/api/search/export``, ``/api/coverage`` and the pages ``/`` and
``/coverage`` take the same parameters; reading them here keeps one meaning for each:

* a single-valued parameter given twice counts once, the last (as a form sends it);
  surrounding spaces are dropped, and empty means not given;
* a repeatable filter (``author=A&author=B``) keeps each distinct non-blank value once,
  stripped, in the order given;
* the words ``q`` are stripped too, but a space after the last word still tells that it is
  finished: while typing (``typing=1``) only a half-typed last word is read as a prefix.
"""

from __future__ import annotations

from typing import TypeVar

import falcon

Default = TypeVar("Default")


def raw(req: falcon.Request, name: str) -> str:
    """The last value of *name* exactly as sent ("" when absent)."""
    values = req.get_param_as_list(name)
    return values[-1] if values else ""


def one(req: falcon.Request, name: str, default: Default | None = None) -> str | Default | None:
    """A single-valued parameter, stripped; *default* when absent or blank."""
    return raw(req, name).strip() or default


def many(req: falcon.Request, name: str) -> list[str]:
    """A repeatable parameter: its distinct non-blank values, stripped, in order."""
    return list(dict.fromkeys(v.strip() for v in req.get_param_as_list(name) or [] if v.strip()))


def typing(req: falcon.Request) -> str | None:
    """``typing`` as sent, or None once the words end with a space (the last word is finished)."""
    return None if raw(req, "q")[-1:].isspace() else one(req, "typing")


def filters(req: falcon.Request) -> dict:
    """What chooses the articles (search, export, coverage), named as
    :meth:`search.searcher.Searcher.search` takes it; the searcher validates the values."""
    return {
        "date_from": one(req, "from"),
        "date_to": one(req, "to"),
        "author": many(req, "author"),
        "source": many(req, "source"),
        "category": many(req, "category"),
        "match": one(req, "match"),
        "diacritics": one(req, "diacritics"),
    }


def search_options(req: falcon.Request) -> dict:
    """:func:`filters`, and which page of results and how they are read."""
    return {
        **filters(req),
        "sort": one(req, "sort"),
        "page": one(req, "page", 1),
        "per_page": one(req, "per_page"),
        "verbatim": one(req, "verbatim", False),
        "typing": typing(req) or False,
    }
