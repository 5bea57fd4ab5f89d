"""/openapi.json (api/openapi.yaml) is valid, lists every endpoint, parameter and field the code has, and
real answers conform to it; /docs and README follow."""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import falcon
import pytest
import schemathesis
from falcon import inspect as falcon_inspect
from falcon import testing
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from api.app import create_app
from api.cluster import ReadYourWrites
from index.settings import load_config
from tests.server import copy_index

ROOT = Path(__file__).resolve().parent.parent
KEY = "openapi-test-key-" + "k" * 16
METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH")


@pytest.fixture(scope="module")
def app_config(sample_index, tmp_path_factory):
    # A private copy: the generated requests below include authenticated writes.
    return load_config(copy_index(sample_index, tmp_path_factory.mktemp("openapi"), api={"keys": [KEY]}))


@pytest.fixture(scope="module")
def app(app_config):
    return create_app(app_config, environ={})


@pytest.fixture(scope="module")
def spec(app):
    return testing.TestClient(app).simulate_get("/openapi.json").json


def api_routes(app) -> set[tuple[str, str]]:
    """(METHOD, path template) of every route the API itself serves (the site's pages are not API)."""
    routes = set()
    for route in falcon_inspect.inspect_routes(app):
        if "/api/site/" in route.source_info.replace("\\", "/"):
            continue
        for method in route.methods:
            if method.method in METHODS and not method.internal:
                routes.add((method.method, route.path))
    return routes


def spec_routes(spec: dict) -> set[tuple[str, str]]:
    return {
        (method.upper(), path) for path, item in spec["paths"].items() for method in item if method.upper() in METHODS
    }


def test_openapi_document_is_valid_openapi_3(spec):
    assert spec["openapi"].startswith("3.0")
    schemathesis.openapi.from_dict(spec).validate()  # raises on any violation of the OpenAPI 3.0 schema


def test_every_endpoint_of_the_app_is_in_openapi_and_nothing_else(app, spec):
    served, described = api_routes(app), spec_routes(spec)
    assert served - described == set(), "endpoints missing from /openapi.json"
    assert described - served == set(), "/openapi.json describes endpoints the app does not serve"
    # The issue's endpoints, spelled out, so that dropping one from both places still fails.
    issue = {
        ("GET", "/api/search"),
        ("GET", "/api/search/export"),
        ("GET", "/api/suggest"),
        ("GET", "/api/documents/{doc_id}"),
        ("GET", "/api/documents/{doc_id}/similar"),
        ("PUT", "/api/documents/{doc_id}"),
        ("DELETE", "/api/documents/{doc_id}"),
        ("POST", "/api/documents"),
        ("GET", "/api/health"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
    }
    assert issue <= described


def test_every_operation_documents_its_errors_as_the_error_shape(spec):
    error = {"$ref": "#/components/schemas/Error"}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            for status, response in op["responses"].items():
                if "$ref" in response:
                    response = spec["components"]["responses"][response["$ref"].split("/")[-1]]
                if status.startswith("4") and status != "422":
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == error, f"{method.upper()} {path} {status}"


def test_docs_page_shows_every_operation_without_external_resources(app, spec):
    r = testing.TestClient(app).simulate_get("/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    for method, path in spec_routes(spec):
        assert re.search(rf">{method}</span> <code>{re.escape(path)}</code>", page), (method, path)
    for schema in spec["components"]["schemas"]:
        assert f"id='schema-{schema}'" in page
    assert not re.search(r"""(src|href)=['"]?(https?:)?//""", page), (
        "the docs page must not load anything from elsewhere"
    )
    assert "<script" not in page


def readme_api_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8") if (ROOT / "README.md").exists() else ""
    match = re.search(r"^## API\s*$(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    return match.group(1) if match else ""


def test_every_endpoint_is_in_the_readme_api_table(app):
    section = readme_api_section()
    assert section, "README.md has no '## API' section"
    listed = {(m, p) for m, p in re.findall(r"\|\s*`?(GET|PUT|POST|DELETE|PATCH)`?\s*\|\s*`([^`\s|]+)`", section)}
    missing = api_routes(app) - listed
    assert not missing, f"endpoints missing from the README's API table: {sorted(missing)}"


# --- generated requests (schemathesis) against the app -----------------------------------------


def operations(app):
    loaded = schemathesis.openapi.from_wsgi("/openapi.json", app)
    return [result.ok() for result in loaded.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests_get_documented_answers_and_never_a_500(app, mode):
    """Valid and invalid requests alike get a documented status, media type and JSON shape (no 500)."""
    # Driven by hand: schemathesis' pytest integration does not run under this pytest version.
    for operation in operations(app):
        check_operation(operation, mode)


def check_operation(operation, mode: GenerationMode) -> None:
    auth = {"Authorization": f"Bearer {KEY}"} if operation.method.upper() in ("PUT", "POST", "DELETE") else {}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(case):
        # Hypothesis seeds the global `random` alike for every example, and Whoosh names new
        # segments with it: without fresh entropy, the second write reuses the first's file name.
        random.seed(os.urandom(16))
        case.call_and_validate(
            headers=auth,
            # Replaced by valid_requests_accepted (below).  And not negative_data_rejection: invalid
            # values often become valid on the wire (None -> "", false -> "false"), and the bulk
            # endpoint accepts the valid records of a partly invalid batch by design.
            excluded_checks=[positive_data_acceptance, negative_data_rejection],
            additional_checks=[valid_requests_accepted],
        )

    try:
        check()
    except Unsatisfiable:
        # No parameters and no body (e.g. /metrics): there is no invalid request to make.
        assert mode == GenerationMode.NEGATIVE, operation.label


@schemathesis.check
def valid_requests_accepted(ctx, response, case) -> bool | None:
    """Schemathesis' positive_data_acceptance, minus what a JSON schema cannot say.

    Rules across fields are checked by the app, not the schema: 'from' after 'to' (400),
    and an article needs some text, a parseable date and the path's id (422).
    """
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE or response.status_code < 400:
        return None
    body = response.json() if response.headers.get("content-type", [""])[0].startswith("application/json") else {}
    if response.status_code == 400 and "must not be after" in body.get("description", ""):
        return None
    if response.status_code == 422 and case.method.upper() in ("PUT", "POST"):
        return None
    assert response.status_code in (401, 403, 404), f"valid request rejected with {response.status_code}: {body}"
    return None


# --- the contract (api/openapi.yaml) and the code agree -----------------------------------------

SAMPLE_ID = "000_2ebd19a772751180"  # an article of data/sample


class RecordingRequest(falcon.Request):
    """A request that notes the name of every query parameter the code reads."""

    def __init__(self, env, options=None):
        super().__init__(env, options)
        self.names_read: set[str] = set()

    def get_param(self, name, *args, **kwargs):
        self.names_read.add(name)
        return super().get_param(name, *args, **kwargs)

    def get_param_as_list(self, name, *args, **kwargs):
        self.names_read.add(name)
        return super().get_param_as_list(name, *args, **kwargs)


def documented_parameters(spec: dict, path: str, method: str) -> set[str]:
    item = spec["paths"][path]
    found = set()
    for parameter in item.get("parameters", []) + item[method].get("parameters", []):
        if "$ref" in parameter:
            parameter = spec["components"]["parameters"][parameter["$ref"].split("/")[-1]]
        if parameter["in"] == "query":
            found.add(parameter["name"])
    return found


def schema_fields(spec: dict, schema: dict) -> set[str]:
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].split("/")[-1]]
    fields = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        fields |= schema_fields(spec, part)
    return fields


def read_operation(app, config, path: str, query_string: str = ""):
    """Answer GET *path* through the app's own resource with a recording request, after the
    middleware that reads parameters of every GET (cluster mode's ``min_seq``): (names read, response)."""
    resource, methods, params, _ = app._router.find(path)
    req = RecordingRequest(testing.create_environ(path=path, query_string=query_string), app.req_options)
    resp = falcon.Response(app.resp_options)
    ReadYourWrites(config).process_resource(req, resp, resource, params)
    methods["GET"](req, resp, **params)
    return req.names_read, resp


def test_every_query_parameter_the_code_reads_is_documented_and_nothing_else(app, app_config, spec):
    checked = 0
    for path, item in spec["paths"].items():
        if "get" not in item or path in ("/openapi.json", "/docs", "/metrics"):
            continue
        concrete = path.replace("{doc_id}", SAMPLE_ID)
        read, _ = read_operation(app, app_config, concrete, "q=dan+van")
        documented = documented_parameters(spec, path, "get")
        assert read == documented, (
            f"GET {path}: read but not documented {read - documented}, documented but never read {documented - read}"
        )
        checked += 1
    assert checked >= 6


@pytest.mark.parametrize(
    "path, query, schema",
    [
        ("/api/search", "q=dan+van&per_page=3", "SearchResult"),
        ("/api/search", "per_page=3&sort=oldest", "SearchResult"),
        ("/api/coverage", "q=dan+van", "Coverage"),
        ("/api/suggest", "q=dan", "Suggestions"),
        (f"/api/documents/{SAMPLE_ID}", "", "Article"),
        (f"/api/documents/{SAMPLE_ID}/similar", "limit=3", "Similar"),
        ("/api/health", "", "Health"),
    ],
)
def test_every_field_a_real_answer_carries_is_in_its_schema_and_every_field_of_the_schema_is_sent(
    app, spec, path, query, schema
):
    answer = testing.TestClient(app).simulate_get(path, query_string=query)
    assert answer.status_code == 200, answer.text
    declared = schema_fields(spec, {"$ref": f"#/components/schemas/{schema}"})
    if schema == "Health":
        declared -= {"cluster"}  # sent in cluster mode only (tests/test_cluster.py checks it there)
    body = answer.json
    assert set(body) == declared, (
        f"{path}: sent, not in {schema}: {set(body) - declared}; in {schema}, not sent: {declared - set(body)}"
    )
    if schema == "SearchResult":
        assert body["hits"], "the sample has hits for this query"
        hit_schema = spec["components"]["schemas"]["SearchResult"]["properties"]["hits"]["items"]
        for hit in body["hits"]:
            assert set(hit) == schema_fields(spec, hit_schema)
