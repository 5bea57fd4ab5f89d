"""Reading sources: the portal's text files and JSON Lines, broken records reported."""

import gzip
import json

from index.article import Article
from index.sources import Problem, expand, read_jsonl, read_portal_file, read_sources

from .conftest import SEED


def only_articles(items):
    return [i for i in items if isinstance(i, Article)]


def test_seed_file_parses_into_the_article():
    [article] = only_articles(read_portal_file(SEED))
    assert article.id == "000_2ebd19a772751180"
    assert article.title == "Hội nghị trực tuyến toàn quốc triển khai công tác Dân vận năm 2022"
    assert article.published_iso == "2022-01-13T14:23+07:00"
    assert article.author == "Huy Kiên"
    assert article.captions == [
        "Các đại biểu tham dự tại điểm cầu Hà Nội",
        "Phó Bí thư Thành ủy Nguyễn Văn Phong trình bày tham luận tại hội nghị",
    ]
    assert article.summary.startswith("Sáng 13/1, Ban Dân vận Trung ương tổ chức")
    assert article.source == "hnp"
    for furniture in ("Các bài mới đăng", "Viết bình luận", "Mã xác nhận", "Họ tên", "L?y l?i"):
        assert furniture not in article.body
        assert furniture not in article.summary
    for caption in article.captions:
        assert caption not in article.body
    assert "\u00a0" not in article.body
    assert article.body.startswith("Tham dự tại điểm cầu Hà Nội có đồng chí Nguyễn Văn Phong")
    assert article.body.endswith("cũng như việc xây dựng Đảng, chính quyền.")


def test_portal_file_without_time_is_indexed_undated_with_a_warning(tmp_path):
    path = tmp_path / "undated_1.txt"
    path.write_text("Tiêu đề không có giờ\n\nHNP - Đoạn mở đầu.\n\nThân bài.\n\nMinh An\n", encoding="utf-8")
    items = list(read_portal_file(path))
    [problem] = [i for i in items if isinstance(i, Problem)]
    assert not problem.skipped and "undated" in problem.message and str(path) in str(problem)
    [article] = only_articles(items)
    assert article.published is None and article.title == "Tiêu đề không có giờ"
    assert article.summary == "Đoạn mở đầu." and article.body == "Thân bài." and article.author == "Minh An"


def test_portal_file_with_bad_bytes_is_skipped_with_its_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes("Tiêu đề (10:00 01/02/2022)\n\nHNP - Mở đầu.\n".encode() + b"\xff\xfe broken\n")
    [problem] = list(read_portal_file(path))
    assert problem.skipped and problem.location == f"{path}:4" and "undecodable" in problem.message


def test_bad_bytes_in_the_page_furniture_are_tolerated(tmp_path):
    path = tmp_path / "furniture.txt"
    path.write_bytes("Tiêu đề (10:00 01/02/2022)\n\nHNP - Mở đầu.\n\nCác bài mới đăng\n".encode() + b"L\xff y\n")
    [article] = only_articles(read_portal_file(path))
    assert article.summary == "Mở đầu."


def test_jsonl_broken_records_are_reported_with_file_and_line(tmp_path):
    path = tmp_path / "mixed.jsonl.gz"
    good = {"id": "a1", "title": "Hà Nội", "body": "Nội dung.", "date": "2021-03-20", "captions": ["Ảnh"]}
    lines = [
        json.dumps(good, ensure_ascii=False).encode(),
        b"{not json",
        json.dumps({"title": "no id"}).encode(),
        json.dumps({"id": "empty", "title": " ", "body": ""}).encode(),
        b'{"id": "latin1", "body": "caf\xe9"}',
        json.dumps({"id": "bad/id", "body": "x"}).encode(),
        json.dumps({"id": 7, "body": "số bảy", "date": "yesterday"}).encode(),
        json.dumps(
            {"id": "a2", "body": "Thân bài", "date": "2022-01-13T14:23:00+07:00", "author": "Huy Kiên"}
        ).encode(),
    ]
    with gzip.open(path, "wb") as handle:
        handle.write(b"\n".join(lines) + b"\n")
    items = list(read_jsonl(path))
    articles = only_articles(items)
    problems = {p.location: p.message for p in items if isinstance(p, Problem)}
    assert [a.id for a in articles] == ["a1", "a2"]
    assert articles[0].published_iso == "2021-03-20" and articles[0].captions == ["Ảnh"]
    assert articles[0].source == "mixed"  # the file name, when records have no source
    assert articles[1].published_iso == "2022-01-13T14:23+07:00" and articles[1].author == "Huy Kiên"
    assert set(problems) == {f"{path}:{n}" for n in (2, 3, 4, 5, 6, 7)}
    assert "bad JSON" in problems[f"{path}:2"]
    assert "no id" in problems[f"{path}:3"]
    assert "no text" in problems[f"{path}:4"]
    assert "undecodable" in problems[f"{path}:5"]
    assert "bad id" in problems[f"{path}:6"]
    assert "bad date" in problems[f"{path}:7"]


def test_any_failure_of_one_record_is_skipped_with_file_and_line(tmp_path):
    path = tmp_path / "odd.jsonl"
    lines = [
        b'{"id": "deep", "body": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        json.dumps({"id": "late", "body": "x", "date": "9999-12-31T23:59-05:00"}).encode(),
        json.dumps({"id": "ok", "body": "Thân bài"}).encode(),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    items = list(read_jsonl(path))
    assert [a.id for a in only_articles(items)] == ["ok"]
    problems = {p.location: p.message for p in items if isinstance(p, Problem)}
    assert set(problems) == {f"{path}:1", f"{path}:2"}
    assert "RecursionError" in problems[f"{path}:1"] and "out of range" in problems[f"{path}:2"]


def test_truncated_gzip_keeps_what_was_read(tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    records = b"".join(json.dumps({"id": f"d{i}", "body": "x " * 200}).encode() + b"\n" for i in range(200))
    data = gzip.compress(records)
    path.write_bytes(data[: len(data) // 2])
    items = list(read_jsonl(path))
    assert 0 < len(only_articles(items)) < 200
    assert isinstance(items[-1], Problem) and "cannot read the rest" in items[-1].message


def test_folders_are_searched_recursively(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.txt").write_text("T (10:00 01/01/2020)\n\nHNP - Mở.\n", encoding="utf-8")
    (tmp_path / "a" / "y.jsonl").write_text('{"id": "y", "body": "b"}\n', encoding="utf-8")
    (tmp_path / "a" / "ignored.md").write_text("not a source", encoding="utf-8")
    assert [p.name for p in expand([tmp_path])] == ["x.txt", "y.jsonl"]
    assert sorted(a.id for a in only_articles(read_sources([tmp_path]))) == ["x", "y"]
