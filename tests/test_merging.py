"""Write commits merge a bounded number of small segments (index/merging.py), on a real index."""

from __future__ import annotations

from index.article import Article
from index.merging import MERGE_ABOVE_SEGMENTS, MERGE_DOCS
from index.settings import load_config
from index.store import IndexStore, open_writer
from index.writer import apply_entries, upsert_entry, write
from tests.reliability import articles
from tests.server import copy_index


def segment_sizes(store: IndexStore) -> list[int]:
    ix = store.open(store.current())
    return sorted(segment.doc_count_all() for segment in ix._segments())


def add_unmerged(store: IndexStore, batches: list[list[dict]]) -> None:
    ix = store.open(store.current())
    for batch in batches:
        writer = open_writer(ix)
        apply_entries(writer, [upsert_entry(Article.from_json(a)) for a in batch])
        writer.commit(merge=False)


def test_writes_merge_only_the_smallest_segments_and_keep_every_document(sample_index, tmp_path):
    store = IndexStore(load_config(copy_index(sample_index, tmp_path)).path("index.path"))
    docs = list(articles(MERGE_ABOVE_SEGMENTS * 30, prefix="m", sentences=1))
    big = [docs[i : i + 30] for i in range(0, len(docs), 30)]
    add_unmerged(store, big)
    before = segment_sizes(store)
    assert len(before) > MERGE_ABOVE_SEGMENTS
    write(store, [upsert_entry(Article.from_json({"id": "one-more", "title": "Một bài nữa", "body": "Nội dung."}))])
    after = segment_sizes(store)
    merged = len(before) + 1 - len(after) + 1  # segments that became one
    assert merged >= 2
    assert sum(after) == sum(before) + 1
    assert max(after) <= max(max(before), MERGE_DOCS)  # the large segments were left alone
    ix = store.open(store.current())
    with ix.searcher() as searcher:
        assert searcher.doc_count() == sum(before) + 1
        assert all(searcher.document_number(id=a["id"]) is not None for a in docs)


def test_few_segments_are_not_merged(sample_index, tmp_path):
    store = IndexStore(load_config(copy_index(sample_index, tmp_path)).path("index.path"))
    add_unmerged(store, [list(articles(5, prefix=f"s{i}", seed=i, sentences=1)) for i in range(3)])
    before = segment_sizes(store)
    write(store, [upsert_entry(Article.from_json({"id": "x", "title": "Tin", "body": "Nội dung."}))])
    assert segment_sizes(store) == sorted([*before, 1])


def test_a_reader_of_an_older_commit_still_reads_segments_a_write_merged_away(sample_index, tmp_path):
    store = IndexStore(load_config(copy_index(sample_index, tmp_path)).path("index.path"))
    for n in range(MERGE_ABOVE_SEGMENTS + 1):  # one segment per write, then merges begin
        write(store, [upsert_entry(Article(id=f"m{n}", title=f"Bài {n}", body=f"Nội dung thứ {n}."))])
    old = store.open().reader()  # a serving worker's view, its stored-fields columns not opened yet
    try:
        for n in range(MERGE_ABOVE_SEGMENTS + 1, 3 * MERGE_ABOVE_SEGMENTS):
            write(store, [upsert_entry(Article(id=f"m{n}", title=f"Bài {n}", body=f"Nội dung thứ {n}."))])
        assert len(store.open().reader().leaf_readers()) < MERGE_ABOVE_SEGMENTS  # merged meanwhile
        ids = {old.stored_fields(d)["id"] for d in old.all_doc_ids()}
        assert {f"m{n}" for n in range(MERGE_ABOVE_SEGMENTS + 1)} <= ids
    finally:
        old.close()


def test_a_build_with_two_processes_writes_one_segment_with_every_posting(tmp_path):
    # More than 200 records, so the build analyses them in two processes (index.build); Whoosh
    # merges their postings at the commit, and the index reads as one built in-process.
    from index.build import build
    from tests.conftest import write_config
    from tests.reliability import write_ndjson

    corpus = write_ndjson(tmp_path / "corpus.jsonl", articles(260, prefix="two", sentences=2))
    readers = {}
    for procs in (1, 2):
        directory = tmp_path / f"procs-{procs}"
        directory.mkdir()
        store = IndexStore(load_config(write_config(directory, index={"path": "index"})).path("index.path"))
        build(store, [corpus], procs=procs, progress=False)
        ix = store.open(store.current())
        assert len(ix._segments()) == 1
        readers[procs] = ix.reader()
    one, two = readers[1], readers[2]
    assert one.doc_count() == two.doc_count() == 260
    # The processes' shares come one after the other: the same articles, maybe in another order.
    ids = {procs: [r.stored_fields(d)["id"] for d in range(r.doc_count_all())] for procs, r in readers.items()}
    for field in ("body", "body_f", "title_f"):
        terms = list(one.lexicon(field))
        assert terms == list(two.lexicon(field))
        for term in terms[:: max(1, len(terms) // 40)]:
            postings = {procs: {} for procs in readers}
            for procs, reader in readers.items():
                matcher = reader.postings(field, term)
                while matcher.is_active():
                    postings[procs][ids[procs][matcher.id()]] = list(matcher.value_as("positions"))
                    matcher.next()
            assert postings[1] == postings[2], (field, term)
