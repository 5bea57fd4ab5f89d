"""Settings of every command, declared once as data, with their help text.

``config.toml`` at the project root mirrors :data:`SETTINGS` (a test checks that
each setting is there and documented).  A config file may set only some keys;
the others keep the defaults below.  Unknown sections or keys are an error, so a
typo does not silently fall back to a default.
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config.toml"


@dataclass(frozen=True)
class Setting:
    section: str
    key: str
    default: Any
    help: str

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"


SETTINGS: tuple[Setting, ...] = (
    # [index]
    Setting("index", "path", "var/index", "Directory of the index (relative paths are relative to the config file)."),
    Setting(
        "index",
        "sources",
        ["data/sample"],
        "What `python -m index build` and `sync` read when given no sources: portal .txt files or folders, .jsonl/.jsonl.gz files.",
    ),
    Setting(
        "index",
        "procs",
        2,
        "Processes that analyse the articles of a full build; each writes a segment, and the segments are joined into one at the end (1: all in-process).",
    ),
    Setting("index", "memory_mb", 256, "Memory each indexing process may use for buffering postings, in MB."),
    Setting(
        "index",
        "keep_generations",
        2,
        "Complete index generations kept on disk after a rebuild (the live one included), so readers still on an old one finish.",
    ),
    Setting(
        "index",
        "write_timeout",
        30.0,
        "Seconds a write waits for the index's single writer lock before giving up with a clear error.",
    ),
    Setting("index", "portal_source", "hnp", "Value of `source` for articles read from portal .txt files."),
    # [search]
    Setting(
        "search",
        "max_query_chars",
        1000,
        "Longer queries are cut to this many characters (the rest is ignored, and the response says so).",
    ),
    Setting("search", "max_per_page", 100, "Largest page size a caller may ask for."),
    Setting(
        "search",
        "max_query_terms",
        32,
        "Syllables a query is read for (its words, phrases and exclusions); the rest is ignored, and the response says so.",
    ),
    Setting(
        "search",
        "max_prefixes",
        4,
        "Prefixes (dân*, at least two letters before the star) one query may hold; later ones are read as plain words.",
    ),
    Setting(
        "search",
        "prefix_terms",
        40,
        "Indexed words the prefixes of one query stand for at most, shared among them, the most frequent first.",
    ),
    Setting("search", "spelling_max_chars", 40, "Words longer than this get no spelling correction."),
    Setting(
        "search",
        "deadline_ms",
        2000,
        "Milliseconds of work one search may take; past them it stops with a 400 saying the query costs too much.",
    ),
    Setting("search", "per_page", 10, "Page size when the caller does not ask for one."),
    Setting(
        "search",
        "all_words_up_to",
        6,
        "Queries of at most this many words must match all of them; longer queries (questions) rank articles by how many and how well they match.",
    ),
    Setting("search", "title_weight", 3.0, "Weight of the title in BM25F."),
    Setting("search", "summary_weight", 1.5, "Weight of the summary (lead) in BM25F."),
    Setting("search", "body_weight", 1.0, "Weight of the body in BM25F."),
    Setting("search", "captions_weight", 0.5, "Weight of photo captions in BM25F."),
    Setting("search", "author_weight", 1.0, "Weight of the byline in BM25F."),
    Setting("search", "words_weight", 0.5, "Weight of the pyvi word view (a ranking signal, never a condition)."),
    Setting(
        "search",
        "proximity_weight",
        0.0,
        "Weight of adjacent query syllables found adjacent in the article. Off (0) by default: since the title rule it bought 0.01-0.02 of MRR@10 on headlines half remembered, for 8-11 % of a search's CPU (BENCHMARKS.md).",
    ),
    Setting(
        "search",
        "passage_weight",
        4.0,
        "A question's first articles get their score multiplied by 1 + this x how closely their body holds its words (the best window of ten syllables, its adjacent pairs: search/passages.py). 0: off.",
    ),
    Setting(
        "search",
        "passage_depth",
        50,
        "How many of a question's first articles (by tier, then BM25F) the passage stage re-scores.",
    ),
    Setting(
        "search", "bm25_b", 0.9, "BM25 length normalisation (0 = none, 1 = full); news articles vary a lot in length."
    ),
    Setting("search", "bm25_k1", 1.2, "BM25 term-frequency saturation."),
    Setting("search", "snippet_chars", 200, "Approximate length of one snippet fragment, in characters."),
    Setting("search", "snippet_fragments", 3, "Most fragments in one snippet."),
    Setting("search", "facet_limit", 20, "Most values returned for the author and source facets."),
    Setting(
        "search",
        "max_filter_values",
        20,
        "Most values one filter (author, source, category) may be given in one request; more is a 400.",
    ),
    Setting(
        "search",
        "result_cache",
        256,
        "Recent search results each server process keeps for the current index state (0 turns it off); any write or rebuild empties it.",
    ),
    Setting(
        "search",
        "shared_result_cache",
        2048,
        "Search results kept for all server processes of an index together, as files on a RAM disk (0 turns it off); a write or rebuild makes them stale at once.",
    ),
    Setting(
        "search",
        "shared_result_dir",
        "",
        "Folder for the shared results (private to this user); empty: /dev/shm/hnp-results-<uid>-<index hash>, or the temporary folder.",
    ),
    Setting(
        "search",
        "posting_cache_mb",
        64,
        "Memory each server process may use for decoded posting lists, in MB (64, with score_cache_mb at 144: on 100,000 articles a worker peaks at about 425 MB of RSS under load, and 467-479 MB once every cache is full over a worker's life of 25,000 requests plus jitter, bench/worker_memory.py; 128 served 9 % more requests a second and would take it past 500 MB).",
    ),
    Setting(
        "search",
        "score_cache_mb",
        144,
        "Memory each server process may use for common words' BM25F, kept for the next search, in MB (a byte per article each: 100 KB a word on 100,000 articles; a question holds a dozen such words).",
    ),
    Setting(
        "search",
        "abbreviations",
        "data/abbreviations.tsv",
        "File of abbreviations and their expansions, matched both ways (relative to the config file).",
    ),
    # [server]
    Setting("server", "bind", "127.0.0.1:8000", "Address gunicorn listens on."),
    Setting("server", "workers", 0, "gunicorn worker processes; 0 means 2 x cores + 1."),
    Setting("server", "threads", 4, "Threads per worker (gthread), so a slow client does not hold a worker."),
    Setting(
        "server",
        "malloc_arenas",
        1,
        "C allocator (glibc) arenas a worker's threads share (0: glibc's default, up to 8 per core); one keeps a worker's memory from fragmenting across its threads.",
    ),
    Setting(
        "server",
        "worker_connections",
        1000,
        "Connections a worker holds at once (gunicorn's worker_connections, at least threads + 1). Keep it above the clients a worker may have: a worker holding this many accepts no more, and under a steady load it closes none, so with 8 (2 workers, 32 clients) half the clients waited in the kernel's queue and got no answer at all.",
    ),
    Setting(
        "server",
        "accept_hold_ms",
        50,
        "How long a worker whose threads are all busy leaves a new connection to a worker with an idle thread, in milliseconds, before it accepts one itself (0: accept at once, as gunicorn does). gunicorn keeps a connection with the worker that accepted it, and without this 16 clients went 12-4 and 13-3 on two workers.",
    ),
    Setting("server", "timeout", 30, "Seconds before gunicorn restarts a silent worker."),
    Setting(
        "server",
        "max_requests",
        25_000,
        "Requests after which gunicorn replaces a worker with a fresh one (0: never), so no worker's memory grows for ever. On 100,000 articles, with every cache full, a worker's RSS keeps creeping up: 467-479 MB at 27,500 requests of searches and suggestions, 498-508 MB at 50,000-67,000 (bench/worker_memory.py). A fresh worker is ready in about 2 s and costs some 3 s of serving with its caches cold.",
    ),
    Setting(
        "server",
        "max_requests_jitter",
        2_500,
        "Up to this many requests added at random to max_requests per worker, so workers are not all replaced at once.",
    ),
    Setting("server", "max_body_bytes", 10_000_000, "Largest request body accepted (413 beyond)."),
    Setting(
        "server", "access_log", "-", "Where structured access logs go ('-' is standard output, '' turns them off)."
    ),
    # [api]
    Setting(
        "api",
        "keys",
        [],
        "API keys allowed to write (Authorization: Bearer KEY); HNP_API_KEYS in the environment adds more, comma-separated.",
    ),
    Setting("api", "cors_origins", [], 'Origins allowed by CORS; ["*"] allows any.'),
    Setting(
        "api",
        "export_max_rows",
        10_000,
        "Most rows an export without an API key may hold (more matches is a 400 asking to narrow the search); 0: no limit.",
    ),
    Setting("api", "cache_seconds", 60, "max-age of GET responses (ETag follows the index generation either way)."),
    # [cluster]
    Setting(
        "cluster",
        "database_url",
        "",
        "PostgreSQL holding the articles and the ordered change log (e.g. postgresql://hnp@db.internal/hnp); empty: single-machine mode. The password comes from PGPASSWORD or ~/.pgpass, never from this file.",
    ),
    Setting("cluster", "batch", 500, "Most log changes the follower applies in one index commit."),
    Setting(
        "cluster",
        "commit_interval",
        0.2,
        "Least seconds between two commits of the follower: a stream of single writes is applied in batches (fewer commits and merges, less CPU), each write searchable up to this much later.",
    ),
    Setting(
        "cluster",
        "poll_seconds",
        1.0,
        "Seconds the follower waits for a change notification before asking the database anyway (and between retries while it is unreachable).",
    ),
    Setting(
        "cluster",
        "max_lag_changes",
        1000,
        "/api/health answers 503 (the balancer stops sending readers) while the node is more changes than this behind the log.",
    ),
    Setting(
        "cluster",
        "max_lag_seconds",
        30.0,
        "/api/health answers 503 while the oldest change the node has not applied was committed longer ago than this.",
    ),
    Setting(
        "cluster",
        "max_wait_ms",
        10_000,
        "Longest a read asking for min_seq waits for this node to apply that change (503 past it).",
    ),
    Setting(
        "cluster",
        "snapshots",
        "",
        "Folder of index snapshots (`python -m index snapshot`); a node without an index starts from the newest one there. Empty: none.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


class ConfigError(ValueError):
    """A config file that cannot be read, or holds an unknown or mistyped setting."""


class Config:
    """Settings merged from the defaults and one TOML file; ``config["index.path"]``."""

    def __init__(self, values: dict[str, Any], base_dir: Path, source: Path | None = None):
        self._values = values
        self.base_dir = base_dir
        self.source = source

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def path(self, name: str) -> Path:
        """Setting *name* as a path, resolved against the config file's folder."""
        return (self.base_dir / os.path.expanduser(self._values[name])).resolve()

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with some settings replaced, keys written ``section__key``."""
        values = dict(self._values)
        for key, value in overrides.items():
            name = key.replace("__", ".", 1)
            if name not in _BY_NAME:
                raise ConfigError(f"unknown setting {name!r}")
            values[name] = value
        return Config(values, self.base_dir, self.source)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read *path* (default: the project's ``config.toml``) over the defaults."""
    values = {s.name: s.default for s in SETTINGS}
    file = Path(path) if path else DEFAULT_CONFIG
    if path is None and not file.exists():
        return Config(values, ROOT)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {file} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {file} is not valid TOML: {exc}") from None
    for section, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{file}: {section!r} must be a [section]")
        for key, value in table.items():
            setting = _BY_NAME.get(f"{section}.{key}")
            if setting is None:
                raise ConfigError(f"{file}: unknown setting {section}.{key}")
            values[setting.name] = _check_type(setting, value, file)
    return Config(values, file.resolve().parent, file.resolve())


def load_config_or_exit(path: str | os.PathLike | None) -> Config:
    """For commands: the config, or its error on stderr and exit status 2."""
    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _check_type(setting: Setting, value: Any, file: Path) -> Any:
    expected = type(setting.default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ConfigError(f"{file}: {setting.name} must be {expected.__name__}, got {value!r}")
    return value
