"""The site's Falcon resources: ``/`` (search), ``/articles/{id}``, ``/coverage``.

Each reads its parameters, asks the shared :class:`search.searcher.Searcher`,
and answers a whole HTML page from :mod:`api.site.pages`.  A bad parameter is
a 400 page that says what is wrong (never a traceback); an index that is not
there yet is a 503 page.
"""

from __future__ import annotations

import falcon

from api.site import pages
from api.site.state import SearchState
from index.settings import Config
from index.store import IndexMissing
from search.engine import highlight_terms
from search.query import ParsedQuery
from search.searcher import Searcher, SearchError

COVERAGE_PER_PAGE = 20
NO_RESULT_SUGGESTIONS = 5

# Nothing on these pages is inline: scripts, styles and images all come from the app,
# so article text that holds markup could never run even if escaping failed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def respond(resp: falcon.Response, template: str, *, status: str = falcon.HTTP_200, **context) -> None:
    """Answer the page ``templates/<template>`` made with *context* (see :func:`api.site.pages.render`)."""
    resp.status = status
    resp.content_type = "text/html; charset=utf-8"
    resp.set_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    resp.set_header("X-Content-Type-Options", "nosniff")
    resp.set_header("Referrer-Policy", "same-origin")
    # Pages follow the index, which changes under them: always revalidate.
    resp.cache_control = ["no-cache"]
    resp.text = pages.render(template, **context)


def unavailable(resp: falcon.Response, section: str = "search") -> None:
    resp.set_header("Retry-After", "30")
    respond(resp, "error.html", status=falcon.HTTP_503, error="unavailable", section=section)


class SearchPage:
    """``GET /?q=&page=&sort=&from=&to=&author=&source=&category=``: the readers' search page."""

    def __init__(self, searcher: Searcher, config: Config):
        self.searcher = searcher
        self.per_page = config["search.per_page"]
        self.max_per_page = config["search.max_per_page"]

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        state = SearchState.from_request(req)
        # The header's search box keeps the filters (not the page) when the words change.
        hidden = state.changed(q="", diacritics="", verbatim="").params()
        try:
            result = self.searcher.search(state.q, per_page=self.per_page, **state.search_options())
            unfiltered_total, suggestions = None, []
            if result.total == 0 and state.q:
                if state.has_filters:
                    unfiltered_total = self.searcher.search(state.q, per_page=1).total
                suggestions = [
                    s for s in self.searcher.suggest(state.q, NO_RESULT_SUGGESTIONS) if s.strip() != state.q.strip()
                ]
        except SearchError as error:
            context = pages.bad_request(error.param, state, "/", self.max_per_page)
            respond(resp, "error.html", status=falcon.HTTP_400, q=state.q, page_kind="error", **context)
            return
        except IndexMissing:
            unavailable(resp)
            return
        respond(
            resp,
            "search.html",
            result=result,
            state=state,
            unfiltered_total=unfiltered_total,
            suggestions=suggestions,
            q=state.q,
            hidden=hidden,
            page_kind="search",
        )


def text_terms(parsed: ParsedQuery) -> dict | None:
    """What to mark in an article's text: the query's words, except ``author:`` ones (they name the byline)."""
    groups = [[c for c in group if c.field != "author"] for group in parsed.groups]
    groups = [g for g in groups if g]
    return highlight_terms(ParsedQuery(groups=groups, text=parsed.text)) if groups else None


class ArticlePage:
    """``GET /articles/{id}?q=``: one article, the words of ``q`` marked."""

    def __init__(self, searcher: Searcher):
        self.searcher = searcher

    def on_get(self, req: falcon.Request, resp: falcon.Response, doc_id: str) -> None:
        q = (req.get_param("q") or "").strip()
        try:
            doc = self.searcher.document(doc_id)
        except IndexMissing:
            unavailable(resp)
            return
        if doc is None:
            respond(resp, "error.html", status=falcon.HTTP_404, error="not_found", doc_id=doc_id, page_kind="error")
            return
        terms = text_terms(self.searcher.parse(q)) if q else None
        # q is the article's own: the header's search box stays empty.
        respond(resp, "article.html", doc=doc, text=pages.marked_text(doc, terms), article_q=q, page_kind="article")


class CoveragePage:
    """``GET /coverage?q=&page=``: how often a name, phrase or byline appears, month by month."""

    def __init__(self, searcher: Searcher, config: Config):
        self.searcher = searcher
        self.per_page = min(COVERAGE_PER_PAGE, config["search.max_per_page"])
        self.max_per_page = config["search.max_per_page"]

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        requested = SearchState.from_request(req)
        # Only what the view uses: the query, its page, and how it is counted.
        state = SearchState(q=requested.q, page=requested.page, match=requested.match, diacritics=requested.diacritics)
        q = state.q
        # A name is counted where it is written: one phrase unless match=all (search/counting.py).
        counting = [("match", state.match or "phrase")] + (
            [("diacritics", state.diacritics)] if state.diacritics else []
        )
        export = pages.url("/api/search/export", [("q", q), ("format", "csv"), *counting])
        result = None
        if q:
            try:
                # Staff count exactly what they typed: never a correction's results.
                result = self.searcher.search(
                    q, page=state.page or 1, per_page=self.per_page, sort="newest", verbatim=True, **dict(counting)
                )
            except SearchError as error:
                context = pages.bad_request(error.param, state, "/coverage", self.max_per_page)
                respond(resp, "error.html", status=falcon.HTTP_400, section="coverage", page_kind="error", **context)
                return
            except IndexMissing:
                unavailable(resp, "coverage")
                return
        respond(
            resp,
            "coverage.html",
            state=state,
            result=result,
            export_href=export,
            section="coverage",
            page_kind="coverage",
        )
