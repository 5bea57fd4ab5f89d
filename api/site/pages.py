"""The pages' HTML: the shared layout, the search page, an article, the coverage view, errors.

Everything here is rendering only (data in, :class:`Markup` out); the Falcon
resources in :mod:`api.site.resources` call the searcher and pick the page.
Interface text is Vietnamese.  The search page's ``<main>`` is also what the
script swaps in when it fetches a new state without reloading, so the page
looks the same with or without JavaScript.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from api.site import assets
from api.site.charts import counts, coverage_chart, coverage_table, month_series, timeline
from api.site.formatting import articles, month_label, number, period_label, published_label
from api.site.html import Markup, attrs, escape, join, render, url
from api.site.state import SearchState, toggled
from index.analysis import fold
from index.schema import UNDATED, author_key
from search.searcher import Hit, SearchResult
from search.snippets import find_hits, mark, prepare

SITE_NAME = "Tra cứu tin bài HNP"
SORT_LABELS = {"relevance": "Liên quan nhất", "newest": "Mới nhất", "oldest": "Cũ nhất"}
UNTITLED = "(không có tiêu đề)"


# --- layout -------------------------------------------------------------------------------


def layout(
    *,
    title: str,
    main: Markup,
    q: str = "",
    hidden: list[tuple[str, str]] = (),
    section: str = "search",
    page_kind: str = "",
) -> Markup:
    """A whole page around *main*: skip link, header with the search box, footer."""
    nav = join(
        render(
            "<li><a{attrs}>{label}</a></li>",
            attrs=attrs(href=href, aria_current="page" if section == key else None),
            label=label,
        )
        for key, href, label in (("search", "/", "Tìm kiếm"), ("coverage", "/coverage", "Thống kê đưa tin"))
    )
    return render(
        """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="{favicon}" type="image/svg+xml">
<link rel="stylesheet" href="{css}">
<script src="{js}" defer></script>
</head>
<body data-page="{page_kind}">
<a class="skip-link" href="#main">Bỏ qua, đến nội dung chính</a>
<header class="site-header">
<div class="header-inner">
<div class="header-top">
<p class="brand"><a href="/">{site}</a></p>
<nav class="site-nav" aria-label="Điều hướng chính"><ul>{nav}</ul></nav>
</div>
{search_box}
</div>
</header>
<main id="main" tabindex="-1" data-title="{title}">
{main}
</main>
<div id="announcer" class="visually-hidden" aria-live="polite" aria-atomic="true"></div>
<footer class="site-footer">
<p>Kho tin bài của Cổng thông tin Hà Nội (HNP). Tìm được cả khi gõ không dấu: <a href="/?q=dan+van">dan van</a>.</p>
</footer>
</body>
</html>
""",
        title=title,
        site=SITE_NAME,
        favicon=assets.url("favicon.svg"),
        css=assets.url("site.css"),
        js=assets.url("site.js"),
        page_kind=page_kind,
        nav=nav,
        search_box=search_box(q, hidden),
        main=main,
    )


def search_box(
    q: str, hidden: list[tuple[str, str]] = (), *, action: str = "/", form_id: str = "site-search"
) -> Markup:
    """The search form, a combobox with suggestions once the script runs."""
    return render(
        """<form class="search-box" role="search" action="{action}" method="get" id="{form_id}">
<label for="{form_id}-q">Tìm tin bài</label>
<div class="search-row">
<div class="combobox">
<input id="{form_id}-q" name="q" type="search" value="{q}" autocomplete="off" spellcheck="false"
 placeholder="Gõ có dấu hoặc không dấu, ví dụ: dan van" aria-describedby="{form_id}-hint" data-suggest>
<ul class="suggestions" id="{form_id}-list" role="listbox" aria-label="Gợi ý tìm kiếm" hidden></ul>
</div>
<button type="submit">Tìm kiếm</button>
</div>
<p class="hint visually-hidden" id="{form_id}-hint">Gợi ý hiện ra khi gõ; dùng phím mũi tên lên, xuống để chọn, Enter để tìm.</p>
{hidden}
</form>""",
        action=action,
        form_id=form_id,
        q=q,
        hidden=hidden_inputs(hidden),
    )


def hidden_inputs(params: list[tuple[str, str]]) -> Markup:
    return join(render('<input type="hidden" name="{name}" value="{value}">', name=n, value=v) for n, v in params)


def article_href(doc_id: str, q: str = "") -> str:
    return url(f"/articles/{quote(doc_id, safe='')}", [("q", q)] if q else [])


def _time(published: str) -> Markup:
    label = published_label(published)
    if not published:
        return render('<span class="date unknown">{label}</span>', label=label)
    return render('<time datetime="{iso}">{label}</time>', iso=published, label=label)


def _meta(hit: Hit) -> Markup:
    parts = [_time(hit.published)]
    if hit.author:
        parts.append(render('<span class="author">{a}</span>', a=hit.author))
    if hit.source:
        parts.append(render('<span class="source">{s}</span>', s=hit.source))
    if hit.category:
        parts.append(render('<span class="category">{c}</span>', c=hit.category))
    return join(parts, " · ")


def hit_item(hit: Hit, q: str) -> Markup:
    return render(
        """<li class="hit">
<article>
<h2 class="hit-title"><a href="{href}">{title}</a></h2>
<p class="hit-meta">{meta}</p>
<p class="snippet">{snippet}</p>
</article>
</li>""",
        href=article_href(hit.id, q),
        # The search core escapes the text and adds only <mark>: trusted HTML.
        title=Markup(hit.title_html) if hit.title else UNTITLED,
        meta=_meta(hit),
        snippet=Markup(hit.snippet_html),
    )


def pagination(page: int, pages: int, link: Callable[[int], str]) -> Markup:
    """Previous/next and a window of page numbers around *page*."""
    if pages <= 1:
        return Markup("")
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    items, previous = [], 0
    for n in shown:
        if n - previous > 1:
            items.append(Markup('<li class="gap" aria-hidden="true">…</li>'))
        items.append(
            render(
                '<li><a href="{href}" aria-current="page" aria-label="Trang {n}, trang hiện tại">{n}</a></li>',
                href=link(n),
                n=n,
            )
            if n == page
            else render('<li><a href="{href}" aria-label="Trang {n}">{n}</a></li>', href=link(n), n=n)
        )
        previous = n
    prev_link = (
        render('<li class="prev"><a href="{href}" rel="prev">← Trang trước</a></li>', href=link(page - 1))
        if page > 1
        else Markup("")
    )
    next_link = (
        render('<li class="next"><a href="{href}" rel="next">Trang sau →</a></li>', href=link(page + 1))
        if page < pages
        else Markup("")
    )
    return render(
        '<nav class="pagination" aria-label="Phân trang"><ul>{prev}{items}{next}</ul></nav>',
        prev=prev_link,
        items=join(items),
        next=next_link,
    )


def page_count(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


# --- the search page ------------------------------------------------------------------------


def _same_author(a: str, b: str) -> bool:
    return fold(author_key(a)) == fold(author_key(b))


def chips(state: SearchState) -> Markup:
    """The filters in use, each a link that removes it."""
    found = []
    label = period_label(state.start, state.end)
    if label:
        found.append(("Thời gian", label, state.link(date_from="", date_to="")))
    found += [("Tác giả", a, state.link(authors=toggled(state.authors, a))) for a in state.authors]
    found += [("Nguồn", s, state.link(sources=toggled(state.sources, s))) for s in state.sources]
    found += [("Chuyên mục", c, state.link(categories=toggled(state.categories, c))) for c in state.categories]
    if not found:
        return Markup("")
    items = [
        render(
            '<li><a class="chip" href="{href}" aria-label="Bỏ lọc {kind}: {value}">'
            '<span class="chip-kind">{kind}:</span> {value} <span class="chip-x" aria-hidden="true">×</span></a></li>',
            kind=kind,
            value=value,
            href=href,
        )
        for kind, value, href in found
    ]
    if len(found) > 1:
        items.append(
            render('<li><a class="chip-clear" href="{href}">Bỏ mọi bộ lọc</a></li>', href=state.without_filters().url())
        )
    return render(
        '<div class="chips"><h2 class="visually-hidden">Bộ lọc đang dùng</h2><ul>{items}</ul></div>', items=join(items)
    )


def _facet(title: str, heading_id: str, facet: list[dict], selected: tuple[str, ...], link, same=str.__eq__) -> Markup:
    if not facet and not selected:
        return Markup("")
    items = []
    listed = [entry["value"] for entry in facet]
    # A chosen value the facet no longer lists (nothing matches with it) can still be unchosen here.
    missing = [s for s in selected if not any(same(s, v) for v in listed)]
    for entry in [*facet, *({"value": s, "count": 0} for s in missing)]:
        value, count = entry["value"], entry["count"]
        chosen = next((s for s in selected if same(s, value)), None)
        items.append(
            render(
                '<li><a href="{href}"{current}><span class="facet-value">{check}{value}</span>'
                ' <span class="count">{count}</span>{hint}</a></li>',
                href=link(chosen if chosen is not None else value),
                current=attrs(aria_current="true" if chosen is not None else None),
                check="✓ " if chosen is not None else "",
                value=value,
                count=number(count),
                hint=Markup('<span class="visually-hidden"> (đang lọc; chọn để bỏ)</span>')
                if chosen is not None
                else "",
            )
        )
    return render(
        """<section class="facet" aria-labelledby="{hid}">
<h3 id="{hid}">{title}</h3>
<ul>{items}</ul>
</section>""",
        hid=heading_id,
        title=title,
        items=join(items),
    )


def date_form(state: SearchState) -> Markup:
    keep = state.changed(date_from="", date_to="").params()
    return render(
        """<form class="dates" action="/" method="get">
{hidden}<fieldset>
<legend>Khoảng thời gian</legend>
<div class="date-fields">
<p><label for="filter-from">Từ ngày</label> <input type="date" id="filter-from" name="from" value="{start}"></p>
<p><label for="filter-to">Đến ngày</label> <input type="date" id="filter-to" name="to" value="{end}"></p>
</div>
<button type="submit">Lọc theo ngày</button>
</fieldset>
</form>""",
        hidden=hidden_inputs(keep),
        start=state.start.isoformat() if state.start else "",
        end=state.end.isoformat() if state.end else "",
    )


def sort_form(state: SearchState, current: str) -> Markup:
    keep = state.changed(sort="").params()
    options = join(
        render("<option{attrs}>{label}</option>", attrs=attrs(value=key, selected=key == current), label=label)
        for key, label in SORT_LABELS.items()
    )
    return render(
        """<form class="sort" action="/" method="get">
{hidden}<label for="sort">Sắp xếp theo</label>
<select id="sort" name="sort" data-autosubmit>{options}</select>
<button type="submit" class="no-js-only">Sắp xếp</button>
</form>""",
        hidden=hidden_inputs(keep),
        options=options,
    )


def _heading(state: SearchState) -> str:
    if state.q:
        return f"Kết quả tìm kiếm cho “{state.q}”"
    return "Tất cả bài viết" if state.has_filters else "Tin bài mới nhất"


def search_main(
    result: SearchResult, state: SearchState, *, unfiltered_total: int | None, suggestions: list[str]
) -> Markup:
    """The ``<main>`` of the search page for *result*."""
    pages = page_count(result.total, result.per_page)
    first = (result.page - 1) * result.per_page
    notices = []
    if result.showing_results_for:
        notices.append(
            render(
                '<p class="showing-results-for">Hiển thị kết quả cho <a href="{href}">{instead}</a>. '
                'Tìm đúng như đã gõ: <a class="verbatim" href="{verbatim}">{q}</a></p>',
                href=state.link(q=result.showing_results_for),
                instead=result.showing_results_for,
                verbatim=state.link(verbatim="1"),
                q=state.q,
            )
        )
    if result.did_you_mean and result.did_you_mean != result.showing_results_for:
        notices.append(
            render(
                '<p class="did-you-mean">Có phải bạn muốn tìm: <a href="{href}">{dym}</a>?</p>',
                href=state.link(q=result.did_you_mean),
                dym=result.did_you_mean,
            )
        )
    if result.relaxed and result.total:
        notices.append(
            Markup('<p class="notice">Không bài nào có đủ mọi từ đã gõ; dưới đây là các bài có phần lớn các từ.</p>')
        )
    if result.truncated:
        notices.append(Markup('<p class="notice">Câu tìm kiếm quá dài: chỉ phần đầu của nó được dùng.</p>'))

    if result.total and result.hits:
        summary = f"Hiển thị {number(first + 1)}–{number(first + len(result.hits))} trong {articles(result.total)}"
        if pages > 1:
            summary += f" · trang {number(result.page)}/{number(pages)}"
        listing = render(
            '<ol class="hits" start="{start}">{items}</ol>',
            start=first + 1,
            # The article page marks the words searched: the decoded or corrected ones when shown.
            items=join(hit_item(h, result.showing_results_for or state.q) for h in result.hits),
        )
    elif result.total:
        summary = f"Tìm thấy {articles(result.total)}"
        listing = render(
            '<p class="notice">Trang {page} không có kết quả: chỉ có {pages} trang. <a href="{href}">Về trang đầu</a>.</p>',
            page=number(result.page),
            pages=number(pages),
            href=state.link(),
        )
    else:
        summary = "Không tìm thấy bài viết nào"
        listing = no_results(result, state, unfiltered_total, suggestions)

    toolbar = (
        render(
            '<div class="toolbar">{sort}<a class="to-filters" href="#filters">Bộ lọc</a></div>',
            sort=sort_form(state, result.sort),
        )
        if result.total
        else Markup("")
    )
    facets = result.facets
    aside = render(
        """<aside class="filters" id="filters" aria-labelledby="filters-heading">
<h2 id="filters-heading">Lọc kết quả</h2>
{dates}{authors}{sources}{categories}</aside>""",
        dates=date_form(state),
        authors=_facet(
            "Tác giả",
            "facet-author",
            facets.get("author", []),
            state.authors,
            lambda v: state.link(authors=toggled(state.authors, v)),
            _same_author,
        ),
        sources=_facet(
            "Nguồn",
            "facet-source",
            facets.get("source", []),
            state.sources,
            lambda v: state.link(sources=toggled(state.sources, v)),
            lambda a, b: a.lower() == b.lower(),
        ),
        categories=_facet(
            "Chuyên mục",
            "facet-category",
            facets.get("category", []),
            state.categories,
            lambda v: state.link(categories=toggled(state.categories, v)),
            lambda a, b: a.lower() == b.lower(),
        ),
    )
    return render(
        """<div class="results-layout">
<section class="results" aria-labelledby="results-heading">
<h1 id="results-heading">{heading}</h1>
<p class="summary" id="results-summary">{summary}</p>
{notices}{chips}{timeline}{toolbar}{listing}
{pagination}
</section>
{aside}
</div>""",
        heading=_heading(state),
        summary=summary,
        notices=join(notices, "\n"),
        chips=chips(state),
        timeline=timeline(facets, state) if result.total else "",
        toolbar=toolbar,
        listing=listing,
        pagination=pagination(result.page, pages, lambda n: state.link(page=str(n))) if result.total else "",
        aside=aside,
    )


def no_results(
    result: SearchResult, state: SearchState, unfiltered_total: int | None, suggestions: list[str]
) -> Markup:
    """What to try when nothing matched."""
    tips = []
    if result.did_you_mean:
        tips.append(
            render(
                '<li>Tìm theo cách viết gợi ý: <a href="{href}">{dym}</a>.</li>',
                href=state.link(q=result.did_you_mean),
                dym=result.did_you_mean,
            )
        )
    if state.has_filters:
        if unfiltered_total:
            tips.append(
                render(
                    '<li>Bỏ bộ lọc: <a href="{href}">tìm “{q}” trong mọi bài ({n})</a>.</li>',
                    href=state.without_filters().url(),
                    q=state.q,
                    n=articles(unfiltered_total),
                )
            )
        else:
            tips.append(render('<li><a href="{href}">Bỏ mọi bộ lọc</a>.</li>', href=state.without_filters().url()))
    if suggestions:
        tips.append(
            render(
                "<li>Có thể bạn muốn tìm: {links}.</li>",
                links=join(
                    (render('<a href="{href}">{s}</a>', href=url("/", [("q", s)]), s=s) for s in suggestions), ", "
                ),
            )
        )
    if '"' in state.q:
        tips.append(Markup("<li>Bỏ dấu ngoặc kép để tìm các từ không cần đứng liền nhau.</li>"))
    tips += [
        Markup(
            "<li>Kiểm tra chính tả, hoặc gõ không dấu: <kbd>nguyen van phong</kbd> tìm được cả <i>Nguyễn Văn Phong</i>.</li>"
        ),
        Markup("<li>Dùng ít từ hơn, hoặc từ chung hơn.</li>"),
    ]
    return render(
        """<div class="no-results">
<p>Không có bài viết nào khớp với “{q}”{filtered}.</p>
<h2>Gợi ý</h2>
<ul>{tips}</ul>
</div>""",
        q=state.q,
        filtered=" với các bộ lọc đang chọn" if state.has_filters else "",
        tips=join(tips, "\n"),
    )


def search_page(result: SearchResult, state: SearchState, **extra) -> tuple[str, Markup]:
    """(title, main) of the search page."""
    title = f"{state.q} – {SITE_NAME}" if state.q else SITE_NAME
    return title, search_main(result, state, **extra)


# --- an article -----------------------------------------------------------------------------


def _safe_link(address: str) -> str | None:
    """Only http(s) links leave the site: a ``javascript:`` url in the data stays text."""
    try:
        scheme = urlsplit(address).scheme.lower()
    except ValueError:
        return None
    return address if scheme in ("http", "https") else None


def article_main(doc: dict, q: str, terms: dict | None) -> tuple[str, Markup]:
    """(title, main) of an article, the words of *q* marked when *terms* is given."""
    marked = 0
    prepared = prepare(terms) if terms else None  # once for the title and every paragraph

    def show(text: str) -> Markup:
        nonlocal marked
        if prepared is None:
            return escape(text)
        shown = mark(text, find_hits(text, prepared))
        marked += shown.count("<mark>")
        return Markup(shown)

    title = doc["title"] or UNTITLED
    heading = show(doc["title"]) if doc["title"] else escape(UNTITLED)
    lead = render('<p class="lead">{t}</p>', t=show(doc["summary"])) if doc["summary"] else Markup("")
    body = join((render("<p>{t}</p>", t=show(p)) for p in doc["body"].split("\n") if p.strip()), "\n")
    captions = (
        render(
            '<aside class="captions" aria-labelledby="captions-heading"><h2 id="captions-heading">Chú thích ảnh</h2><ul>{items}</ul></aside>',
            items=join(render("<li>{c}</li>", c=show(c)) for c in doc["captions"]),
        )
        if doc["captions"]
        else Markup("")
    )
    meta = [render("<span>Đăng: {t}</span>", t=_time(doc["published"]))]
    if doc["author"]:
        meta.append(
            render(
                '<span>Tác giả: <a href="{href}">{a}</a></span>',
                a=doc["author"],
                href=url("/", [("author", doc["author"])]),
            )
        )
    if doc["source"]:
        meta.append(render("<span>Nguồn: {s}</span>", s=doc["source"]))
    if doc["category"]:
        meta.append(render("<span>Chuyên mục: {c}</span>", c=doc["category"]))
    original = _safe_link(doc["url"])
    source_link = (
        render(
            '<p class="original"><a href="{href}" rel="noopener noreferrer nofollow">Xem bài gốc</a> <span class="url">{href}</span></p>',
            href=original,
        )
        if original
        else Markup("")
    )
    back = (
        render('<p class="back"><a href="{href}">← Kết quả tìm kiếm cho “{q}”</a></p>', href=url("/", [("q", q)]), q=q)
        if q
        else Markup('<p class="back"><a href="/">← Trang tìm kiếm</a></p>')
    )
    note = Markup("")
    if q:
        note = render(
            '<p class="highlight-note">{what} <a href="{href}">Bỏ tô sáng</a></p>',
            what=f"Tô sáng {number(marked)} chỗ khớp với “{q}”."
            if marked
            else f"Không có chữ nào trong bài khớp đúng “{q}”.",
            href=article_href(doc["id"]),
        )
    main = render(
        """{back}<article class="article" aria-labelledby="article-title">
<h1 id="article-title">{heading}</h1>
<p class="article-meta">{meta}</p>
{note}{lead}
{body}
{captions}
{source_link}</article>""",
        back=back,
        heading=heading,
        meta=join(meta, " · "),
        note=note,
        lead=lead,
        body=body,
        captions=captions,
        source_link=source_link,
    )
    return title, main


# --- the coverage view ------------------------------------------------------------------------

COVERAGE_EXAMPLES = ("Nguyễn Văn Phong", '"quy chế dân chủ"', "author:Huy Kiên")


def coverage_form(q: str) -> Markup:
    examples = join(
        (render('<a href="{href}">{e}</a>', href=url("/coverage", [("q", e)]), e=e) for e in COVERAGE_EXAMPLES), ", "
    )
    return render(
        """<form class="coverage-form" role="search" action="/coverage" method="get" aria-label="Thống kê đưa tin">
<label for="coverage-q">Tên người, cụm từ, hoặc <code>author:</code> và tên tác giả</label>
<div class="search-row">
<div class="combobox">
<input id="coverage-q" name="q" type="search" value="{q}" autocomplete="off" spellcheck="false" aria-describedby="coverage-hint" data-suggest>
<ul class="suggestions" id="coverage-list" role="listbox" aria-label="Gợi ý" hidden></ul>
</div>
<button type="submit">Xem thống kê</button>
</div>
<p class="hint" id="coverage-hint">Ví dụ: {examples}. Dấu ngoặc kép tìm đúng cụm từ.</p>
</form>""",
        q=q,
        examples=examples,
    )


def coverage_main(q: str, result: SearchResult | None, export_href: str) -> tuple[str, Markup]:
    """(title, main) of the coverage view; *result* is None before a query is given."""
    intro = render(
        """<h1 id="coverage-heading">Thống kê đưa tin</h1>
<p class="intro">Một người, một cụm từ hay một tác giả đã xuất hiện trong bao nhiêu bài, vào những tháng nào.</p>
{form}""",
        form=coverage_form(q),
    )
    if result is None:
        return f"Thống kê đưa tin – {SITE_NAME}", intro
    series = month_series(result.facets.get("month", []))
    undated = counts(result.facets.get("year", [])).get(UNDATED, 0)
    span = (
        f"Từ {month_label(series[0][0])} đến {month_label(series[-1][0])}." if series else "Không bài nào có ngày đăng."
    )
    if undated:
        span += f" {articles(undated)} không rõ ngày (không có trong biểu đồ)."
    if result.total:
        chart = (
            render(
                """<figure class="chart">
<div class="chart-scroll">{svg}</div>
<figcaption>Số bài viết theo tháng{undated}.</figcaption>
</figure>
<details class="chart-data"><summary>Xem số liệu dạng bảng</summary>
<div class="table-scroll">{table}</div>
</details>""",
                svg=coverage_chart(series),
                undated=f" (chưa tính {articles(undated)} không rõ ngày)" if undated else "",
                table=coverage_table(series),
            )
            if series
            else Markup("")
        )
        pages = page_count(result.total, result.per_page)
        first = (result.page - 1) * result.per_page
        listing = render(
            """<section class="coverage-list" aria-labelledby="list-heading">
<h2 id="list-heading">Danh sách bài, mới nhất trước</h2>
<ol class="hits compact" start="{start}">{items}</ol>
{pagination}
</section>""",
            start=first + 1,
            items=join(hit_item(h, q) for h in result.hits),
            pagination=pagination(result.page, pages, lambda n: url("/coverage", [("q", q), ("page", str(n))])),
        )
        actions = render(
            """<p class="actions"><a class="button" href="{export}" download>Tải toàn bộ danh sách (CSV, {n})</a>
<a href="{search}">Mở trong trang tìm kiếm</a></p>""",
            export=export_href,
            n=articles(result.total),
            search=url("/", [("q", q), ("sort", "newest")]),
        )
    else:
        chart = listing = Markup("")
        actions = render(
            '<p>Thử cách viết khác, hoặc <a href="{href}">tìm “{q}” ở trang tìm kiếm</a> để xem gợi ý.</p>',
            href=url("/", [("q", q)]),
            q=q,
        )
    main = render(
        """{intro}
<section class="coverage" aria-labelledby="coverage-total">
<h2 id="coverage-total" tabindex="-1">“{q}”: <span class="total">{total}</span></h2>
<p class="span">{span}</p>
{actions}
{chart}
</section>
{listing}""",
        intro=intro,
        q=q,
        total=articles(result.total),
        span=span if result.total else "",
        actions=actions,
        chart=chart,
        listing=listing,
    )
    return f"Thống kê: {q} – {SITE_NAME}", main


# --- errors ---------------------------------------------------------------------------------

# What a bad search parameter means, said to a reader.
PARAM_MESSAGES = {
    "page": "Số trang phải là một số nguyên dương.",
    "per_page": "Số kết quả mỗi trang phải là một số nguyên từ 1 đến 100.",
    "sort": "Cách sắp xếp chỉ có thể là: liên quan nhất, mới nhất hoặc cũ nhất.",
    "from": "Ngày phải viết theo dạng năm-tháng-ngày (ví dụ 2022-01-31), và ngày bắt đầu không được sau ngày kết thúc.",
    "to": "Ngày phải viết theo dạng năm-tháng-ngày (ví dụ 2022-01-31).",
}


def bad_request_main(param: str, state: SearchState, path: str = "/") -> tuple[str, Markup]:
    fixed = {
        "page": {"page": ""},
        "sort": {"sort": ""},
        "from": {"date_from": "", "date_to": ""},
        "to": {"date_from": "", "date_to": ""},
    }.get(param, {})
    retry = state.changed(**fixed).url(path) if fixed else url(path, [("q", state.q)] if state.q else [])
    return "Yêu cầu chưa hợp lệ – " + SITE_NAME, render(
        """<div class="error-page">
<h1>Yêu cầu chưa hợp lệ</h1>
<p>{message}</p>
<p><a href="{retry}">Tìm lại mà bỏ tham số sai</a> · <a href="/">Về trang tìm kiếm</a></p>
</div>""",
        message=PARAM_MESSAGES.get(param, "Một tham số của địa chỉ này không hợp lệ."),
        retry=retry,
    )


def not_found_main(doc_id: str) -> tuple[str, Markup]:
    return "Không tìm thấy bài viết – " + SITE_NAME, render(
        """<div class="error-page">
<h1>Không tìm thấy bài viết</h1>
<p>Kho tin bài không có bài nào mang mã “{doc_id}”. Có thể bài đã bị gỡ, hoặc địa chỉ bị chép thiếu.</p>
<p><a href="/">Về trang tìm kiếm</a></p>
</div>""",
        doc_id=doc_id,
    )


def unavailable_main() -> tuple[str, Markup]:
    return "Chưa sẵn sàng – " + SITE_NAME, Markup(
        """<div class="error-page">
<h1>Kho tin bài chưa sẵn sàng</h1>
<p>Chỉ mục tìm kiếm chưa được xây dựng hoặc đang được thay thế. Xin thử lại sau ít phút.</p>
</div>"""
    )
