"""The app the site's TestClient tests drive: the API's create_app() once it exists.

Until then (the API is being written alongside), a bare Falcon app with only
the site's routes, built the way create_app() mounts them.
"""

from __future__ import annotations

import falcon
import falcon.testing

from index.settings import load_config
from search.searcher import Searcher


def site_client(config_path) -> falcon.testing.TestClient:
    config = load_config(config_path)
    try:
        from api.app import create_app
    except ImportError:
        from api.site import add_site_routes

        app = falcon.App()
        add_site_routes(app, Searcher(config), config)
    else:
        app = create_app(config)
    return falcon.testing.TestClient(app)
