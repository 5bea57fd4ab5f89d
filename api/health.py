"""``GET /api/health``: is the index searchable, how many documents, which generation.

Load balancers and monitoring poll it, so it is never cached and costs only the
searcher's up-to-date check.  ``worker`` (the answering process's pid) tells
which gunicorn worker answered, e.g. to check that all of them see a write.
"""

from __future__ import annotations

import os

import falcon

from index.store import IndexMissing


class HealthResource:
    def __init__(self, searcher, config=None):
        self.searcher = searcher
        # Cluster mode: the node's place in the log, and 503 while it is too far behind (api/cluster.py).
        self.config = config if config is not None and config["cluster.database_url"] else None

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        try:
            generation = self.searcher.generation
            documents = self.searcher.document_count()
        except IndexMissing as exc:
            resp.status = falcon.HTTP_503
            resp.set_header("Retry-After", "30")
            resp.media = {
                "title": "Index unavailable",
                "description": f"{exc}.",
                "status": "unavailable",
                "worker": os.getpid(),
            }
            return
        body = {"status": "ok", "documents": documents, "generation": generation, "worker": os.getpid()}
        if self.config is not None:
            from api.cluster import health

            body["cluster"], behind = health(self.config, self.searcher.store)
            if behind:
                resp.status = falcon.HTTP_503
                resp.set_header("Retry-After", "5")
                body = {"title": "Node behind the log", "description": f"{behind}.", **body, "status": "unavailable"}
        resp.media = body
