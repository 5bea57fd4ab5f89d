"""``/openapi.json`` (OpenAPI 3.0) describing every endpoint, and ``/docs``, a page rendered from it.

The document is a data file, ``api/openapi.yaml``, written by hand so that
other services can rely on it; its limits (``${search.max_per_page}``...) are
filled in from the config at startup.  Tests check that every route,
parameter and response field of the code is in it and nothing else, and that
real responses conform to it.  ``/docs`` is plain server-side HTML made from
the same dictionary (no JavaScript, nothing loaded from elsewhere).
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
from pathlib import Path

import falcon
import jinja2
import yaml
from markupsafe import Markup

from api.caching import etag_matches, weak_etag
from api.limits import MAX_REQUEST_LINE
from index.settings import Config

SPEC_FILE = Path(__file__).resolve().parent / "openapi.yaml"
_PLACEHOLDER = re.compile(r"\$\{([a-z_.]+)\}")
# Values the document names that are not settings.
_CONSTANTS = {"max_request_line": MAX_REQUEST_LINE}


def build_spec(config: Config) -> dict:
    """The OpenAPI document (:data:`SPEC_FILE`) for a server running *config*: each ``${name}``
    becomes that setting (or constant); a whole-value placeholder keeps the setting's type."""

    def value(name: str):
        return _CONSTANTS[name] if name in _CONSTANTS else config[name]

    def fill(node):
        if isinstance(node, dict):
            return {key: fill(item) for key, item in node.items()}
        if isinstance(node, list):
            return [fill(item) for item in node]
        if isinstance(node, str):
            whole = _PLACEHOLDER.fullmatch(node)
            if whole:
                return value(whole.group(1))
            return _PLACEHOLDER.sub(lambda m: str(value(m.group(1))), node)
        return node

    from api.cluster import extend_spec  # cluster mode's additions (min_seq, X-Index-Seq, health's lag)

    return extend_spec(fill(_document()))


@functools.cache
def _document() -> dict:
    # The C loader when PyYAML has it (10x faster); safe_load either way: plain data, no objects.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(SPEC_FILE.read_text(encoding="utf-8"), Loader=loader)


class OpenApiResource:
    cache = "static"

    def __init__(self, spec: dict):
        self.body = json.dumps(spec, ensure_ascii=False, indent=1)
        self.etag = weak_etag(hashlib.sha256(self.body.encode()).hexdigest()[:16])

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.etag = self.etag
        if etag_matches(req.get_header("If-None-Match"), self.etag):
            resp.status = falcon.HTTP_304
            return
        resp.content_type = falcon.MEDIA_JSON
        resp.text = self.body


class DocsResource:
    cache = "static"

    def __init__(self, spec: dict):
        self.body = render_docs(spec)
        self.etag = weak_etag(hashlib.sha256(self.body.encode()).hexdigest()[:16])

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.etag = self.etag
        if etag_matches(req.get_header("If-None-Match"), self.etag):
            resp.status = falcon.HTTP_304
            return
        resp.content_type = falcon.MEDIA_HTML
        resp.text = self.body


# --- the /docs page --------------------------------------------------------------------------

_DOCS = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_docs(spec: dict) -> str:
    """The API description as one self-contained HTML page (``templates/docs.html``)."""
    env = _DOCS.overlay()
    env.filters["markdownish"] = _markdownish
    env.globals.update(
        resolve=lambda node: _resolve(spec, node),
        type=lambda schema: _type(spec, schema),
        properties=lambda schema: _properties(spec, schema),
        parameters=lambda path, op: [
            _resolve(spec, p) for p in spec["paths"][path].get("parameters", []) + op.get("parameters", [])
        ],
        curl=_curl,
    )
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in ("get", "put", "post", "delete")
    ]
    return env.get_template("docs.html").render(
        info=spec["info"], operations=operations, schemas=spec["components"]["schemas"]
    )


def _resolve(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = spec["components"][kind][name]
    return node


def _type(spec: dict, schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].split("/")[-1]
    if "allOf" in schema:
        return " + ".join(_type(spec, s) for s in schema["allOf"])
    if "anyOf" in schema:
        return " or ".join(_type(spec, s) for s in schema["anyOf"]).replace(
            " or string (at most 0 chars)", ", or empty"
        )
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type(spec, schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    if schema.get("maxLength") == 0:
        return f"{kind} (at most 0 chars)"
    if "minimum" in schema and "maximum" in schema:
        return f"{kind} {schema['minimum']}..{schema['maximum']}"
    return kind + (" or null" if schema.get("nullable") else "")


def _properties(spec: dict, schema: dict) -> dict[str, tuple[dict, bool]]:
    parts = schema.get("allOf", [schema])
    props: dict[str, tuple[dict, bool]] = {}
    for part in parts:
        part = _resolve(spec, part)
        required = set(part.get("required", []))
        for field, sub in part.get("properties", {}).items():
            props[field] = (sub, field in required)
    return props


def _curl(path: str, method: str, op: dict) -> str:
    example = op.get("x-example") or path.replace("{doc_id}", "demo-1")
    url = f"'http://127.0.0.1:8000{example}'"
    if method == "get":
        return f"curl {url}"
    parts = [f"curl -X {method.upper()} {url}", '-H "Authorization: Bearer $HNP_KEY"']
    if op.get("x-example-body"):
        media = next(iter(op["requestBody"]["content"]))
        parts += [f"-H 'Content-Type: {media}'", f"--data-binary '{op['x-example-body']}'"]
    return " \\\n  ".join(parts)


def _markdownish(text: str, para: bool = True) -> Markup:
    """The little Markdown the descriptions use: bullets, **bold** and `code`."""

    def inline(s: str) -> str:
        s = html.escape(s)
        s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
        return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", s)

    if not para:
        return Markup(inline(text))
    blocks = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        if all(line.startswith("* ") for line in lines):
            blocks.append("<ul>" + "".join(f"<li>{inline(line[2:])}</li>" for line in lines) + "</ul>")
        else:
            blocks.append(f"<p>{inline(block)}</p>")
    return Markup("\n".join(blocks))
