"""The site in headless Chromium against a real gunicorn: readers' search, no-JS path, coverage, escaping.

Saves the screenshots shown in the README under docs/screenshots/.
"""

from __future__ import annotations

import csv
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import expect

from index.analysis import fold
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.server]

SCRIPT_ARTICLE = "013_b01aa6451e93bc1c"


def params(page) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(page.url).query))


def hit_years(page) -> set[str]:
    return {t[6:10] for t in page.locator("ol.hits li.hit time").all_text_contents()}


def mark_no_reload(page) -> None:
    page.evaluate("window.__sameDocument = true")


def assert_no_reload(page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded instead of updated in place"


def test_reader_searches_with_suggestions_facets_paging_and_history(page):
    page.goto("/")
    box = page.get_by_role("combobox", name="Tìm tin bài")
    mark_no_reload(page)

    # Type without diacritics; suggestions come from /api/suggest.
    box.press_sequentially("dan van", delay=30)
    options = page.get_by_role("listbox", name="Gợi ý tìm kiếm").get_by_role("option")
    expect(options.first).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    texts = options.all_text_contents()
    # Prefer the reading of exactly what was typed (dân vận), else the first completion.
    choice = next((i for i, t in enumerate(texts) if fold(t).lower() == "dan van"), 0)
    for _ in range(choice + 1):
        box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", options.nth(choice).get_attribute("id"))
    expect(options.nth(choice)).to_have_attribute("aria-selected", "true")
    screenshot(page, "suggestions.png")
    box.press("Enter")

    picked = texts[choice]
    # The live results may have put what was typed in the address already: wait for the pick.
    page.wait_for_function("q => new URLSearchParams(location.search).get('q') === q", arg=picked)
    assert params(page) == {"q": picked}
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Kết quả tìm kiếm cho “{picked}”")
    expect(box).to_have_value(picked)
    expect(page.get_by_role("listbox", name="Gợi ý tìm kiếm")).to_be_hidden()
    marks = page.locator("ol.hits mark")
    expect(marks.first).to_be_visible()
    wanted = set(fold(picked).lower().split())
    marked = {w for text in marks.all_text_contents() for w in fold(text).lower().split()}
    assert marked and marked <= wanted, (marked, wanted)
    assert_no_reload(page)
    first_page_titles = page.locator("ol.hits h2").all_text_contents()

    # Page forward.
    summary = page.locator("#results-summary")
    page.get_by_role("navigation", name="Phân trang").get_by_role("link", name="Trang sau").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(summary).to_contain_text("Hiển thị 11–")
    second_page_titles = page.locator("ol.hits h2").all_text_contents()
    assert not set(first_page_titles) & set(second_page_titles)
    assert_no_reload(page)

    # Click a year of the histogram: the results narrow to that year, as a removable chip.
    bar = page.locator("nav.timeline ol.bars a").first
    year = bar.locator(".bar-label").text_content()
    count = int(bar.locator(".bar-count").text_content())
    bar.click()
    expect(page).to_have_url(re.compile(rf"from={year}-01-01&to={year}-12-31"))
    expect(page.locator("a.chip")).to_contain_text(f"năm {year}")
    expect(summary).to_contain_text(f"trong {count} bài viết")
    assert hit_years(page) == {year}
    expect(page.locator("#timeline-heading")).to_have_text(f"Theo tháng, năm {year}")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    assert "page" not in params(page)
    assert_no_reload(page)

    # Back: page 2 again, then page 1; forward again: the year.
    page.go_back()
    expect(page).to_have_url(re.compile(r"page=2$"))
    expect(summary).to_contain_text("Hiển thị 11–")
    expect(page.locator("a.chip")).to_have_count(0)
    page.go_back()
    assert params(page) == {"q": picked}
    expect(page.locator("ol.hits h2").first).to_have_text(first_page_titles[0])
    expect(box).to_have_value(picked)
    page.go_forward()
    page.go_forward()
    expect(page.locator("a.chip")).to_contain_text(f"năm {year}")
    assert_no_reload(page)


def test_keyboard_only(page):
    page.goto("/?q=dan+van")
    expect(page.locator("ol.hits mark").first).to_be_visible()
    screenshot(page, "search-dan-van.png")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Bỏ qua, đến nội dung chính")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["y"] >= 0, "the skip link shows when focused"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), "focus is visible"
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    # From the main content, the first stops are the results' chip-less histogram and hits, then paging.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('nav.timeline') !== null"):
            break
    else:
        pytest.fail("the year histogram is not reachable with Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"from=\d{4}-01-01"))
    expect(page.locator("a.chip")).to_be_visible()


def test_sort_and_dates_update_in_place(page):
    page.goto("/?q=dan+van")
    mark_no_reload(page)
    page.get_by_label("Sắp xếp theo").focus()
    page.get_by_label("Sắp xếp theo").select_option("oldest")  # no button: the change submits
    expect(page).to_have_url(re.compile(r"sort=oldest"))
    expect(page.get_by_label("Sắp xếp theo")).to_be_focused()
    stamps = [t.get_attribute("datetime") for t in page.locator("ol.hits time").all()]
    assert stamps == sorted(stamps)
    page.get_by_label("Từ ngày").fill("2021-01-01")
    page.get_by_label("Đến ngày").fill("2021-12-31")
    page.get_by_role("button", name="Lọc theo ngày").click()
    expect(page.locator("a.chip")).to_contain_text("năm 2021")
    assert params(page) == {"q": "dan van", "from": "2021-01-01", "to": "2021-12-31", "sort": "oldest"}
    assert hit_years(page) == {"2021"}
    # A new search from the box keeps the filters.
    box = page.get_by_role("combobox", name="Tìm tin bài")
    box.fill("dân")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"q=d%C3%A2n&from=2021-01-01"))
    assert hit_years(page) == {"2021"}
    assert_no_reload(page)


def test_the_page_works_without_javascript(plain_page):
    page = plain_page
    page.goto("/")
    page.get_by_label("Tìm tin bài").fill("dan van")
    page.get_by_label("Tìm tin bài").press("Enter")
    expect(page).to_have_url(re.compile(r"/\?q=dan\+van$"))
    expect(page.locator("ol.hits mark").first).to_be_visible()
    expect(page.locator("ol.hits li.hit")).to_have_count(10)

    # Sort has its own button when no script submits on change.
    page.get_by_label("Sắp xếp theo").select_option("newest")
    page.get_by_role("button", name="Sắp xếp").click()
    assert params(page) == {"q": "dan van", "sort": "newest"}
    stamps = [t.get_attribute("datetime") for t in page.locator("ol.hits time").all()]
    assert stamps == sorted(stamps, reverse=True)

    page.locator("nav.timeline ol.bars a").last.click()
    year = params(page)["from"][:4]
    assert hit_years(page) == {year}
    page.get_by_role("link", name=re.compile("^Bỏ lọc Thời gian")).click()
    assert params(page) == {"q": "dan van", "sort": "newest"}
    page.get_by_role("link", name="Trang sau").click()
    assert params(page)["page"] == "2"

    # The date range form.
    page.get_by_label("Từ ngày").fill("2021-01-01")
    page.get_by_label("Đến ngày").fill("2021-12-31")
    page.get_by_role("button", name="Lọc theo ngày").click()
    assert params(page)["from"] == "2021-01-01" and "page" not in params(page)
    assert hit_years(page) == {"2021"}


def test_coverage_view_chart_and_csv_download(page):
    page.goto("/coverage")
    field = page.get_by_label(re.compile("^Tên người, cụm từ"))
    field.fill("author:Huy Kiên")
    page.get_by_role("button", name="Xem thống kê").click()
    total = int(re.match(r"\d+", page.locator("#coverage-total .total").text_content()).group())
    assert total > 1

    chart = page.get_by_role("img", name="Số bài viết theo tháng")
    expect(chart).to_be_visible()
    bars = chart.locator("rect.month")
    counted = sum(int(b.get_attribute("data-count")) for b in bars.all())
    undated = page.locator("p.span").text_content()
    assert counted == total - (int(m.group(1)) if (m := re.search(r"(\d+) bài viết không rõ ngày", undated)) else 0)
    assert all(b.bounding_box()["height"] > 0 for b in bars.all())
    items = page.locator("ol.hits li.hit")
    stamps = [t.get_attribute("datetime") for t in items.locator("time").all()]
    assert stamps == sorted(stamps, reverse=True)
    screenshot(page, "coverage.png", full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("^Tải toàn bộ danh sách")).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == total
    assert {row["author"] for row in rows} == {"Huy Kiên"}
    assert [r["published"] for r in rows if r["published"]] == sorted(
        [r["published"] for r in rows if r["published"]], reverse=True
    )


def test_quoted_markup_in_an_article_never_runs(page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"/articles/{SCRIPT_ARTICLE}")
    article = page.locator("article.article")
    expect(article).to_contain_text("<script>alert(1)</script>")
    expect(article).to_contain_text("&amp;")
    expect(article).to_contain_text("a < b > c")
    assert page.evaluate("document.querySelectorAll('main script').length") == 0

    # Through the search box (results swapped in by the script) too.
    page.goto("/")
    box = page.get_by_role("combobox", name="Tìm tin bài")
    box.fill("alert")
    box.press("Enter")
    snippet = page.locator("ol.hits li.hit p.snippet").first
    expect(snippet).to_contain_text("<script>alert(1)</script>")
    snippet.locator("..").get_by_role("link").first.click()
    expect(page.locator("article.article mark").first).to_have_text("alert")
    assert page.evaluate("document.querySelectorAll('main script').length") == 0
    assert dialogs == []


def test_no_results_page(page):
    page.goto("/?q=zzxxqqj")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kết quả tìm kiếm cho “zzxxqqj”")
    expect(page.locator("div.no-results")).to_contain_text("Không có bài viết nào khớp")
    expect(page.locator("ol.hits")).to_have_count(0)
    screenshot(page, "no-results.png")


def test_phone_width(phone_page):
    page = phone_page
    page.goto("/?q=dan+van")
    expect(page.locator("ol.hits li.hit").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scrolling at 360 px"
    screenshot(page, "phone.png")
    page.goto("/coverage?q=author%3AHuy+Ki%C3%AAn")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
