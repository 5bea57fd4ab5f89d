"""Results shared by server processes (search/shared_results.py): reused, never stale, bounded."""

from __future__ import annotations

import os
import pickle
import shutil

import pytest

from index.article import Article
from index.build import build
from index.settings import load_config
from index.store import IndexStore
from index.writer import upsert_entry, write
from search.searcher import Searcher
from search.shared_results import SharedResults, code_digest
from tests.conftest import ROOT, write_config

SEED = ROOT / "data" / "sample" / "000_2ebd19a772751180.txt"


def _config(tmp_path, **search):
    return load_config(
        write_config(
            tmp_path,
            index={"path": str(tmp_path / "index"), "procs": 1},
            search={"shared_result_dir": str(tmp_path / "shared"), **search},
        )
    )


def test_a_second_process_answers_from_the_first_ones_result_without_evaluating(tmp_path):
    config = _config(tmp_path)
    build(IndexStore(config.path("index.path")), [SEED], procs=1, progress=False)
    first, second = Searcher(config), Searcher(config)  # two workers of one server
    expected = first.search("dan van")
    assert len(list((tmp_path / "shared").glob("*.json"))) == 1
    found = second.search("dan van")
    assert second._recent == {}  # not evaluated: read from the shared folder
    assert found.hits == expected.hits and found.facets == expected.facets and found.total == expected.total
    assert found.hits[0].snippet_html.count("<mark>") >= 1


def test_a_write_by_anyone_makes_shared_results_stale(tmp_path):
    config = _config(tmp_path)
    store = IndexStore(config.path("index.path"))
    build(store, [SEED], procs=1, progress=False)
    first, second = Searcher(config), Searcher(config)
    assert first.search('"hoa sen"').total == 0
    write(store, [upsert_entry(Article(id="n1", title="Hoa sen nở", body="Mùa hoa sen Hồ Tây."))])
    assert [h.id for h in second.search('"hoa sen"').hits] == ["n1"]


def test_an_index_built_again_under_the_same_generation_name_is_not_confused(tmp_path):
    config = _config(tmp_path)
    store = IndexStore(config.path("index.path"))
    build(store, [SEED], procs=1, progress=False)
    assert Searcher(config).search("").total == 1
    shutil.rmtree(config.path("index.path"))
    build(store, [ROOT / "data" / "sample"], procs=1, progress=False)
    assert Searcher(config).search("").total == 25


def test_other_search_settings_do_not_share_results(tmp_path):
    config = _config(tmp_path)
    build(IndexStore(config.path("index.path")), [SEED], procs=1, progress=False)
    default = Searcher(config).search("dan van").hits[0].snippet_html
    other = Searcher(config.with_overrides(search__snippet_chars=60))
    assert len(other.search("dan van").hits[0].snippet_html) < len(default)
    assert other._recent != {}


def test_other_code_does_not_share_results(tmp_path):
    # The folder outlives the server's processes: after a deploy of other code (another ranking)
    # on the same index and settings, the old code's results are not answered.
    tree = tmp_path / "tree"
    for folder, pattern in (("search", "*.py"), ("index", "*.py"), ("data", "*.tsv")):
        (tree / folder).mkdir(parents=True)
        for path in (ROOT / folder).glob(pattern):
            shutil.copy(path, tree / folder / path.name)
    assert code_digest(tree) == code_digest(ROOT) == code_digest()  # the running code's
    engine = tree / "search" / "engine.py"
    engine.write_text(engine.read_text(encoding="utf-8") + "\n# another ranking\n", encoding="utf-8")
    other = code_digest(tree)
    assert other != code_digest()

    config = _config(tmp_path)
    build(IndexStore(config.path("index.path")), [SEED], procs=1, progress=False)
    old, new = Searcher(config), Searcher(config)
    old.search("dan van")
    new._code = other  # this process runs the other code
    new.search("dan van")
    assert new._recent != {}  # evaluated, not read from the old code's entry
    again = Searcher(config)
    again.search("dan van")
    assert again._recent == {}  # the same code still shares


def test_the_folder_is_pruned_to_its_limit(tmp_path):
    store = SharedResults(tmp_path / "shared", limit=10)
    for i in range(200):
        store.put(("key", i), {"value": i})
    assert len(list((tmp_path / "shared").iterdir())) <= 10 + 64  # pruned every 64 writes
    assert store.get(("key", 199)) == {"value": 199}
    assert store.get(("key", 0)) is None


def test_a_folder_others_may_write_to_is_not_used(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o777)
    store = SharedResults(folder, limit=10)
    store.put(("key",), "value")
    assert not store.enabled and store.get(("key",)) is None and not list(folder.iterdir())


def test_off_when_the_limit_is_zero_or_the_folder_cannot_be_made(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    assert not SharedResults(tmp_path / "file" / "shared", limit=10).enabled
    assert not SharedResults(tmp_path / "shared", limit=0).enabled


class _Planted:
    """A pickle that, when loaded, leaves a file behind (what a hostile pickle would do, harmlessly)."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_planted_pickle_is_never_loaded(tmp_path):
    store = SharedResults(tmp_path / "shared", limit=10)
    marker = tmp_path / "pwned"
    store._path(("key",)).write_bytes(pickle.dumps((("key",), _Planted(str(marker)))))
    os.chmod(store._path(("key",)), 0o600)
    assert store.get(("key",)) is None and not marker.exists()


def test_an_entry_others_could_have_written_is_not_read(tmp_path):
    store = SharedResults(tmp_path / "shared", limit=10)
    store.put(("key",), {"value": 1})
    path = store._path(("key",))
    assert store.get(("key",)) == {"value": 1}
    os.chmod(path, 0o622)  # group- and world-writable: anyone may have replaced its content
    assert store.get(("key",)) is None
    os.chmod(path, 0o600)
    (tmp_path / "elsewhere").write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(tmp_path / "elsewhere")  # a symlink planted in the folder is not followed
    assert store.get(("key",)) is None
    path.unlink()
    store.put(("key",), {"value": 1})
    if os.getuid() != 0:
        pytest.skip("only root can give a file to another user")
    os.chown(path, 65534, 65534)  # the folder vanished and another user made it again, and this file
    assert store.get(("key",)) is None


def test_prune_removes_only_its_own_entries(tmp_path):
    folder = tmp_path / "index"  # search.shared_result_dir pointed at the index's folder by mistake
    folder.mkdir(mode=0o700)
    for name in ("CURRENT", "journal.jsonl", "notes.txt", "0123456789abcdef0123456789abcdef.pickle"):
        (folder / name).write_text("keep me")
    store = SharedResults(folder, limit=5)
    for i in range(200):
        store.put(("key", i), {"value": i})
    left = {p.name for p in folder.iterdir()}
    assert {"CURRENT", "journal.jsonl", "notes.txt", "0123456789abcdef0123456789abcdef.pickle"} <= left
    assert len(left) <= 4 + 5 + 64
