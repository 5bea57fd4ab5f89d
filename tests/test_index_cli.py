"""``python -m index``: build, add, delete, stats, exit codes, atomic switch, journal replay."""

from __future__ import annotations

import json
import subprocess
import sys

from whoosh.query import Term

from index.settings import load_config
from index.store import IndexStore

from .conftest import ROOT, copy_seed, write_config


def run(*args, config):
    return subprocess.run(
        [sys.executable, "-m", "index", *args, "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def store_of(config) -> IndexStore:
    return IndexStore(load_config(config).path("index.path"))


def ids_in(config) -> set[str]:
    with store_of(config).open().searcher() as searcher:
        return {fields["id"] for fields in searcher.all_stored_fields()}


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_build_add_delete_stats(tmp_path, tmp_config):
    sources = tmp_path / "src"
    copy_seed(sources)
    write_jsonl(
        sources / "more.jsonl", [{"id": "j1", "title": "Hà Nội mùa thu", "body": "Thân bài.", "date": "2020-10-01"}]
    )
    built = run("build", str(sources), "--quiet", config=tmp_config)
    assert built.returncode == 0, built.stderr
    assert "2 documents indexed, 0 skipped" in built.stdout
    assert ids_in(tmp_config) == {"000_2ebd19a772751180", "j1"}

    stats = run("stats", "--json", config=tmp_config)
    data = json.loads(stats.stdout)
    assert data["documents"] == 2 and data["first_day"] == "2020-10-01" and data["last_day"] == "2022-01-13"
    assert data["size_bytes"] > 0

    extra = write_jsonl(
        tmp_path / "extra.jsonl", [{"id": "j1", "title": "Đổi tiêu đề", "body": "Mới."}, {"id": "j2", "body": "Hai."}]
    )
    added = run("add", str(extra), "--quiet", config=tmp_config)
    assert added.returncode == 0, added.stderr
    assert ids_in(tmp_config) == {"000_2ebd19a772751180", "j1", "j2"}
    with store_of(tmp_config).open().searcher() as searcher:
        assert searcher.document(id="j1")["title"] == "Đổi tiêu đề"  # replaced, not duplicated
        assert searcher.doc_count() == 3

    deleted = run("delete", "j2", "nope", config=tmp_config)
    assert deleted.returncode == 3 and "deleted 1" in deleted.stdout and "not found: nope" in deleted.stderr
    assert ids_in(tmp_config) == {"000_2ebd19a772751180", "j1"}
    # Builds and writes leave segments as separate files: a compound one (.seg) is read into each
    # reader's memory whole (BENCHMARKS.md, load on 100,000 articles).
    live = store_of(tmp_config)
    assert not list((live.path / live.current()).glob("*.seg"))


def test_broken_records_are_skipped_counted_and_change_the_exit_status(tmp_path, tmp_config):
    source = tmp_path / "broken.jsonl"
    source.write_text('{"id": "ok", "body": "Tốt."}\n{oops\n{"title": "no id"}\n', encoding="utf-8")
    result = run("build", str(source), "--quiet", config=tmp_config)
    assert result.returncode == 3
    assert "1 documents indexed, 2 skipped" in result.stdout
    assert f"{source}:2: skipped: bad JSON" in result.stderr
    assert f"{source}:3: skipped: no id" in result.stderr
    assert ids_in(tmp_config) == {"ok"}


def test_missing_source_fails_and_leaves_the_live_index(tmp_path, tmp_config):
    source = write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "body": "A."}])
    assert run("build", str(source), "--quiet", config=tmp_config).returncode == 0
    failed = run("build", str(tmp_path / "missing.jsonl"), "--quiet", config=tmp_config)
    assert failed.returncode == 1 and "no such file" in failed.stderr
    assert ids_in(tmp_config) == {"a"}


def test_rebuild_switches_generations_and_replays_incremental_writes(tmp_path, tmp_config):
    source = write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "body": "A."}, {"id": "b", "body": "B."}])
    assert run("build", str(source), "--quiet", config=tmp_config).returncode == 0
    store = store_of(tmp_config)
    first = store.current()
    old_reader = store.open(first).searcher()  # a reader on the old generation keeps working

    extra = write_jsonl(tmp_path / "c.jsonl", [{"id": "c", "body": "C."}])
    assert run("add", str(extra), "--quiet", config=tmp_config).returncode == 0
    assert run("delete", "a", config=tmp_config).returncode == 0

    rebuilt = run("build", str(source), "--quiet", config=tmp_config)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "2 journalled writes replayed" in rebuilt.stdout
    assert store.current() != first
    assert ids_in(tmp_config) == {"b", "c"}  # the add and the delete survived the rebuild
    assert old_reader.doc_count() == 2 and old_reader.document(id="a") is not None
    old_reader.close()


def test_a_build_that_dies_leaves_the_live_generation(tmp_path, tmp_config):
    source = write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "body": "A."}])
    assert run("build", str(source), "--quiet", config=tmp_config).returncode == 0
    store = store_of(tmp_config)
    live = store.current()
    # A half-written generation, as a killed build leaves it.
    (store.path / "gen-999999").mkdir()
    (store.path / "gen-999999" / "junk.seg").write_bytes(b"half")
    assert store.current() == live and ids_in(tmp_config) == {"a"}
    assert run("build", str(source), "--quiet", config=tmp_config).returncode == 0
    assert not (store.path / "gen-999999").exists()


def test_config_may_set_only_some_keys_and_rejects_unknown_ones(tmp_path):
    config = load_config(write_config(tmp_path, server={"bind": "127.0.0.1:9999"}))
    assert config["server.bind"] == "127.0.0.1:9999"
    assert config["index.path"] == "var/index"
    assert config.path("index.path") == (tmp_path / "var" / "index").resolve()
    bad = write_config(tmp_path, index={"pth": "x"})
    result = run("stats", config=bad)
    assert result.returncode == 2 and "unknown setting index.pth" in result.stderr


def test_stats_before_any_build_says_what_to_do(tmp_config):
    result = run("stats", config=tmp_config)
    assert result.returncode == 1 and "python -m index build" in result.stderr


def test_ids_and_terms_are_indexed_for_lookup(tmp_path, tmp_config):
    copy_seed(tmp_path / "s")
    assert run("build", str(tmp_path / "s"), "--quiet", config=tmp_config).returncode == 0
    with store_of(tmp_config).open().searcher() as searcher:
        [doc] = searcher.documents(id="000_2ebd19a772751180")
        assert doc["published"] == "2022-01-13T14:23+07:00"
        for field, term in [
            ("title", "dân"),
            ("title_f", "dan"),
            ("title_w", "dân_vận"),
            ("body", "ủy"),
            ("author_f", "kien"),
        ]:
            assert searcher.search(Term(field, term)).scored_length() == 1, (field, term)
