"""API keys for the write endpoints: ``Authorization: Bearer KEY``.

Keys come from the config's ``[api] keys`` and from ``HNP_API_KEYS`` in the
environment (comma-separated), so production keys need not sit in a file in
the repository.  A presented key is compared with every configured key in
constant time (digests of equal length, no early exit), so response timing does
not tell how much of a guess was right.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping

import falcon

from index.settings import Config

ENV_VAR = "HNP_API_KEYS"


def configured_keys(config: Config, environ: Mapping[str, str] | None = None) -> list[str]:
    """The keys of *config* plus those of ``HNP_API_KEYS``; blanks dropped."""
    environ = os.environ if environ is None else environ
    keys = [k.strip() for k in config["api.keys"]]
    keys += [k.strip() for k in environ.get(ENV_VAR, "").split(",")]
    return [k for k in dict.fromkeys(keys) if k]


class ApiKeys:
    """Checks the bearer key of a write request."""

    def __init__(self, keys: list[str]):
        self._digests = [hashlib.sha256(k.encode("utf-8")).digest() for k in keys]

    def __bool__(self) -> bool:
        return bool(self._digests)

    def valid(self, req: falcon.Request) -> bool:
        """Whether *req* carries a valid key (no answer is raised either way)."""
        try:
            self.check(req)
        except falcon.HTTPError:
            return False
        return True

    def check(self, req: falcon.Request) -> None:
        """Return if *req* carries a valid key; raise 401 (none given) or 403 (wrong, or writes disabled)."""
        header = req.get_header("Authorization") or ""
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise falcon.HTTPUnauthorized(
                title="API key required",
                description="Writes need an API key: send the header 'Authorization: Bearer KEY'.",
                challenges=['Bearer realm="hnp-search"'],
            )
        if not self._digests:
            raise falcon.HTTPForbidden(
                title="Writes disabled",
                description="This server has no API keys configured ([api] keys or HNP_API_KEYS), so it accepts no writes.",
            )
        presented = hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
        matched = False
        for digest in self._digests:
            matched |= hmac.compare_digest(presented, digest)
        if not matched:
            raise falcon.HTTPForbidden(title="Invalid API key", description="The API key given is not valid.")
