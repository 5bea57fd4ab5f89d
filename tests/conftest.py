"""Shared fixtures: temporary configs and indexes built with the real code."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# No deadline per example: a test must not depend on the machine's speed (a shared CI machine
# ran one example in 283 ms against Hypothesis's default 200 ms).
settings.register_profile("house", deadline=None)
settings.load_profile("house")

ROOT = Path(__file__).resolve().parent.parent
# The shared data sits next to the checkout; HNP_SHARED points elsewhere (a clone in /tmp).
SHARED = Path(os.environ.get("HNP_SHARED", ROOT.parent / "shared"))
SEED = ROOT / "data" / "sample" / "000_2ebd19a772751180.txt"
CORPUS_00 = SHARED / "corpus" / "news-00.jsonl.gz"


def write_config(directory: Path, **sections: dict) -> Path:
    """A config file in *directory* setting only the given keys.

    Results shared by server processes go to a folder inside *directory*, not to
    /dev/shm, so test runs leave nothing behind.
    """
    sections = {
        **sections,
        "search": {"shared_result_dir": str(directory / "shared-results"), **sections.get("search", {})},
    }
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            lines.append(f"{key} = {_toml(value)}")
    path = directory / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def searcher_of(directory: Path, articles: list[dict]):
    """A searcher over an index of *articles* alone (JSON Lines records), built in *directory*."""
    from index.build import build
    from index.settings import load_config
    from index.store import IndexStore
    from search.searcher import Searcher

    source = directory / "articles.jsonl"
    source.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in articles) + "\n", encoding="utf-8")
    config = load_config(write_config(directory, index={"path": str(directory / "index"), "procs": 1}))
    build(IndexStore(config.path("index.path")), [source], procs=1, progress=False)
    return Searcher(config)


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


@pytest.fixture
def tmp_config(tmp_path):
    """A config whose index lives in the test's temporary folder."""
    return write_config(tmp_path, index={"path": str(tmp_path / "index"), "procs": 1})


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory):
    """The bundled sample, indexed once per test session; returns its config path."""
    from index.build import build
    from index.settings import load_config
    from index.store import IndexStore

    directory = tmp_path_factory.mktemp("sample-index")
    config_path = write_config(directory, index={"path": str(directory / "index"), "procs": 1})
    config = load_config(config_path)
    build(IndexStore(config.path("index.path")), [ROOT / "data" / "sample"], procs=1, progress=False)
    return config_path


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory):
    """news-00 plus the seed article (the issues' "seed plus news-00"), indexed once per
    session (about three minutes on two cores); config path.  Read-only: copy it first
    to write (tests/server.py: copy_index)."""
    if not CORPUS_00.exists():
        pytest.skip(f"{CORPUS_00} is not here (the shared corpus is needed for this test)")
    from index.build import build
    from index.settings import load_config
    from index.store import IndexStore

    directory = tmp_path_factory.mktemp("corpus-index")
    config_path = write_config(directory, index={"path": str(directory / "index"), "procs": 2})
    config = load_config(config_path)
    build(IndexStore(config.path("index.path")), [CORPUS_00, SEED], procs=2, progress=False)
    return config_path


def copy_seed(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(SEED, directory))


@pytest.fixture(scope="module")
def client(sample_index):
    """The whole app (API and site) on the sample, through falcon.testing."""
    from tests.site_app import site_client

    return site_client(sample_index)


@pytest.fixture(scope="module")
def searcher(sample_index):
    """A searcher on the sample (modules may define their own)."""
    from index.settings import load_config
    from search.searcher import Searcher

    return Searcher(load_config(sample_index))
