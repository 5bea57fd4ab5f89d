"""The coverage view of a name typed without diacritics, in headless Chromium against a real gunicorn.

On the sample (data/sample/README.md), ``nguyen van phong`` as a phrase is two
articles: ``000`` names Nguyễn Văn Phong, ``015`` Nguyễn Văn Phóng; others hold
the three syllables apart and are not counted.
"""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.server]

PHONG_ARTICLES = {"000_2ebd19a772751180", "015_c1fc0573109c2e48"}


def listed_ids(page) -> set[str]:
    hrefs = page.locator("ol.hits li.hit h2 a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return {re.match(r"/articles/([^?]+)", href).group(1) for href in hrefs}


def test_a_name_typed_without_diacritics_counts_the_phrase_its_spellings_and_exports_those_rows(page):
    page.goto("/coverage")
    page.get_by_label(re.compile("^Tên người, cụm từ")).fill("nguyen van phong")
    page.get_by_role("button", name="Xem thống kê").click()

    expect(page.locator("#coverage-total .total")).to_have_text("2 bài viết")
    expect(page.locator("p.counted")).to_contain_text("bài viết nhắc đến cụm từ “nguyen van phong”")
    spellings = page.get_by_role("region", name="Các cách viết tìm thấy")
    expect(spellings.locator("li")).to_have_count(2)
    written = {
        li.locator(".spelling").text_content(): li.locator(".count").text_content()
        for li in spellings.locator("li").all()
    }
    assert written == {"Nguyễn Văn Phong": "1 bài viết", "Nguyễn Văn Phóng": "1 bài viết"}
    assert listed_ids(page) == PHONG_ARTICLES

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("^Tải toàn bộ danh sách")).click()
    with open(download_info.value.path(), "rb") as file:
        data = file.read()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.DictReader(data.decode("utf-8-sig").splitlines()))
    assert {row["id"] for row in rows} == PHONG_ARTICLES and len(rows) == 2

    # A spelling narrows the view to the person written so.
    spellings.get_by_role("link", name="Nguyễn Văn Phóng").click()
    expect(page.locator("#coverage-total .total")).to_have_text("1 bài viết")
    assert listed_ids(page) == {"015_c1fc0573109c2e48"}

    # Counting all the words instead is one link away.
    page.goto("/coverage?q=nguyen+van+phong")
    page.get_by_role("link", name="Đếm các bài có đủ mọi chữ, không cần liền nhau").click()
    expect(page.locator("p.counted")).to_contain_text("có đủ mọi chữ")
    total = int(page.locator("#coverage-total .total").text_content().split()[0])
    assert total > 2
