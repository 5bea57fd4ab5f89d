"""Fixtures of the browser tests: a real gunicorn on the sample, and Debian's headless Chromium.

Playwright drives the system's Chromium through ``executable_path`` (no browser
download: ``playwright install`` is never needed).  Each launch gets a fresh
temporary profile from Playwright; the flags keep Chromium from phoning home.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.server import running_server

ROOT = Path(__file__).resolve().parents[2]
# Test runs write their screenshots to a temporary folder; bin/screenshots points this at
# docs/screenshots to refresh the README's pictures.
SCREENSHOTS = Path(os.environ.get("HNP_SCREENSHOTS") or Path(tempfile.gettempdir()) / "hnp-screenshots")
CHROMIUM = Path(os.environ.get("HNP_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def site(sample_index):
    """The API and site on the sample, served by gunicorn as in production."""
    with running_server(sample_index, workers=1) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (bin/setup --dev installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


class PageProblems(list):
    """Script errors and failed requests seen by a page; a test ends with none."""


def open_page(browser, site, *, javascript: bool = True, viewport: dict = DESKTOP):
    context = browser.new_context(
        base_url=site.url,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        viewport=viewport,
        java_script_enabled=javascript,
        accept_downloads=True,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = PageProblems()
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url} {request.failure}"))
    return context, page, problems


@pytest.fixture
def page(browser, site):
    context, page, problems = open_page(browser, site)
    yield page
    context.close()
    assert not [p for p in problems if "net::ERR_ABORTED" not in p], problems


@pytest.fixture
def plain_page(browser, site):
    """A page with JavaScript turned off: the server-rendered path alone."""
    context, page, problems = open_page(browser, site, javascript=False)
    yield page
    context.close()
    assert not problems, problems


@pytest.fixture
def phone_page(browser, site):
    context, page, problems = open_page(browser, site, viewport={"width": 360, "height": 780})
    yield page
    context.close()
    assert not [p for p in problems if "net::ERR_ABORTED" not in p], problems


def screenshot(page, name: str, full_page: bool = False) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    return path
