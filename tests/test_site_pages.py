"""Article pages, the staff's coverage view, and the site's formatting helpers."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlsplit

import pytest

from api.site import pages
from api.site.formatting import period_label, published_label
from api.site.state import SearchState
from index.analysis import fold
from tests.site_app import get, site_client
from tests.site_dom import parse

SEED = "000_2ebd19a772751180"
SCRIPT_ARTICLE = "013_b01aa6451e93bc1c"
UNDATED_ARTICLE = "020_0433f17fd549f265"


# --- articles ---------------------------------------------------------------------------------


def test_an_article_shows_everything_it_has(client, searcher):
    doc = searcher.document(SEED)
    page = get(client, f"/articles/{SEED}")
    article = page.find("article", class_="article")
    assert article.find("h1").text == doc["title"]
    assert page.find("title").text.startswith(doc["title"])
    assert article.find("time").text == "13/01/2022 14:23"
    assert "Tác giả: Huy Kiên" in article.find("p", class_="article-meta").text
    assert article.find("p", class_="lead").text == " ".join(doc["summary"].split())
    paragraphs = [p.text for p in article.find_all("p") if not p.attrs]
    assert paragraphs == [" ".join(p.split()) for p in doc["body"].split("\n") if p.strip()]
    captions = [li.text for li in article.find("aside", class_="captions").find_all("li")]
    assert captions == doc["captions"] and len(captions) == 2
    assert not page.find_all("mark")


def test_words_of_the_query_are_marked_in_the_article(client):
    page = get(client, f"/articles/{SEED}", q="dan van")
    article = page.find("article", class_="article")
    assert "<mark>Dân vận</mark>" in article.find("h1").html
    marks = article.find_all("mark")
    assert len(marks) > 5 and {fold(m.text).lower() for m in marks} <= {"dan van", "dan", "van"}
    assert "<mark>Nguyễn Văn Phong</mark>" in get(client, f"/articles/{SEED}", q='"Nguyễn Văn Phong"').html
    note = page.find("p", class_="highlight-note")
    assert note.text.startswith(f"Tô sáng {len(marks)} chỗ khớp với “dan van”.")
    assert note.find("a").attrs["href"] == f"/articles/{SEED}"
    back = page.find("p", class_="back").find("a")
    assert back.attrs["href"] == "/?q=dan+van"


def test_a_byline_query_marks_no_words_in_the_text(client):
    page = get(client, f"/articles/{SEED}", q='author:"Huy Kiên"')
    assert not page.find_all("mark")
    assert page.find("p", class_="highlight-note").text.startswith("Không có chữ nào")


def test_the_script_article_is_shown_as_text(client):
    response = client.simulate_get(f"/articles/{SCRIPT_ARTICLE}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "&amp;amp;" in response.text and "a &lt; b &gt; c" in response.text
    assert "<script>alert" not in response.text
    text = parse(response.text).find("article").text
    assert "<script>alert(1)</script>" in text and "&amp;" in text and "a < b > c" in text


def test_an_undated_article_says_so(client):
    page = get(client, f"/articles/{UNDATED_ARTICLE}")
    assert page.find("span", class_="unknown").text == "không rõ ngày"


def test_an_unknown_article_is_a_404_page(client):
    page = get(client, "/articles/does-not-exist", 404)
    assert page.find("h1").text == "Không tìm thấy bài viết"
    assert "does-not-exist" in page.find("div", class_="error-page").text
    hostile = get(client, "/articles/<b>x", 404)
    assert not hostile.find_all("b") and "<b>x" in hostile.find("div", class_="error-page").text


# --- coverage ---------------------------------------------------------------------------------


def month_bars(page) -> dict[str, int]:
    return {
        r.attrs["data-month"]: int(r.attrs["data-count"])
        for r in page.find("svg", class_="coverage-chart").find_all("rect")
    }


def test_coverage_of_a_byline(client, searcher):
    q = "author:Huy Kiên"
    page = get(client, "/coverage", q=q)
    result = searcher.search(q, per_page=100)
    assert page.find("h2", id="coverage-total").find("span", class_="total").text == f"{result.total} bài viết"
    expected = {f["value"]: f["count"] for f in result.facets["month"]}
    assert month_bars(page) == expected
    svg = page.find("svg", class_="coverage-chart")
    assert svg.attrs["role"] == "img" and svg.find("title").text == "Số bài viết theo tháng"
    # The table says the same as the chart.
    table = page.find("table", class_="coverage-table")
    totals = {
        row.find("th").text: int(row.find("td", class_="total").text) for row in table.find("tbody").find_all("tr")
    }
    assert sum(totals.values()) == sum(expected.values())
    # Newest first, every one by Huy Kiên.
    items = page.find("ol", class_="hits").find_all("li", class_="hit")
    stamps = [i.find("time").attrs["datetime"] for i in items]
    assert stamps == sorted(stamps, reverse=True) and len(items) == result.total
    assert all("Huy Kiên" in i.find("p", class_="hit-meta").text for i in items)
    export = page.find("a", class_="button")
    parts = urlsplit(export.attrs["href"])
    assert parts.path == "/api/search/export"
    assert parse_qsl(parts.query) == [("q", q), ("format", "csv"), ("match", "phrase")]
    assert "download" in export.attrs


def test_coverage_counts_undated_articles_apart(client, searcher):
    q = "dịch vụ công"
    result = searcher.search(q, per_page=1, match="phrase")
    undated = {f["value"]: f["count"] for f in result.facets["year"]}.get("undated", 0)
    assert undated, "020 is undated and about dịch vụ công"
    page = get(client, "/coverage", q=q)
    assert f"{undated} bài viết không rõ ngày" in page.find("p", class_="span").text
    assert sum(month_bars(page).values()) == result.total - undated


def test_coverage_pages_through_the_list(client, searcher):
    q = "dan van"
    total = searcher.search(q).total  # all the words: enough for two pages
    first = get(client, "/coverage", q=q, match="all")
    second = get(client, "/coverage", q=q, match="all", page="2")
    ids = [
        li.find("a").attrs["href"]
        for page in (first, second)
        for li in page.find("ol", class_="hits").find_all("li", class_="hit")
    ]
    assert len(ids) == len(set(ids)) == total
    assert second.find("nav", class_="pagination").find("a", aria_current="page").text == "2"


def test_coverage_without_a_query_is_a_form_and_bad_pages_are_400(client):
    page = get(client, "/coverage")
    assert page.find("form", class_="coverage-form").find("input", name="q").attrs["value"] == ""
    assert not page.find_all("svg", class_="coverage-chart")
    assert get(client, "/coverage", 400, q="dan van", page="x").find("h1").text == "Yêu cầu chưa hợp lệ"
    nothing = get(client, "/coverage", q="zzxxqqj")
    assert nothing.find("span", class_="total").text == "0 bài viết"


# --- formatting and templates -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("published", "shown"),
    [
        ("2022-01-13T14:23+07:00", "13/01/2022 14:23"),
        ("2022-01-13T07:23:00+00:00", "13/01/2022 14:23"),  # shown in Hanoi time
        ("2021-03-20", "20/03/2021"),
        ("", "không rõ ngày"),
        ("soon", "soon"),
    ],
)
def test_published_label(published, shown):
    assert published_label(published) == shown


def test_period_label():
    assert period_label(date(2022, 1, 1), date(2022, 12, 31)) == "năm 2022"
    assert period_label(date(2024, 2, 1), date(2024, 2, 29)) == "tháng 2/2024"
    assert period_label(date(2024, 2, 1), date(2024, 2, 28)) == "01/02/2024 – 28/02/2024"
    assert period_label(date(2024, 2, 1), None) == "từ 01/02/2024"
    assert period_label(None, date(2024, 2, 1)) == "đến 01/02/2024"


def test_templates_escape_everything_but_markup():
    page = pages.render("error.html", error="not_found", doc_id='<i>"&', q='"><b>')
    assert "“&lt;i&gt;&#34;&amp;”" in page and "<i>" not in page
    assert 'value="&#34;&gt;&lt;b&gt;"' in page and "<b>" not in page


def test_a_bad_page_size_is_explained_with_the_configured_maximum():
    page = pages.render("error.html", **pages.bad_request("per_page", SearchState(q="x"), "/", 37))
    assert "Số kết quả mỗi trang phải là một số nguyên từ 1 đến 37." in page


def test_pages_without_an_index_say_so_with_503(tmp_config):
    client = site_client(tmp_config)
    for path in ("/", "/coverage", f"/articles/{SEED}"):
        response = client.simulate_get(path, params={"q": "dan van"})
        assert response.status_code == 503, path
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert parse(response.text).find("h1").text == "Kho tin bài chưa sẵn sàng"


def test_a_coverage_span_of_millennia_draws_only_the_months_with_articles():
    from api.site.charts import month_series
    from api.site.pages import coverage_chart_html, coverage_table_html

    facet = [{"value": "0001-01", "count": 1}, {"value": "2022-03", "count": 5}, {"value": "9999-12", "count": 1}]
    series = month_series(facet)
    assert series == [("0001-01", 1), ("2022-03", 5), ("9999-12", 1)]
    assert len(coverage_chart_html(series)) + len(coverage_table_html(series)) < 20_000
    recent = month_series([{"value": "2021-11", "count": 2}, {"value": "2022-02", "count": 1}])
    assert [key for key, _ in recent] == ["2021-11", "2021-12", "2022-01", "2022-02"]  # gaps filled
