"""HTML templates without a template engine: every value is escaped unless it is :class:`Markup`.

Templates are ``str.format`` strings.  :func:`render` escapes each substituted
value, so forgetting to escape is impossible; text that is already HTML (our
own rendered pieces, or the searcher's ``title_html``/``snippet_html``, which
the search core escapes and marks) is wrapped in :class:`Markup` on purpose,
in one visible place.
"""

from __future__ import annotations

import html
import string
from collections.abc import Iterable
from urllib.parse import urlencode


class Markup(str):
    """A string that is HTML already: inserted as is."""

    __slots__ = ()


def escape(value) -> Markup:
    """*value* as HTML text (quotes escaped too, so it is safe inside attributes)."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("")
    return Markup(html.escape(str(value), quote=True))


class _EscapingFormatter(string.Formatter):
    def format_field(self, value, format_spec: str) -> str:
        if format_spec:
            value = format(value, format_spec)
        return escape(value)


_FORMATTER = _EscapingFormatter()


def render(template: str, /, **values) -> Markup:
    """Fill *template* (``{name}`` fields), escaping every value that is not Markup."""
    return Markup(_FORMATTER.vformat(template, (), values))


def join(parts: Iterable, separator: str = "") -> Markup:
    """Concatenate pieces, escaping the ones that are plain text."""
    return Markup(escape(separator).join(escape(p) for p in parts))


def attrs(**values) -> Markup:
    """HTML attributes; ``None``/``False`` values are left out, ``True`` is a bare attribute.

    Names use ``_`` for ``-`` (``aria_current``) and a trailing ``_`` for
    Python keywords (``class_``).
    """
    out = []
    for name, value in values.items():
        if value is None or value is False:
            continue
        name = name.rstrip("_").replace("_", "-")
        out.append(f" {name}" if value is True else f' {name}="{escape(value)}"')
    return Markup("".join(out))


def url(path: str, params: Iterable[tuple[str, str]] = ()) -> str:
    """*path* with a query string (``+`` for spaces, UTF-8 percent-encoded)."""
    query = urlencode(list(params))
    return f"{path}?{query}" if query else path
