"""The export column (issue 18, item 8): an export row is read from a small column written at
index time, not from the whole stored article; indexes built before it still export and take writes."""

from __future__ import annotations

from index import build as build_module
from index import schema as schema_module
from index import store as store_module
from index.article import Article
from index.build import build
from index.settings import load_config
from index.store import IndexStore
from index.writer import upsert_entry, write
from search.searcher import Searcher, _export_fields
from tests.conftest import ROOT, write_config


def test_every_export_row_comes_from_the_column_and_equals_the_stored_article(sample_index):
    searcher = Searcher(load_config(sample_index))
    rows = list(searcher.export(""))
    assert len(rows) == 25
    reader = searcher._searcher.reader()
    column = reader.column_reader("export")
    for docnum in range(reader.doc_count_all()):
        from_column = schema_module.export_row(column[docnum])
        assert from_column is not None
        assert from_column == _export_fields(searcher._searcher.stored_fields(docnum))


def test_an_index_built_without_the_column_exports_and_takes_writes(tmp_path, monkeypatch):
    """As if built by the code before the column: its schema lacks it."""
    config = load_config(write_config(tmp_path, index={"path": str(tmp_path / "index"), "procs": 1}))
    old_schema = schema_module.build_schema()
    old_schema.remove("export")
    monkeypatch.setattr(store_module, "build_schema", lambda impacts=None: old_schema)
    monkeypatch.setattr(
        build_module,
        "to_document",
        lambda *args: {k: v for k, v in schema_module.to_document(*args).items() if k != "export"},
    )
    store = IndexStore(config.path("index.path"))
    build(store, [ROOT / "data" / "sample"], procs=1, progress=False)
    monkeypatch.undo()  # the current code from here on
    write(store, [upsert_entry(Article(id="new-1", title="Bài mới zqexportold", body="Nội dung"))])
    rows = list(Searcher(config).export("zqexportold"))
    assert [(r["id"], r["title"]) for r in rows] == [("new-1", "Bài mới zqexportold")]
    assert len(list(Searcher(config).export(""))) == 26
