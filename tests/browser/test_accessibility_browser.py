"""axe-core 4 in Chromium finds no accessibility violation on the site's main pages.

The rules are WCAG 2.0 A and AA, WCAG 2.1 A and AA, and axe's best practices, run
on each page as a reader gets it (scripts on, after they have run).  axe-core is
installed by ``bin/setup --dev`` (pinned, from npm, into ``.tools/``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import ROOT, open_page

pytestmark = [pytest.mark.browser, pytest.mark.server]

AXE = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PAGES = {
    "home": "/",
    "results": "/?q=dan+van",
    "results, filtered": "/?q=h%C3%A0+n%E1%BB%99i&from=2022-01-01&to=2022-12-31&sort=newest",
    "results, page 2": "/?q=h%C3%A0+n%E1%BB%99i&page=2",
    "no results": "/?q=xyzzy+qwvbn",
    "coverage": "/coverage?q=d%C3%A2n+v%E1%BA%ADn",
    "coverage, empty": "/coverage",
    "article": "/articles/000_2ebd19a772751180?q=dan+van",
}


@pytest.fixture(scope="module")
def axe_source() -> str:
    assert AXE.exists(), f"{AXE} is missing: run bin/setup --dev (it installs axe-core from npm)"
    return Path(AXE).read_text(encoding="utf-8")


def violations(page, axe_source: str) -> list[str]:
    # Evaluated through the DevTools protocol: the page's Content-Security-Policy (no inline
    # scripts) stays as served, so the page is checked as readers get it.
    page.evaluate(axe_source)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -- {[n['target'] for n in v['nodes']][:5]}"
        for v in result["violations"]
    ]


@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_violation(browser, site, axe_source, name):
    context, page, problems = open_page(browser, site)
    try:
        page.goto(PAGES[name])
        page.wait_for_load_state("networkidle")
        found = violations(page, axe_source)
    finally:
        context.close()
    assert found == [], f"{name} ({PAGES[name]}): " + "\n".join(found)
    assert not problems, problems


def test_axe_reports_what_it_should(browser, site, axe_source):
    """The check can fail: a search box stripped of its label is a violation."""
    context, page, _ = open_page(browser, site)
    try:
        page.goto("/")
        page.evaluate("document.querySelector('label[for=site-search-q]').remove()")
        found = violations(page, axe_source)
    finally:
        context.close()
    assert any("#site-search-q" in v for v in found), found
