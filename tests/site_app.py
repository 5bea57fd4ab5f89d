"""The app the site's TestClient tests drive (the API's create_app), and their page getter.

Their fixtures (``client``, ``searcher`` on the sample) are in conftest.py.
"""

from __future__ import annotations

import falcon.testing

from api.app import create_app
from index.settings import load_config
from tests.site_dom import parse


def site_client(config_path) -> falcon.testing.TestClient:
    return falcon.testing.TestClient(create_app(load_config(config_path)))


def get(client, path: str, status: int = 200, **params):
    """GET an HTML page, check its status and that it is a page, not a traceback; parse it."""
    response = client.simulate_get(path, params=params or None)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "Traceback" not in response.text
    return parse(response.text)
