"""Hostile content in headless Chromium: an article written through the API with ``<script>``,
event handlers, entities, control characters and a ``javascript:`` link, viewed on the search
page (server-rendered and swapped in by the script), the article page, the coverage page and
as JSON.  Nothing runs, nothing disappears, the text is shown as text.

(tests/browser/test_site_browser.py covers the sample's quoted ``<script>`` article; this one
is written through the API, with the payloads of tests/test_reliability_hostile.py.)
"""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import open_page
from tests.reliability import AUTH, KEY, token
from tests.server import copy_index, running_server
from tests.test_reliability_hostile import hostile_article

pytestmark = [pytest.mark.browser, pytest.mark.server]

MARKER = token()

# Anything in the main content that could run: script elements, on* attributes, script URLs.
RUNNABLE = """() => {
  const main = document.querySelector('main');
  const found = [];
  for (const el of main.querySelectorAll('*')) {
    if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED'].includes(el.tagName)) found.push(el.tagName);
    if (el.tagName === 'IMG' && el.getAttribute('src') === 'x') found.push('IMG src=x');
    for (const a of el.attributes) {
      if (a.name.startsWith('on')) found.push(el.tagName + '[' + a.name + ']');
      if (/^\\s*(javascript|data|vbscript):/i.test(a.value)) found.push(el.tagName + '[' + a.name + '=' + a.value + ']');
    }
  }
  return found;
}"""


@pytest.fixture(scope="module")
def hostile_site(sample_index, tmp_path_factory):
    config = copy_index(sample_index, tmp_path_factory.mktemp("hostile-site"), server={"access_log": ""})
    with running_server(config, workers=1, env={"HNP_API_KEYS": KEY}) as server:
        r = requests.put(
            server.url + "/api/documents/hostile-1", json=hostile_article(MARKER), headers=AUTH, timeout=60
        )
        assert r.status_code == 200, r.text
        yield server


@pytest.fixture
def watched(browser, hostile_site):
    """A page that records dialogs (alert, confirm...) besides script errors and failed requests."""
    context, page, problems = open_page(browser, hostile_site)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()
    assert dialogs == [], f"a script ran: {dialogs}"
    assert not [p for p in problems if "net::ERR_ABORTED" not in p], problems


def assert_inert(page) -> None:
    assert page.evaluate(RUNNABLE) == []
    expect(page.locator("main")).to_be_visible()  # the quoted <style>body{display:none}</style> hid nothing


def test_search_typed_and_swapped_in_by_the_script(watched):
    page = watched
    page.goto("/")
    box = page.get_by_role("combobox", name="Tìm tin bài")
    box.fill(MARKER)
    box.press("Enter")
    hit = page.locator("ol.hits li.hit").first
    expect(hit).to_contain_text('<script>alert("title")</script>')
    expect(hit.locator("mark").first).to_have_text(MARKER)
    assert_inert(page)
    hit.get_by_role("link").first.click()
    expect(page.locator("article.article")).to_contain_text("</textarea></title></p><svg onload=alert('body')>")
    assert_inert(page)


def test_article_coverage_and_json_views(watched):
    page = watched
    page.goto("/articles/hostile-1")
    article = page.locator("article.article")
    expect(article).to_contain_text('<script>alert("title")</script> &amp; &lt;b&gt;')
    expect(article).to_contain_text("<iframe src=//evil.example></iframe>")
    expect(article.get_by_role("link", name="Xem bài gốc")).to_have_count(0)  # the javascript: url stays text
    assert_inert(page)
    page.goto(f"/coverage?q={MARKER}")
    expect(page.locator("main")).to_contain_text(MARKER)
    assert_inert(page)
    page.goto(f"/?q={MARKER}&sort=newest")  # the server-rendered results, without the script's help
    expect(page.locator("ol.hits li.hit").first).to_contain_text('<script>alert("title")</script>')
    assert_inert(page)
    # A JSON page links no icon, so Chromium asks for /favicon.ico, which the site does not have.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    for path in ("/api/documents/hostile-1", f"/api/search?q={MARKER}"):
        response = page.goto(path)
        assert response.headers["content-type"].startswith("application/json")
        assert page.evaluate("document.querySelectorAll('script, iframe, img').length") == 0
