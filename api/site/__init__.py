"""The site search page and the staff's coverage view, served by the API's Falcon app.

``/`` is the readers' search page, ``/articles/{id}`` an article, ``/coverage``
the staff's coverage view, ``/assets/...`` their CSS, script and icon.  Pages
are rendered on the server (they work without JavaScript); ``static/site.js``
adds suggestions as one types and moves between results without reloading.
"""

from __future__ import annotations

import falcon

from api.site.assets import PREFIX, StaticAssets
from api.site.resources import ArticlePage, CoveragePage, SearchPage
from index.settings import Config
from search.searcher import Searcher


def add_site_routes(app: falcon.App, searcher: Searcher, config: Config) -> None:
    """Mount the HTML pages on *app*; the API's create_app() calls this."""
    app.add_route("/", SearchPage(searcher, config))
    app.add_route("/articles/{doc_id}", ArticlePage(searcher))
    app.add_route("/coverage", CoveragePage(searcher, config))
    app.add_route(PREFIX + "/{name}", StaticAssets())
