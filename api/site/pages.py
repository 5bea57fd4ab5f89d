"""The pages' Jinja2 templates (``templates/*.html``) and what they need that is not markup.

The templates are autoescaped: every value is HTML-escaped unless it is
:class:`markupsafe.Markup`, which only the searcher's ``title_html`` and
``snippet_html`` (escaped by the search core, ``<mark>`` added) and the
article's marked text are.  Every page extends ``base.html``; ``macros.html``
holds the pieces the pages share (search box, hits, pagination, chips,
facets), ``charts.html`` the charts.  The Falcon resources in
:mod:`api.site.resources` call the searcher and pick the template.  Interface
text is Vietnamese.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from markupsafe import Markup, escape

from api.site import assets, charts
from api.site.formatting import articles, month_label, number, period_label, published_label
from api.site.state import SearchState, toggled, url
from index.analysis import fold, has_diacritics
from index.schema import UNDATED, author_key
from search.snippets import find_hits, mark, prepare

SITE_NAME = "Tra cứu tin bài HNP"
SORT_LABELS = {"relevance": "Liên quan nhất", "newest": "Mới nhất", "oldest": "Cũ nhất"}
UNTITLED = "(không có tiêu đề)"
COVERAGE_EXAMPLES = ("Nguyễn Văn Phong", '"quy chế dân chủ"', "author:Huy Kiên")


def article_href(doc_id: str, q: str = "") -> str:
    return url(f"/articles/{quote(doc_id, safe='')}", [("q", q)] if q else [])


def page_count(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


def page_window(page: int, pages: int) -> list[int]:
    """The page numbers shown: the first, the last, and two either side of *page*."""
    return sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})


def page_link(state: SearchState, path: str) -> Callable[[int], str]:
    return lambda n: state.link(path, page=str(n))


def active_filters(state: SearchState) -> list[tuple[str, str, str]]:
    """(kind, value, link that removes it) of each filter in use: the chips."""
    found = []
    label = period_label(state.start, state.end)
    if label:
        found.append(("Thời gian", label, state.link(date_from="", date_to="")))
    found += [("Tác giả", a, state.link(authors=toggled(state.authors, a))) for a in state.authors]
    found += [("Nguồn", s, state.link(sources=toggled(state.sources, s))) for s in state.sources]
    found += [("Chuyên mục", c, state.link(categories=toggled(state.categories, c))) for c in state.categories]
    return found


# How a chosen filter value is recognised among a facet's values (bylines are written many ways).
_SAME = {
    "author": lambda a, b: fold(author_key(a)) == fold(author_key(b)),
    "source": lambda a, b: a.lower() == b.lower(),
    "category": lambda a, b: a.lower() == b.lower(),
}
_CHOSEN = {"author": "authors", "source": "sources", "category": "categories"}


def facet_entries(facets: dict, state: SearchState, name: str) -> list[tuple[str, int, str | None]]:
    """(value, count, the chosen value it is, or None) of a facet; a chosen value the facet no
    longer lists (nothing matches with it) is listed with 0, so that it can still be unchosen."""
    same, selected = _SAME[name], getattr(state, _CHOSEN[name])
    facet = [(entry["value"], entry["count"]) for entry in facets.get(name, [])]
    facet += [(s, 0) for s in selected if not any(same(s, v) for v, _ in facet)]
    return [(value, count, next((s for s in selected if same(s, value)), None)) for value, count in facet]


def safe_link(address: str) -> str | None:
    """Only http(s) links leave the site: a ``javascript:`` url in the data stays text."""
    try:
        scheme = urlsplit(address).scheme.lower()
    except ValueError:
        return None
    return address if scheme in ("http", "https") else None


def as_quoted(q: str) -> str:
    return f'"{q}"' if '"' not in q else q


def marked_text(doc: dict, terms: dict | None) -> dict:
    """An article's title, lead, paragraphs and captions as HTML, the words of *terms* marked,
    and how many places were marked."""
    prepared = prepare(terms) if terms else None  # once for the title and every paragraph
    marked = 0

    def show(text: str) -> Markup:
        nonlocal marked
        if prepared is None:
            return escape(text)
        shown = mark(text, find_hits(text, prepared))  # escapes the text, adds only <mark>
        marked += shown.count("<mark>")
        return Markup(shown)

    return {
        "title": show(doc["title"]),
        "summary": show(doc["summary"]),
        "body": [show(p) for p in doc["body"].split("\n") if p.strip()],
        "captions": [show(c) for c in doc["captions"]],
        "marked": marked,
    }


# What a bad search parameter means, said to a reader ({max_per_page}: search.max_per_page).
PARAM_MESSAGES = {
    "page": "Số trang phải là một số nguyên dương.",
    "per_page": "Số kết quả mỗi trang phải là một số nguyên từ 1 đến {max_per_page}.",
    "sort": "Cách sắp xếp chỉ có thể là: liên quan nhất, mới nhất hoặc cũ nhất.",
    "from": "Ngày phải viết theo dạng năm-tháng-ngày (ví dụ 2022-01-31), và ngày bắt đầu không được sau ngày kết thúc.",
    "to": "Ngày phải viết theo dạng năm-tháng-ngày (ví dụ 2022-01-31).",
    "match": "Cách đếm chỉ có thể là: all (đủ mọi chữ) hoặc phrase (cụm từ).",
    "diacritics": "Cách tính dấu chỉ có thể là: exact (đúng dấu) hoặc any (cả khi bỏ dấu).",
}
# What a retry leaves out of the address, by bad parameter.
_RETRY_WITHOUT = {
    "page": {"page": ""},
    "sort": {"sort": ""},
    "from": {"date_from": "", "date_to": ""},
    "to": {"date_from": "", "date_to": ""},
    "match": {"match": ""},
    "diacritics": {"diacritics": ""},
}


def bad_request(param: str, state: SearchState, path: str, max_per_page: int) -> dict:
    """The context of the 400 page for a bad *param*: what it means, and the address without it."""
    fixed = _RETRY_WITHOUT.get(param)
    retry = state.changed(**fixed).url(path) if fixed else url(path, [("q", state.q)] if state.q else [])
    message = PARAM_MESSAGES.get(param, "Một tham số của địa chỉ này không hợp lệ.")
    return {"error": "bad_request", "message": message.format(max_per_page=max_per_page), "retry": retry}


_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,  # a misspelt name fails the page (and its test), not renders empty
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # templates ship with the code: no stat of each file at every page
)
_ENV.filters.update(number=number, articles=articles, published_label=published_label, month_label=month_label)
_ENV.globals.update(
    SITE_NAME=SITE_NAME,
    SORT_LABELS=SORT_LABELS,
    UNTITLED=UNTITLED,
    UNDATED=UNDATED,
    COVERAGE_EXAMPLES=COVERAGE_EXAMPLES,
    asset=assets.url,
    url=url,
    article_href=article_href,
    page_count=page_count,
    page_window=page_window,
    page_link=page_link,
    active_filters=active_filters,
    facet_entries=facet_entries,
    toggled=toggled,
    safe_link=safe_link,
    as_quoted=as_quoted,
    has_diacritics=has_diacritics,
    month_series=charts.month_series,
    counts=charts.counts,
    table_rows=charts.table_rows,
)
_CHARTS: Any = _ENV.get_template("charts.html").module  # the macros of charts.html


def timeline_html(facets: dict, state: SearchState) -> Markup:
    return _CHARTS.timeline(charts.timeline(facets, state))


def coverage_chart_html(series: list[tuple[str, int]]) -> Markup:
    return _CHARTS.coverage_chart(charts.coverage_chart(series))


coverage_table_html = _CHARTS.coverage_table
_ENV.globals.update(timeline=timeline_html, coverage_chart=coverage_chart_html, coverage_table=coverage_table_html)


def render(template: str, **context) -> str:
    """A whole page from ``templates/<template>``; the layout's q, hidden, section and page_kind
    default to an empty search box in the search section."""
    context = {"q": "", "hidden": [], "section": "search", "page_kind": "", **context}
    return _ENV.get_template(template).render(context)
