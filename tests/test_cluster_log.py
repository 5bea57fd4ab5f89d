"""Cluster mode without servers: the log of record in a real PostgreSQL, the follower applying it to
a real index, snapshots, rebuilds from the database (tests/cluster.py starts PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from index.article import Article
from index.changelog import ChangeLog, DatabaseUnavailable, check_url
from index.follower import Follower, rebuild
from index.snapshot import newest, restore, take
from index.store import IndexStore
from index.writer import delete_entry, upsert_entry
from search.searcher import Searcher
from tests.cluster import running_postgres
from tests.conftest import ROOT, write_config

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def postgres():
    with running_postgres() as pg:
        yield pg


@pytest.fixture
def database(postgres, request):
    return postgres.new_database("t_" + request.node.name.lower()[:40])


def article(n: int, text: str = "") -> dict:
    return upsert_entry(
        Article.from_json(
            {"id": f"a{n}", "title": f"Tin số {n}", "body": text or f"Hà Nội đón mưa lớn, bài thứ {n} của thử nghiệm."}
        )
    )


def config_for(tmp_path, url: str, **cluster) -> object:
    from index.settings import load_config

    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_config(
        tmp_path, index={"path": str(tmp_path / "index"), "procs": 1}, cluster={"database_url": url, **cluster}
    )
    return load_config(path)


def ids(config) -> set[str]:
    searcher = Searcher(config)
    return {h["id"] for h in searcher.search("", per_page=100).as_dict()["hits"]}


def test_appends_are_numbered_without_gaps_in_commit_order_under_concurrency(database):
    log = ChangeLog(database)
    seqs: list[int] = []

    def writer(w: int) -> None:
        own = ChangeLog(database)
        for i in range(25):
            seqs.append(own.append([article(w * 100 + i), article(w * 100 + i + 50)]).seq)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    changes = log.changes_after(0, 10_000)
    assert [s for s, _ in changes] == list(range(1, 401))
    assert sorted(seqs) == list(range(2, 401, 2))  # each append's last number
    result = log.append([delete_entry("a0"), delete_entry("nope")])
    assert (result.deleted, result.missing, result.seq) == (1, ["nope"], 401)


def test_a_password_in_the_url_is_refused():
    with pytest.raises(ValueError, match="PGPASSWORD"):
        check_url("postgresql://hnp:secret@db/hnp")
    assert check_url("postgresql://hnp@db/hnp")


def test_an_unreachable_database_is_a_clear_error():
    with pytest.raises(DatabaseUnavailable, match="unreachable"):
        ChangeLog("postgresql://hnp@127.0.0.1:1/hnp").append([article(1)])


def test_the_follower_applies_in_order_resumes_from_its_sequence_and_rebuilds_lose_nothing(tmp_path, database):
    config = config_for(tmp_path, database, batch=7)
    store = IndexStore(config.path("index.path"))
    log = ChangeLog(database)
    log.append([article(n) for n in range(20)])
    log.append([delete_entry("a3"), article(4, "Đà Nẵng thay bài bốn")])
    follower = Follower(store, log, batch=7)
    while follower.step():
        pass
    assert store.applied_seq() == 22
    assert ids(config) == {f"a{n}" for n in range(20)} - {"a3"}
    # A restart resumes from the sequence recorded in the index: only what came after is fetched.
    log.append([article(30)])
    assert Follower(store, log, batch=7).step() == 1
    assert store.applied_seq() == 23 and "a30" in ids(config)
    # A rebuild reads the table, then applies what was committed meanwhile, and goes live at the head.
    report = rebuild(store, log, procs=1)
    assert (report.indexed, report.read_at, report.seq) == (20, 23, 23)
    assert store.applied_seq() == 23 and ids(config) == {f"a{n}" for n in range(20)} - {"a3"} | {"a30"}
    found = Searcher(config).search("Đà Nẵng").as_dict()["hits"]
    assert [h["id"] for h in found] == ["a4"]


def test_a_node_joins_from_the_newest_snapshot_and_follows_from_its_sequence(tmp_path, database):
    config = config_for(tmp_path / "one", database)
    store = IndexStore(config.path("index.path"))
    log = ChangeLog(database)
    log.append([article(n) for n in range(10)])
    Follower(store, log).step()
    take(store, tmp_path / "snaps")
    log.append([article(10), delete_entry("a0")])
    Follower(store, log).step()
    path, seq = take(store, tmp_path / "snaps")
    assert seq == 12 and newest(tmp_path / "snaps") == path
    log.append([article(11)])
    joined = config_for(tmp_path / "two", database, snapshots=str(tmp_path / "snaps"))
    joined_store = IndexStore(joined.path("index.path"))
    follower = Follower(joined_store, log, snapshots=tmp_path / "snaps")
    follower._join()
    assert joined_store.applied_seq() == 12
    assert follower.step() == 1  # only the change after the snapshot
    assert ids(joined) == {f"a{n}" for n in range(1, 12)}
    with pytest.raises(ValueError, match="past the snapshot"):
        restore(joined_store, newest(tmp_path / "snaps"))


def test_index_add_and_delete_write_to_the_log_in_cluster_mode(tmp_path, database):
    config = config_for(tmp_path, database)
    run = [sys.executable, "-m", "index"]
    added = subprocess.run(
        [*run, "add", "--quiet", "--config", str(config.source), str(ROOT / "data" / "sample")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert added.returncode == 0, added.stderr
    assert "added or replaced 25 documents, 0 skipped (log sequence 25)" in added.stdout
    deleted = subprocess.run(
        [*run, "delete", "--config", str(config.source), "000_2ebd19a772751180"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert deleted.returncode == 0, deleted.stderr
    assert "deleted 1 documents (log sequence 26)" in deleted.stdout
    assert not IndexStore(config.path("index.path")).exists()  # the log has it; the follower applies it
    built = subprocess.run([*run, "build", "--config", str(config.source)], capture_output=True, text=True, cwd=ROOT)
    assert built.returncode == 0, built.stderr
    assert "24 documents read at log sequence 26" in built.stdout
    assert len(ids(config)) == 24


def test_a_rebuild_while_writes_and_the_follower_go_on_loses_nothing(tmp_path, database):
    config = config_for(tmp_path, database, batch=20)
    store = IndexStore(config.path("index.path"))
    log = ChangeLog(database)
    log.append([article(n) for n in range(300)])
    follower = Follower(store, log, batch=20, poll_seconds=0.05)
    following = threading.Thread(target=follower.run)
    following.start()
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        own = ChangeLog(database)
        n = 1000
        while not stop.is_set():
            entries = [article(n), delete_entry(f"a{n - 1000}")] if n % 3 == 0 else [article(n)]
            written.append(own.append(entries).seq)
            n += 1

    writing = threading.Thread(target=writer)
    writing.start()
    try:
        report = rebuild(store, log, procs=1, batch=20)
    finally:
        stop.set()
        writing.join()
    try:
        head = max(written)
        assert report.read_at < head and report.seq >= report.read_at  # writes came during the build
        while store.applied_seq() < head:
            assert following.is_alive()
            follower._stop.wait(0.05)
    finally:
        follower.stop()
        following.join()
    expected = {row[0]["id"] for row in log.articles()[2]}
    assert ids_all(config) == expected


def ids_all(config) -> set[str]:
    with IndexStore(config.path("index.path")).open().searcher() as s:
        return {fields["id"] for fields in s.all_stored_fields()}


def test_a_reader_of_an_older_commit_still_reads_segments_the_follower_merged_away(tmp_path):
    from index.writer import apply_log

    config = config_for(tmp_path, "")
    store = IndexStore(config.path("index.path"))
    seq = 0
    for n in range(17):  # one segment per commit: the 17th commit is the first to merge (index/merging.py)
        seq += 1
        apply_log(store, [(seq, article(n))])
    old = store.open().reader()  # a serving worker's view, its stored-fields columns not opened yet
    try:
        for n in range(17, 40):
            seq += 1
            apply_log(store, [(seq, article(n))])
        assert len(list(store.open().reader().all_doc_ids())) == 40
        assert {old.stored_fields(d)["id"] for d in old.all_doc_ids()} == {f"a{n}" for n in range(17)}
    finally:
        old.close()
