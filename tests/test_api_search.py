"""The reading endpoints through Falcon's TestClient, on the sample index (data/sample/README.md)."""

from __future__ import annotations

import csv
import io
import json

import falcon
import pytest
from falcon import testing

from api.app import create_app
from api.caching import served_version
from index.settings import load_config
from search.searcher import Searcher
from tests.conftest import write_config

SEED = "000_2ebd19a772751180"


@pytest.fixture(scope="module")
def config(sample_index):
    return load_config(sample_index)


@pytest.fixture(scope="module")
def client(config):
    return testing.TestClient(create_app(config, environ={}))


def assert_error(response, status: int) -> dict:
    """A JSON error with a title and a description, and no Python traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["description"], str) and body["description"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


# --- /api/search ------------------------------------------------------------------------------


def test_dan_van_finds_the_seed_first_with_marks_and_a_2022_facet(client):
    r = client.simulate_get("/api/search", params={"q": "dan van"})
    assert r.status_code == 200
    body = r.json
    issue_fields = {"query", "total", "page", "per_page", "took_ms", "hits", "facets", "did_you_mean"}
    assert issue_fields <= body.keys()
    first = body["hits"][0]
    assert first["id"] == SEED
    hit_fields = {"id", "title", "published", "author", "url", "source", "score", "title_html", "snippet_html"}
    assert hit_fields <= first.keys()
    assert "<mark>" in first["snippet_html"]
    assert "<mark>" in first["title_html"]
    years = {f["value"]: f["count"] for f in body["facets"]["year"]}
    assert years.get("2022", 0) >= 1
    assert {"year", "month", "author", "source"} <= body["facets"].keys()


def test_paging_and_filters_reach_the_searcher(client):
    everything = client.simulate_get("/api/search", params={"per_page": 100}).json
    assert everything["total"] == 25
    page2 = client.simulate_get("/api/search", params={"per_page": 10, "page": 2}).json
    assert [h["id"] for h in page2["hits"]] == [h["id"] for h in everything["hits"][10:20]]
    in_2019 = client.simulate_get("/api/search", params={"from": "2019-01-01", "to": "2019-12-31"}).json
    assert in_2019["total"] == 2  # 001 and 002
    # A repeated filter means "any of": Lê Hương (1 article) or Minh Anh (3).
    authors = client.simulate_get("/api/search", query_string="author=L%C3%AA+H%C6%B0%C6%A1ng&author=Minh+Anh").json
    assert authors["total"] == 4
    oldest = client.simulate_get("/api/search", params={"sort": "oldest", "per_page": 1}).json
    assert oldest["hits"][0]["published"].startswith("2019-04-16")


def test_comma_in_a_query_is_not_a_list_separator(client):
    r = client.simulate_get("/api/search", query_string="q=dan,van")
    assert r.status_code == 200
    assert isinstance(r.json["query"], str)


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("page=0", "page"),
        ("page=x", "page"),
        ("per_page=101", "per_page"),
        ("sort=best", "sort"),
        ("from=2022-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2023-01-01&to=2022-01-01", "from"),
    ],
)
def test_bad_parameters_are_400s_naming_the_parameter(client, query, param):
    body = assert_error(client.simulate_get("/api/search", query_string=query), 400)
    assert body["parameter"] == param
    assert param in body["title"]


def test_an_overlong_query_is_cut_and_says_so(client, config):
    limit = config["search.max_query_chars"]
    r = client.simulate_get("/api/search", params={"q": "hà nội " * (limit // 4)})
    assert r.status_code == 200
    assert r.json["truncated"] is True
    assert len(r.json["query"]) <= limit


def test_a_request_line_over_the_limit_is_414(client):
    assert_error(client.simulate_get("/api/search", params={"q": "a" * 9000}), 414)


# --- caching, CORS ---------------------------------------------------------------------------


def test_get_carries_an_etag_of_the_generation_and_revalidates_to_304(client, config):
    r = client.simulate_get("/api/search", params={"q": "dan van"})
    generation = Searcher(config).generation
    assert r.headers["etag"] == f'W/"{generation}.{served_version(config)}"'
    assert r.headers["cache-control"] == f"public, max-age={config['api.cache_seconds']}"
    again = client.simulate_get("/api/search", params={"q": "dan van"}, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    assert again.text == ""
    stale = client.simulate_get("/api/search", params={"q": "dan van"}, headers={"If-None-Match": 'W/"gen-000000.1"'})
    assert stale.status_code == 200


def test_a_copy_made_under_other_settings_is_not_revalidated(client, config):
    # The same index, served with another setting (or, alike, other code: served_version): the
    # answers may differ, so the copy a client holds from before is not answered with a 304.
    before = client.simulate_get("/api/search", params={"q": "dan van"})
    other = testing.TestClient(create_app(config.with_overrides(search__snippet_chars=60), environ={}))
    after = other.simulate_get(
        "/api/search", params={"q": "dan van"}, headers={"If-None-Match": before.headers["etag"]}
    )
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert after.json["hits"][0]["snippet_html"] != before.json["hits"][0]["snippet_html"]


def test_errors_and_health_are_not_cached(client):
    assert client.simulate_get("/api/search", params={"page": 0}).headers["cache-control"] == "no-store"
    assert client.simulate_get("/api/health").headers["cache-control"] == "no-store"


def test_cors_origins_come_from_the_config(sample_index, tmp_path):
    base = load_config(sample_index)
    config = base.with_overrides(api__cors_origins=["https://hnp.example"])
    client = testing.TestClient(create_app(config, environ={}))
    allowed = client.simulate_get("/api/search", headers={"Origin": "https://hnp.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://hnp.example"
    assert "Origin" in allowed.headers["vary"]
    other = client.simulate_get("/api/search", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = client.simulate_options(
        "/api/documents/x",
        headers={
            "Origin": "https://hnp.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert "PUT" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    # Without cors_origins, no CORS header at all.
    plain = testing.TestClient(create_app(base, environ={}))
    assert (
        "access-control-allow-origin"
        not in plain.simulate_get("/api/search", headers={"Origin": "https://hnp.example"}).headers
    )


# --- export ----------------------------------------------------------------------------------


def test_export_streams_csv_newest_first_as_an_attachment(client):
    r = client.simulate_get("/api/search/export", params={"author": "Huy Kiên"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 7  # 000 and six written articles (README: Bylines)
    assert list(rows[0]) == ["id", "published", "title", "author", "url", "source"]
    published = [row["published"] for row in rows]
    assert published == sorted(published, reverse=True)
    assert {row["author"] for row in rows} == {"Huy Kiên"}


def test_export_ndjson_has_every_match(client):
    search = client.simulate_get("/api/search", params={"q": "dân vận", "per_page": 1}).json
    r = client.simulate_get("/api/search/export", params={"q": "dân vận", "format": "ndjson"})
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert ".ndjson" in r.headers["content-disposition"]
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert len(rows) == search["total"] > 1
    assert set(rows[0]) == {"id", "published", "title", "author", "url", "source"}


def test_export_checks_parameters_before_streaming(client):
    assert (
        assert_error(client.simulate_get("/api/search/export", params={"format": "xlsx"}), 400)["parameter"] == "format"
    )
    assert assert_error(client.simulate_get("/api/search/export", params={"from": "soon"}), 400)["parameter"] == "from"


# --- suggest, documents, similar, health, metrics ---------------------------------------------


def test_suggest_answers_a_list(client):
    r = client.simulate_get("/api/suggest", params={"q": "dan v"})
    assert r.status_code == 200
    assert isinstance(r.json["suggestions"], list)
    assert all(isinstance(s, str) for s in r.json["suggestions"])
    assert (
        assert_error(client.simulate_get("/api/suggest", params={"q": "ha", "limit": 0}), 400)["parameter"] == "limit"
    )


def test_document_by_id_and_unknown_ids(client):
    r = client.simulate_get(f"/api/documents/{SEED}")
    assert r.status_code == 200
    assert r.json["id"] == SEED
    assert r.json["title"].startswith("Hội nghị trực tuyến toàn quốc")
    assert r.json["author"] == "Huy Kiên"
    assert_error(client.simulate_get("/api/documents/no-such-id"), 404)
    assert_error(client.simulate_get("/api/documents/no-such-id/similar"), 404)


def test_similar_lists_other_articles(client):
    r = client.simulate_get(f"/api/documents/{SEED}/similar", params={"limit": 5})
    assert r.status_code == 200
    assert r.json["id"] == SEED
    ids = [item["id"] for item in r.json["similar"]]
    assert SEED not in ids and len(ids) <= 5


def test_health_reports_documents_and_generation(client, config):
    r = client.simulate_get("/api/health")
    assert r.status_code == 200
    assert r.json["status"] == "ok"
    assert r.json["documents"] == 25
    assert r.json["generation"] == Searcher(config).generation


def test_without_an_index_health_and_search_are_503_json(tmp_path):
    config = load_config(write_config(tmp_path, index={"path": str(tmp_path / "none")}))
    client = testing.TestClient(create_app(config, environ={}))
    body = assert_error(client.simulate_get("/api/health"), 503)
    assert body["status"] == "unavailable"
    assert_error(client.simulate_get("/api/search", params={"q": "x"}), 503)
    assert_error(client.simulate_get("/api/search/export"), 503)
    assert client.simulate_get("/metrics").status_code == 200


def test_metrics_count_requests_by_route(config):
    client = testing.TestClient(create_app(config, environ={}))
    client.simulate_get("/api/search", params={"q": "dan van"})
    client.simulate_get("/api/search", params={"page": 0})
    client.simulate_get("/some/unknown/path")
    text = client.simulate_get("/metrics").text
    assert client.simulate_get("/metrics").headers["content-type"].startswith("text/plain")
    lines = text.splitlines()
    assert any(
        line.startswith("hnp_http_requests_total{") and 'route="/api/search"' in line and 'status="200"' in line
        for line in lines
    )
    assert any('route="unmatched"' in line and 'status="404"' in line for line in lines)
    assert any(line.startswith("hnp_http_errors_total{") and 'kind="client"' in line for line in lines)
    assert any(line.startswith("hnp_http_request_duration_seconds_bucket{") and 'le="+Inf"' in line for line in lines)
    assert any(line.startswith("hnp_index_documents{") and line.endswith(" 25") for line in lines)
    assert any(line.startswith("hnp_index_size_bytes{") for line in lines)
    assert "/some/unknown/path" not in text


def test_metrics_count_unknown_methods_as_other(config):
    client = testing.TestClient(create_app(config, environ={}))
    for method in ("FOOBAR", "XYZZYQ", "PROPFIND"):
        client.simulate_request(method, "/api/search")
    client.simulate_request("OPTIONS", "/api/search")
    text = client.simulate_get("/metrics").text
    assert "FOOBAR" not in text and "XYZZYQ" not in text and "PROPFIND" not in text
    assert any('method="other"' in line and 'route="/api/search"' in line for line in text.splitlines())
    assert 'method="OPTIONS"' in text


def test_more_values_of_a_filter_than_allowed_is_a_400_naming_it(client):
    names = [f"Tác giả {i}" for i in range(21)]
    body = assert_error(client.simulate_get("/api/search", params={"q": "dan van", "author": names}), 400)
    assert body["parameter"] == "author" and "at most 20" in body["description"]
    assert client.simulate_get("/api/search", params={"author": names[:20]}).status_code == 200
    assert client.simulate_get("/api/search/export", params={"category": names}).status_code == 400
    page = client.simulate_get("/", params={"q": "dan van", "source": names})
    assert page.status_code == 400 and len(page.content) < 100_000


# --- errors everywhere ------------------------------------------------------------------------


def test_unknown_routes_and_methods_are_json(client):
    assert_error(client.simulate_get("/api/nothing-here"), 404)
    r = client.simulate_post("/api/search")
    assert_error(r, 405)
    assert "GET" in r.headers["allow"]
    # Even a client that asks for XML gets JSON.
    assert_error(client.simulate_get("/nothing", headers={"Accept": "application/xml"}), 404)


def test_an_unexpected_exception_is_a_json_500_without_traceback(config, caplog):
    app = create_app(config, environ={})

    class Broken:
        def on_get(self, req, resp):
            raise RuntimeError("secret internals /work/main/api/x.py")

    app.add_route("/test-broken", Broken())
    r = testing.TestClient(app).simulate_get("/test-broken")
    body = assert_error(r, 500)
    assert "secret internals" not in r.text
    assert "incident" in body["description"]
    # The traceback is in the server's log instead.
    assert any("secret internals" in (rec.exc_text or str(rec.exc_info)) for rec in caplog.records)


def test_falcon_http_errors_keep_their_status(config):
    app = create_app(config, environ={})

    class Teapot:
        def on_get(self, req, resp):
            raise falcon.HTTPError(falcon.HTTP_418)

    app.add_route("/test-teapot", Teapot())
    assert_error(testing.TestClient(app).simulate_get("/test-teapot"), 418)


def test_search_answer_is_the_searchers_result(client, config):
    """The API's JSON is exactly SearchResult.as_dict() (apart from the time it took)."""
    answer = client.simulate_get("/api/search", params={"q": "Nguyễn Văn Phương", "per_page": 3}).json
    expected = Searcher(config).search("Nguyễn Văn Phương", per_page=3).as_dict()
    answer.pop("took_ms"), expected.pop("took_ms")
    assert answer == expected


def test_csv_cells_that_a_spreadsheet_would_run_are_kept_as_text():
    from api.search import _cell

    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert _cell(f"{start}2+3+cmd|' /C calc'!A0") == f"'{start}2+3+cmd|' /C calc'!A0"
    assert _cell("Hà Nội - 2024") == "Hà Nội - 2024" and _cell("") == ""
