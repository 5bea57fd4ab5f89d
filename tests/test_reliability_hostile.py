"""Hostile content: markup, entities, control characters and broken Unicode in articles and
queries never break the JSON or the pages, and oversized requests get 413/414/431.

An article is written through the API (a real gunicorn) with ``<script>``, event
handlers, HTML entities, C0/C1 control characters, bidi overrides, line
separators, a ``javascript:`` link and a spreadsheet formula in its fields; the
JSON endpoints, the CSV export and the three server-rendered pages (search,
article, coverage) are then checked to carry it as inert text.  The same pages
in headless Chromium are in tests/browser/test_reliability_hostile.py.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import time
from html.parser import HTMLParser

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.article import clean_text
from index.settings import load_config
from index.store import IndexStore
from index.writer import WriterBusy, upsert_entry, write
from search.snippets import find_hits, highlight_title, snippet
from tests.reliability import AUTH, KEY, assert_json_error, token
from tests.server import copy_index, running_server

pytestmark = pytest.mark.server

MARKER = token()


def hostile_article(marker: str) -> dict:
    return {
        "title": f'<script>alert("title")</script> &amp; &lt;b&gt; "Tin" \'nóng\' {marker} \x07\x1b[31m\u202eđảo\u202c',
        "summary": f"Tóm tắt {marker} <img src=x onerror=alert('summary')> &#x3C;script&#x3E; \u2028 dòng mới \x85",
        "body": (
            f"Mở đầu {marker} </textarea></title></p><svg onload=alert('body')> a < b > c &amp;&amp; "
            "{{7*7}} ${x} \x00\x01\x02 NUL\tTAB\r\nDòng hai <!-- comment --> <![CDATA[ x ]]> "
            "<a href=\"javascript:alert('link')\">bấm</a>\n"
            "Đoạn ba: <style>body{display:none}</style> \ufeffBOM \u200bzero width \U0001f600 emoji"
        ),
        "captions": ["<iframe src=//evil.example></iframe>", f"Ảnh {marker} \" onmouseover=\"alert('cap')"],
        "author": "<b onclick=alert('author')>Nguyễn Văn A</b>",
        "url": "java\tscript:alert('url')",
        "category": '=HYPERLINK("http://evil.example","x")',
        "source": "+cmd|' /C calc'!A0",
        "date": "2024-06-01T08:00",
    }


@pytest.fixture(scope="module")
def hostile_server(sample_index, tmp_path_factory):
    directory = tmp_path_factory.mktemp("hostile")
    config = copy_index(sample_index, directory, server={"access_log": ""})
    with running_server(config, workers=2, env={"HNP_API_KEYS": KEY}) as server:
        server.config = config
        r = requests.put(
            server.url + "/api/documents/hostile-1", json=hostile_article(MARKER), headers=AUTH, timeout=60
        )
        assert r.status_code == 200, r.text
        # A second one whose url is a plain http link with an attribute break-out attempt.
        second = {**hostile_article(MARKER), "url": 'http://example.com/" onclick="alert(1)'}
        r = requests.put(server.url + "/api/documents/hostile-2", json=second, headers=AUTH, timeout=60)
        assert r.status_code == 200, r.text
        yield server


def strict_json(response) -> dict:
    """The body parsed by a strict parser: a raw control character inside a string fails."""
    assert response.headers["content-type"].startswith("application/json")
    return json.loads(response.content.decode("utf-8"), strict=True)


def unmarked(markup: str) -> str:
    """Markup of a highlighted text back to the text: only <mark> tags may be in it."""
    without = re.sub(r"</?mark>", "", markup)
    assert "<" not in without and ">" not in without, markup
    # Every & starts an entity (html.escape's), so unescaping gives back exactly the text.
    assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt|quot|#x27);)*", without), markup
    return html.unescape(without)


# --- JSON ---------------------------------------------------------------------------------------


def test_json_carries_hostile_text_exactly_as_cleaned(hostile_server):
    sent = hostile_article(MARKER)
    doc = strict_json(requests.get(hostile_server.url + "/api/documents/hostile-1", timeout=30))
    for field in ("title", "summary", "body", "author", "category", "source"):
        assert doc[field] == clean_text(sent[field]), field
    assert doc["captions"] == [clean_text(c) for c in sent["captions"]]
    # Control characters other than tab and line breaks are gone, and so is nothing else.
    assert "\x00" not in doc["body"] and "\x07" not in doc["title"] and "\x1b" not in doc["title"]
    assert '<script>alert("title")</script>' in doc["title"] and "&amp;" in doc["title"]


def test_search_results_escape_every_field_but_the_marks(hostile_server):
    r = requests.get(hostile_server.url + "/api/search", params={"q": f"{MARKER} script"}, timeout=30)
    body = strict_json(r)
    assert {hit["id"] for hit in body["hits"]} == {"hostile-1", "hostile-2"}
    doc = strict_json(requests.get(hostile_server.url + "/api/documents/hostile-1", timeout=30))
    for hit in body["hits"]:
        assert hit["title"] == doc["title"]
        assert unmarked(hit["title_html"]) == doc["title"]
        assert "<mark>" in hit["title_html"]
        # The snippet is pieces of the text, markup and all, shown as text.
        texts = " ".join([doc["summary"], doc["body"], *doc["captions"]])
        shown = unmarked(hit["snippet_html"]).replace("…", " ")
        assert MARKER in shown and all(word in texts for word in shown.split()), shown
    for query in ("<script>", "&amp;", "alert(", '"><img src=x>', "\x00", "\u202e", "%00", "{{7*7}}"):
        r = requests.get(hostile_server.url + "/api/search", params={"q": query}, timeout=30)
        assert r.status_code == 200, (query, r.text)
        result = strict_json(r)
        for hit in result["hits"]:
            unmarked(hit["title_html"])
            unmarked(hit["snippet_html"])
        suggest = requests.get(hostile_server.url + "/api/suggest", params={"q": query}, timeout=30)
        assert suggest.status_code == 200 and isinstance(strict_json(suggest)["suggestions"], list)


def test_export_is_well_formed_and_defuses_spreadsheet_formulas(hostile_server):
    r = requests.get(hostile_server.url + "/api/search/export", params={"q": MARKER, "format": "csv"}, timeout=30)
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))
    assert {row["id"] for row in rows} == {"hostile-1", "hostile-2"}
    doc = strict_json(requests.get(hostile_server.url + "/api/documents/hostile-1", timeout=30))
    row = next(row for row in rows if row["id"] == "hostile-1")
    assert row["title"] == doc["title"]  # commas, quotes and line separators survive CSV quoting
    for cell in row.values():
        assert not cell.startswith(("=", "+", "-", "@")), cell  # a spreadsheet would run it
    r = requests.get(hostile_server.url + "/api/search/export", params={"q": MARKER, "format": "ndjson"}, timeout=30)
    records = [json.loads(line, strict=True) for line in r.text.split("\n") if line]
    assert {rec["title"] for rec in records} == {doc["title"]}


def test_export_defuses_every_formula_start_owasp_lists(hostile_server):
    """=, +, -, @, tab and carriage return (OWASP's CSV injection): `-2+3+cmd|...` runs too."""
    marker = token()
    article = {
        "title": f"-2+3+cmd|' /C calc'!A0 {marker}",
        "author": "@SUM(1+1)*cmd|' /C calc'!A0",
        "category": "-1+1",
        "source": "=1+1",
        "url": "+1",
        "body": f"Nội dung {marker}",
        "date": "2024-06-01T08:00",
    }
    r = requests.put(hostile_server.url + "/api/documents/hostile-csv", json=article, headers=AUTH, timeout=60)
    assert r.status_code == 200, r.text
    r = requests.get(hostile_server.url + "/api/search/export", params={"q": marker, "format": "csv"}, timeout=30)
    (row,) = list(csv.DictReader(io.StringIO(r.content.decode("utf-8"), newline="")))
    assert row["title"] == f"'-2+3+cmd|' /C calc'!A0 {marker}"
    assert row["author"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    for cell in row.values():
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


# --- the server-rendered pages ------------------------------------------------------------------


class PageAudit(HTMLParser):
    """Everything in a page that could run: script elements, event handlers, script URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict] = []
        self.handlers: list[tuple[str, str]] = []
        self.script_urls: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True
        for name, value in attributes.items():
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name in ("href", "src", "action", "formaction") and value:
                scheme = re.sub(r"[\x00-\x20]", "", value).split(":", 1)[0].lower()
                if ":" in value and scheme in ("javascript", "data", "vbscript"):
                    self.script_urls.append(value)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if not self._in_script:
            self.text.append(data)


def audit(response) -> PageAudit:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    page = PageAudit()
    page.feed(response.text)
    page.close()
    # The site's own script, loaded from the site (no inline script, nothing else).
    assert all(s.get("src", "").startswith("/assets/site.js") for s in page.scripts), page.scripts
    assert page.handlers == [], page.handlers
    assert page.script_urls == [], page.script_urls
    return page


@pytest.mark.parametrize(
    "path", ["/?q={m}", "/articles/hostile-1", "/articles/hostile-2?q={m}", "/coverage?q={m}", "/?q={m}&author=x"]
)
def test_pages_show_hostile_text_as_text(hostile_server, path):
    page = audit(requests.get(hostile_server.url + path.format(m=MARKER), timeout=30))
    text = " ".join(page.text)
    if "coverage" not in path and "author=x" not in path:
        assert '<script>alert("title")</script>' in text  # shown, as text
    assert "onerror=alert" not in "".join(h for _, h in page.handlers)


def test_hostile_queries_are_echoed_as_text(hostile_server):
    query = '"><script>alert(1)</script><img src=x onerror=alert(2)> \u202e &amp;'
    for path in ("/", "/coverage"):
        page = audit(requests.get(hostile_server.url + path, params={"q": query}, timeout=30))
        assert "<script>alert(1)</script>" in " ".join(page.text)


# --- lone surrogates (JSON escapes that are not text) --------------------------------------------


def test_lone_surrogates_in_an_article_become_replacement_characters_and_block_nothing(hostile_server):
    url = hostile_server.url
    word = token()
    body = '{"title": "Tin \\ud800 ' + word + '", "body": "N\\udfffội dung \\udbff\\udfff"}'
    started = time.monotonic()
    r = requests.put(url + "/api/documents/surrogate-1", data=body.encode(), headers=AUTH, timeout=60)
    assert r.status_code == 200, r.text
    doc = strict_json(requests.get(url + "/api/documents/surrogate-1", timeout=30))
    assert doc["title"] == f"Tin \ufffd {word}"
    assert doc["body"] == "N\ufffdội dung \U0010ffff"  # a valid pair stays the character it spells
    bulk = '{"id": "bad-\\ud800", "title": "x"}\n{"id": "surrogate-2", "title": "T\\udc00"}\n'
    r = requests.post(url + "/api/documents", data=bulk.encode(), headers=AUTH, timeout=60)
    assert r.status_code == 200, r.text
    assert (r.json()["indexed"], r.json()["rejected"]) == (1, 1)
    assert "bad id" in r.json()["errors"][0]["reason"]
    assert time.monotonic() - started < 20, "a write waited for a lock a failed write left behind"


def test_a_write_that_fails_for_any_reason_releases_the_writer_lock(sample_index, tmp_path):
    """Not only disk errors: whatever interrupts a write, the next one must not find the lock taken."""
    store = IndexStore(load_config(copy_index(sample_index, tmp_path)).path("index.path"))
    unencodable = upsert_entry_raw("lock-1", "\ud800")
    # Kept, as the server's error handler and log keep it: its traceback holds the failed write's frame.
    with pytest.raises(UnicodeEncodeError) as failure:
        write(store, [unencodable], timeout=5)
    try:
        result = write(store, [upsert_entry_raw("lock-2", "sau đó")], timeout=5)
    except WriterBusy:
        pytest.fail("the failed write left the index's writer lock held")
    assert result.upserted == 1
    assert failure.value.reason == "surrogates not allowed"


def upsert_entry_raw(doc_id: str, title: str) -> dict:
    """A journal entry built without Article's cleaning (what a caller bypassing it would send)."""
    from index.article import Article

    entry = upsert_entry(Article.from_json({"id": doc_id, "title": "x"}))
    entry["article"]["title"] = title
    return entry


# --- markup safety of highlighting, for any text --------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(alphabet=st.sampled_from("<>&\"'/=; abcdđeêoơuư\u0301\u00a0\n\t;#x3C"), max_size=120)
    | st.text(max_size=120),
    words=st.lists(st.sampled_from(["a", "b", "d", "e", "lt", "amp", "script", "x3c", "o", "u"]), max_size=4),
    prefix=st.booleans(),
)
def test_highlighting_escapes_any_text_and_marks_only_matches(text, words, prefix):
    terms = {"folded": set(words), "accented": set(), "phrases": [], "prefixes": words[:1] if prefix else []}
    assert unmarked(highlight_title(text, terms)) == text
    shown = unmarked(snippet([text, text[::-1]], terms, size=40, fragments=2))
    for piece in shown.split("…"):
        piece = piece.strip()
        assert not piece or piece in text or piece in text[::-1] or " " in piece
    for hit in find_hits(text, terms):
        assert 0 <= hit.start < hit.end <= len(text)


# --- oversized requests ---------------------------------------------------------------------------


def test_a_100_kb_query_is_414_and_a_long_query_within_limits_is_cut(hostile_server):
    url = hostile_server.url
    for query in ("a" * 100_000, "dân vận " * 12_500, "<script>" * 12_500):
        for path in ("/api/search", "/", "/api/suggest", "/coverage"):
            assert_json_error(requests.get(url + path, params={"q": query}, timeout=30), 414)
    # Under the request-line limit but over search.max_query_chars: answered, and said to be cut.
    r = requests.get(url + "/api/search", params={"q": "dan van " * 900}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["truncated"] is True


def test_oversized_headers_and_bodies(hostile_server):
    url = hostile_server.url
    assert_json_error(requests.get(url + "/api/search", headers={"X-Big": "x" * 100_000}, timeout=30), 431)
    many = {f"X-H{i}": "1" for i in range(150)}
    assert_json_error(requests.get(url + "/api/search", headers=many, timeout=30), 431)
    max_body = load_config(hostile_server.config)["server.max_body_bytes"]
    too_big = b'{"title": "' + b"x" * max_body + b'"}'
    assert_json_error(requests.put(url + "/api/documents/big", data=too_big, headers=AUTH, timeout=60), 413)

    def chunks():  # no Content-Length: the limit must hold for a streamed body too
        for _ in range(max_body // 65536 + 2):
            yield b"x" * 65536

    assert_json_error(requests.post(url + "/api/documents", data=chunks(), headers=AUTH, timeout=60), 413)
    # ... and a small streamed body is read, not taken for an empty one.
    word = token()
    small = iter([json.dumps({"id": "chunked-1", "title": f"Tin {word}"}).encode(), b"\n"])
    r = requests.post(url + "/api/documents", data=small, headers=AUTH, timeout=60)
    assert r.status_code == 200 and r.json()["indexed"] == 1, r.text
    # A 100 kB article is an article, not an attack: accepted.
    word = token()
    article = {"title": f"Bài dài {word}", "body": "Hà Nội " * 14_000}
    r = requests.put(url + "/api/documents/long-1", json=article, headers=AUTH, timeout=120)
    assert r.status_code == 200, r.text
    assert requests.get(url + "/api/search", params={"q": word}, timeout=30).json()["total"] == 1
