"""The site search page and the staff's coverage view (placeholder until issue 6 lands)."""

from __future__ import annotations


def add_site_routes(app, searcher, config) -> None:
    """Mount the HTML pages on *app*; the API's create_app() calls this."""
