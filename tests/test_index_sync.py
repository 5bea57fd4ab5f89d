"""``python -m index sync``: only the difference is written; what it keeps; --dry-run; --watch; index formats."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator

from falcon import testing

from api.app import create_app
from index.settings import load_config
from index.version import FORMAT_FILE

from .conftest import ROOT, write_config
from .test_index_cli import ids_in, run, store_of, write_jsonl

KEY = "test-key-" + "s" * 24
SUMMARY_NOTHING = "added 0, replaced 0, deleted 0, unchanged"


def stored(config, doc_id: str) -> dict:
    with store_of(config).open().searcher() as searcher:
        return searcher.document(id=doc_id)


def journal(config) -> list[dict]:
    return list(store_of(config).journal_entries())


def archive(tmp_path):
    """A portal folder of five sample pages and a JSON Lines file of three records, built."""
    folder = tmp_path / "archive"
    folder.mkdir()
    pages = sorted((ROOT / "data" / "sample").glob("*.txt"))[:5]
    for page in pages:
        shutil.copy(page, folder)
    records = [{"id": f"j{i}", "title": f"Tin số {i}", "body": f"Nội dung bài {i} ở Hà Nội."} for i in range(3)]
    write_jsonl(folder / "feed.jsonl", records)
    config = write_config(
        tmp_path, index={"path": str(tmp_path / "index"), "procs": 1, "sources": [str(folder)]}, api={"keys": [KEY]}
    )
    built = run("build", "--quiet", config=config)
    assert built.returncode == 0, built.stderr
    return folder, config, [p.stem for p in pages], records


def test_sync_writes_exactly_the_added_edited_and_deleted_files_then_nothing(tmp_path):
    folder, config, pages, _ = archive(tmp_path)
    before = len(journal(config))
    shutil.copy(folder / f"{pages[0]}.txt", folder / "moi-them.txt")  # a new page
    edited = folder / f"{pages[1]}.txt"
    edited.write_text(edited.read_text(encoding="utf-8").replace("\n", "\nMột đoạn mới được thêm vào.\n", 1))
    (folder / f"{pages[2]}.txt").unlink()

    result = run("sync", "--quiet", config=config)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("added 1, replaced 1, deleted 1, unchanged 6, skipped 0"), result.stdout
    assert ids_in(config) == {*pages, "moi-them", "j0", "j1", "j2"} - {pages[2]}
    assert "Một đoạn mới được thêm vào." in stored(config, pages[1])["body"]
    # Through the journal, as `add` and the API write: a rebuild replays them.
    written = journal(config)[before:]
    assert sorted((e["op"], e.get("id") or e["article"]["id"]) for e in written) == sorted(
        [("upsert", "moi-them"), ("upsert", pages[1]), ("delete", pages[2])]
    )

    again = run("sync", "--quiet", config=config)
    assert again.returncode == 0 and again.stdout.startswith(SUMMARY_NOTHING + " 8, skipped 0"), again.stdout
    assert len(journal(config)) == before + 3  # nothing written


def test_json_lines_records_are_the_unit_and_same_content_respelled_is_unchanged(tmp_path):
    folder, config, _, records = archive(tmp_path)
    respelled = [{**records[0], "body": "  " + records[0]["body"] + "  "}]  # same article once parsed
    changed = [{**records[1], "title": "Tin số 1 đã sửa"}]
    write_jsonl(folder / "feed.jsonl", [*respelled, *changed, {"id": "j9", "body": "Bài mới."}])  # j2 left out

    result = run("sync", "--quiet", config=config)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("added 1, replaced 1, deleted 1, unchanged 6"), result.stdout
    assert stored(config, "j1")["title"] == "Tin số 1 đã sửa"
    assert "j2" not in ids_in(config) and "j9" in ids_in(config)


def test_articles_written_through_the_api_or_from_other_sources_survive(tmp_path):
    folder, config, pages, _ = archive(tmp_path)
    client = testing.TestClient(create_app(load_config(config), environ={}))
    put = client.simulate_put(
        "/api/documents/api-1",
        json={"title": "Bài viết qua API", "body": "Không có tệp nguồn."},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert put.status_code == 200, put.text
    elsewhere = write_jsonl(tmp_path / "elsewhere.jsonl", [{"id": "other-1", "body": "Từ nơi khác."}])
    assert run("add", str(elsewhere), "--quiet", config=config).returncode == 0
    (folder / f"{pages[0]}.txt").unlink()

    result = run("sync", "--quiet", config=config)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("added 0, replaced 0, deleted 1, unchanged 7"), result.stdout
    assert {"api-1", "other-1"} <= ids_in(config)
    assert pages[0] not in ids_in(config)


def test_a_broken_file_is_reported_with_its_line_and_the_rest_is_applied(tmp_path):
    folder, config, pages, records = archive(tmp_path)
    (folder / "hong.txt").write_bytes("Tiêu đề\nHNP - Đoạn mở đầu.\n".encode() + b"\xff\xfe\n")
    # A JSON Lines file with a broken line: its records that are not read are not deleted either.
    write_jsonl(folder / "feed.jsonl", records[:2])
    with open(folder / "feed.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"id": "j2", "body": \n')
    shutil.copy(folder / f"{pages[0]}.txt", folder / "moi-them.txt")

    result = run("sync", "--quiet", config=config)
    assert result.returncode == 3, result.stderr  # as `build`: done, but some records were skipped
    assert result.stdout.startswith("added 1, replaced 0, deleted 0, unchanged 7, skipped 2"), result.stdout
    assert f"{folder / 'hong.txt'}:3: skipped: undecodable bytes" in result.stderr
    assert f"{folder / 'feed.jsonl'}:3: skipped: bad JSON" in result.stderr
    assert {"moi-them", "j2"} <= ids_in(config)


def test_dry_run_writes_nothing(tmp_path):
    folder, config, pages, _ = archive(tmp_path)
    shutil.copy(folder / f"{pages[0]}.txt", folder / "moi-them.txt")
    (folder / f"{pages[1]}.txt").unlink()
    generation_files = sorted(p.name for p in (store_of(config).path / store_of(config).current()).iterdir())
    before = (ids_in(config), len(journal(config)), generation_files)

    result = run("sync", "--dry-run", "--quiet", config=config)
    assert result.returncode == 0, result.stderr
    assert "added 1, replaced 0, deleted 1, unchanged 7, skipped 0 (dry run: nothing written)" in result.stdout
    live = store_of(config)
    assert (ids_in(config), len(journal(config)), sorted(p.name for p in (live.path / live.current()).iterdir())) == (
        before
    )


def test_a_rebuild_keeps_what_sync_wrote(tmp_path):
    folder, config, pages, _ = archive(tmp_path)
    elsewhere = write_jsonl(tmp_path / "elsewhere.jsonl", [{"id": "other-1", "body": "Từ nơi khác."}])
    assert run("add", str(elsewhere), "--quiet", config=config).returncode == 0
    (folder / f"{pages[0]}.txt").unlink()
    assert run("sync", "--quiet", config=config).returncode == 0
    rebuilt = run("build", "--quiet", config=config)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "other-1" in ids_in(config) and pages[0] not in ids_in(config)
    # The replayed writes keep their origins: nothing looks changed afterwards.
    assert run("sync", "--quiet", config=config).stdout.startswith(SUMMARY_NOTHING + " 7, skipped 0")


@contextlib.contextmanager
def watching(config) -> Iterator[subprocess.Popen]:
    """``python -m index sync --watch 0.2`` on *config*, killed if a test leaves it running."""
    watcher = subprocess.Popen(
        [sys.executable, "-m", "index", "sync", "--watch", "0.2", "--quiet", "--config", str(config)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield watcher
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()


def test_watch_syncs_each_round_and_stops_cleanly_on_sigterm(tmp_path):
    folder, config, pages, _ = archive(tmp_path)
    with watching(config) as watcher:
        assert watcher.stdout.readline().startswith(SUMMARY_NOTHING + " 8")  # the first round is done
        # Whole or not at all (a rename), as a scraper should write: a round never sees half a page.
        os.replace(shutil.copy(folder / f"{pages[0]}.txt", tmp_path / "moi-them.txt"), folder / "moi-them.txt")
        line = watcher.stdout.readline()
        while line.startswith(SUMMARY_NOTHING):  # rounds before the copy was seen
            line = watcher.stdout.readline()
        assert line.startswith("added 1, replaced 0, deleted 0, unchanged 8"), line
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=120)
    assert watcher.returncode == 0, err
    assert out.rstrip().endswith("stopped: the index holds every sync reported above"), out
    assert "moi-them" in ids_in(config)
    assert "Traceback" not in err


def test_a_watch_outlives_a_failed_round(tmp_path):
    folder, config, _, _ = archive(tmp_path)
    moved = tmp_path / "moved"
    folder.rename(moved)  # the archive's disk is not mounted yet, say
    with watching(config) as watcher:
        assert "no such file or folder; trying again" in watcher.stderr.readline()
        moved.rename(folder)
        assert watcher.stdout.readline().startswith(SUMMARY_NOTHING + " 8")  # and nothing deleted
        watcher.send_signal(signal.SIGINT)
        out, err = watcher.communicate(timeout=120)
    assert watcher.returncode == 0, err
    assert out.rstrip().endswith("stopped: the index holds every sync reported above"), out


def test_sync_is_no_first_build(tmp_path, tmp_config):
    folder = tmp_path / "archive"
    shutil.copytree(ROOT / "data" / "sample", folder)
    result = run("sync", str(folder), config=tmp_config)
    assert result.returncode == 1 and "run `python -m index build` first" in result.stderr
    assert not store_of(tmp_config).journal_file.exists()


def test_watch_needs_a_positive_interval(tmp_path):
    _, config, _, _ = archive(tmp_path)
    result = run("sync", "--watch", "0", config=config)
    assert result.returncode == 2 and "positive" in result.stderr


def test_an_index_of_an_older_format_is_refused_until_rebuilt(tmp_path):
    _, config, _, _ = archive(tmp_path)
    live = store_of(config)
    (live.path / live.current() / FORMAT_FILE).unlink()  # as the code before format versions wrote it

    for command in (["sync"], ["stats"]):
        refused = run(*command, config=config)
        assert refused.returncode == 1, refused.stdout
        assert "format 1" in refused.stderr and "python -m index build" in refused.stderr
    searched = subprocess.run(
        [sys.executable, "-m", "search", "--config", str(config), "Hà Nội"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert searched.returncode != 0 and "python -m index build" in searched.stderr
    health = testing.TestClient(create_app(load_config(config), environ={})).simulate_get("/api/health")
    assert health.status_code == 503 and "python -m index build" in json.dumps(health.json)

    rebuilt = run("build", "--quiet", config=config)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert run("sync", "--quiet", config=config).stdout.startswith(SUMMARY_NOTHING + " 8")
