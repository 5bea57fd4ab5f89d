"""How readers really type, in headless Chromium against a real gunicorn on the sample (issue 19):
Telex with the input method off, a run-together word, a half-typed last syllable."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.server]

DAN_VAN = "Hội nghị trực tuyến toàn quốc triển khai công tác Dân vận năm 2022"


def params(page) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(page.url).query))


def test_telex_typed_with_the_input_method_off_finds_the_article_and_shows_the_decoded_text(page):
    page.goto("/")
    box = page.get_by_role("combobox", name="Tìm tin bài")
    box.press_sequentially("daan vaajn", delay=30)
    # The live results follow the typing: no Enter pressed.
    expect(page.locator("ol.hits h2").first).to_have_text(DAN_VAN)
    notice = page.locator(".showing-results-for")
    expect(notice).to_contain_text("Hiển thị kết quả cho dân vận")
    expect(box).to_have_value("daan vaajn")
    expect(page).to_have_url(re.compile(r"/\?q=daan\+vaajn$"))  # the search as submitted: no flag
    box.press("Enter")
    expect(page.locator("ol.hits h2").first).to_have_text(DAN_VAN)
    expect(notice).to_contain_text("dân vận")


def test_a_run_together_word_shows_the_results_of_its_correction_with_a_link_back(page):
    page.goto("/?q=hanoi")
    notice = page.locator(".showing-results-for")
    expect(notice).to_contain_text("Hiển thị kết quả cho Hà Nội")
    titles = page.locator("ol.hits h2")
    expect(titles.first).to_be_visible()
    assert all("Hà Nội" in t for t in titles.all_text_contents()[:3])
    expect(page.get_by_role("heading", level=1)).to_have_text("Kết quả tìm kiếm cho “hanoi”")

    notice.get_by_role("link", name="hanoi").click()
    expect(page).to_have_url(re.compile(r"verbatim=1"))
    assert params(page) == {"q": "hanoi", "verbatim": "1"}
    expect(page.locator("#results-summary")).to_have_text("Không tìm thấy bài viết nào")
    expect(page.locator(".showing-results-for")).to_have_count(0)
    # The offer is still there, as a suggestion.
    expect(page.locator(".no-results")).to_contain_text("Hà Nội")


def test_a_half_typed_last_syllable_finds_the_article_first_in_the_live_results(page):
    page.goto("/")
    box = page.get_by_role("combobox", name="Tìm tin bài")
    box.press_sequentially("dân vậ", delay=30)
    expect(page).to_have_url(re.compile(r"q=d%C3%A2n"))
    expect(page.locator("ol.hits h2").first).to_have_text(DAN_VAN)
    assert params(page) == {"q": "dân vậ"}
