"""``/api/documents``: read one article, articles like it, and the writes (upsert, delete, bulk).

A write answers 2xx only once :func:`index.writer.write` has committed it (and
journalled it, so rebuilds keep it); every worker's searcher checks for new
commits before each request, so the next search anywhere sees it.  Writers
of every worker and thread queue in arrival order (:mod:`index.writequeue`),
then take the index's writer lock, together at most ``index.write_timeout``
seconds, after which the client gets a 503 with Retry-After instead of a lock
error.

In cluster mode (``cluster.database_url``) a write is instead one PostgreSQL
transaction on the log of record (index/changelog.py), answered once committed
with its sequence number in ``X-Index-Seq``; every node's follower applies it
to its index shortly after, and a read with ``min_seq`` waits for that
(api/cluster.py).  An unreachable database is a 503: nothing was written.
"""

from __future__ import annotations

import errno
import json

import falcon

from api.auth import ApiKeys
from api.errors import BadParameter
from api.limits import read_body
from api.search import one
from index.article import Article, InvalidArticle, check_id
from index.settings import Config
from index.writer import WriteFailed, WriterBusy, WriteResult, delete_entry, upsert_entry, write

# At most this many rejected records are described in a bulk answer (all are counted).
MAX_REPORTED_ERRORS = 1000


class Writes:
    """The one way this process writes to the index."""

    def __init__(self, searcher, config: Config):
        self.searcher = searcher
        self.store = searcher.store
        self.timeout = config["index.write_timeout"]
        self.changelog = None
        if config["cluster.database_url"]:
            from index.changelog import ChangeLog

            self.changelog = ChangeLog(config["cluster.database_url"], lock_timeout=self.timeout)

    def commit(self, entries: list[dict]) -> WriteResult:
        if self.changelog is not None:
            return self._append(entries)
        try:
            result = write(self.store, entries, timeout=self.timeout)
        except WriterBusy:
            raise _busy(self.timeout) from None
        except WriteFailed as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise falcon.HTTPInsufficientStorage(title="Index storage full", description=exc.strerror) from None
            raise falcon.HTTPServiceUnavailable(
                title="Index not writable", description=exc.strerror, retry_after=60
            ) from None
        # Answer with the searchers' name of the index state (generation.commit), which is what
        # /api/search and ETags show: this one or a later one includes the write.
        result.generation = self.searcher.generation
        return result

    def _append(self, entries: list[dict]) -> WriteResult:
        from index.changelog import DatabaseUnavailable

        try:
            appended = self.changelog.append(entries)
        except DatabaseUnavailable as exc:
            raise falcon.HTTPServiceUnavailable(
                title="Database unavailable", description=f"{exc}; nothing was written. Retry shortly.", retry_after=5
            ) from None
        return WriteResult(
            upserted=appended.upserted,
            deleted=appended.deleted,
            missing=appended.missing,
            generation=self.searcher.generation,  # this node's state at the answer; min_seq waits for the write
            seq=appended.seq,
        )


def _tell_seq(resp: falcon.Response, result: WriteResult) -> None:
    if result.seq:
        resp.set_header("X-Index-Seq", str(result.seq))


def _busy(timeout: float) -> falcon.HTTPServiceUnavailable:
    return falcon.HTTPServiceUnavailable(
        title="Index busy",
        description=f"Another write held the index for more than {timeout:g} s; nothing was changed. Retry shortly.",
        retry_after=5,
    )


def _path_id(doc_id: str) -> str:
    try:
        return check_id(doc_id)
    except InvalidArticle as exc:
        raise BadParameter("id", str(exc)) from None


def _not_found(doc_id: str) -> falcon.HTTPNotFound:
    return falcon.HTTPNotFound(title="Document not found", description=f"No document has the id {doc_id!r}.")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise falcon.HTTPBadRequest(
            title="Body is not UTF-8", description=f"The body must be UTF-8 text ({exc.reason} at byte {exc.start})."
        ) from None


class DocumentResource:
    """``/api/documents/{doc_id}``: GET (anyone), PUT and DELETE (with an API key)."""

    cache = "index"

    def __init__(self, searcher, writes: Writes, keys: ApiKeys, config: Config):
        self.searcher = searcher
        self.writes = writes
        self.keys = keys
        self.max_body = config["server.max_body_bytes"]

    def on_get(self, req: falcon.Request, resp: falcon.Response, doc_id: str) -> None:
        found = self.searcher.document(doc_id)
        if found is None:
            raise _not_found(doc_id)
        resp.media = found

    def on_put(self, req: falcon.Request, resp: falcon.Response, doc_id: str) -> None:
        self.keys.check(req)
        doc_id = _path_id(doc_id)
        text = _decode(read_body(req, self.max_body))
        try:
            record = _loads(text)
        except ValueError as exc:
            raise falcon.HTTPBadRequest(
                title="Body is not JSON", description=f"The body must be one JSON object: {exc}."
            ) from None
        if not isinstance(record, dict):
            raise falcon.HTTPUnprocessableEntity(title="Invalid article", description="The body must be a JSON object.")
        body_id = record.get("id")
        if body_id not in (None, "") and str(body_id) != doc_id:
            raise falcon.HTTPUnprocessableEntity(
                title="Id mismatch",
                description=f"The body's id {str(body_id)[:60]!r} differs from the id in the path {doc_id!r}; leave it out or make them equal.",
            )
        try:
            article = Article.from_json({**record, "id": doc_id})
        except InvalidArticle as exc:
            raise falcon.HTTPUnprocessableEntity(title="Invalid article", description=str(exc)) from None
        result = self.writes.commit([upsert_entry(article)])
        _tell_seq(resp, result)
        resp.media = {"id": doc_id, "status": "indexed", "generation": result.generation}

    def on_delete(self, req: falcon.Request, resp: falcon.Response, doc_id: str) -> None:
        self.keys.check(req)
        doc_id = _path_id(doc_id)
        result = self.writes.commit([delete_entry(doc_id)])
        _tell_seq(resp, result)
        if doc_id in result.missing:
            raise _not_found(doc_id)
        resp.media = {"id": doc_id, "status": "deleted", "generation": result.generation}


class SimilarResource:
    """``/api/documents/{doc_id}/similar``: more like this."""

    cache = "index"

    def __init__(self, searcher):
        self.searcher = searcher

    def on_get(self, req: falcon.Request, resp: falcon.Response, doc_id: str) -> None:
        similar = self.searcher.similar(doc_id, one(req, "limit", 10))
        if similar is None:
            # The helpers may not know the article (or not be ready): only an unknown id is a 404.
            if self.searcher.document(doc_id) is None:
                raise _not_found(doc_id)
            similar = []
        resp.media = {"id": doc_id, "similar": similar}


class BulkResource:
    """``POST /api/documents``: NDJSON (or a JSON array) of articles, committed together."""

    def __init__(self, searcher, writes: Writes, keys: ApiKeys, config: Config):
        self.writes = writes
        self.keys = keys
        self.max_body = config["server.max_body_bytes"]

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.keys.check(req)
        text = _decode(read_body(req, self.max_body))
        records = _records(text)
        if not records:
            raise falcon.HTTPBadRequest(
                title="Empty body", description="Send one JSON article per line (NDJSON), or a JSON array of them."
            )
        articles: dict[str, Article] = {}
        errors: list[dict] = []
        rejected = superseded = 0
        for line, record in records:
            try:
                if isinstance(record, ValueError):
                    raise InvalidArticle(f"not JSON: {record}")
                article = Article.from_json(record)
            except InvalidArticle as exc:
                rejected += 1
                if len(errors) < MAX_REPORTED_ERRORS:
                    record_id = record.get("id") if isinstance(record, dict) else None
                    errors.append(
                        {"line": line, "id": record_id if isinstance(record_id, str) else None, "reason": str(exc)}
                    )
                continue
            # Whoosh cannot replace a document added in the same commit: the last record of an id wins.
            if article.id in articles:
                superseded += 1
                del articles[article.id]
            articles[article.id] = article
        body = {"indexed": len(articles), "rejected": rejected, "superseded": superseded, "errors": errors}
        if articles:
            result = self.writes.commit([upsert_entry(a) for a in articles.values()])
            _tell_seq(resp, result)
            body["generation"] = result.generation
            resp.media = body
            return
        resp.status = falcon.HTTP_422
        resp.media = {
            "title": "No valid article",
            "description": f"All {rejected} records were rejected; nothing was written. See errors.",
            **body,
        }


def _loads(text: str) -> object:
    """``json.loads``, with JSON nested deeper than Python recurses a ValueError like any bad JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _records(text: str) -> list[tuple[int, object]]:
    """(line number, parsed record or the ValueError) for each non-blank line, or each array item."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("["):
        try:
            items = _loads(stripped)
        except ValueError as exc:
            raise falcon.HTTPBadRequest(
                title="Body is not JSON", description=f"The JSON array is malformed: {exc}."
            ) from None
        if not isinstance(items, list):
            items = [items]
        return [(i, item) for i, item in enumerate(items, 1)]
    records: list[tuple[int, object]] = []
    # Split on newlines only: JSON strings may hold U+2028 and other characters splitlines() cuts at.
    for number, line in enumerate(text.split("\n"), 1):
        line = line.strip().lstrip("\ufeff")
        if not line:
            continue
        try:
            records.append((number, _loads(line)))
        except ValueError as exc:
            records.append((number, exc))
    return records
