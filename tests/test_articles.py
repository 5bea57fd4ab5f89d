"""The stored articles kept for pages of hits (search/articles.py)."""

from __future__ import annotations

from search.articles import ArticleCache
from search.snippets import fold_letters


def article(number: int, body: str = "Công tác dân vận ở Hà Nội.") -> dict:
    return {"id": f"a{number}", "title": f"Bài {number}", "summary": "Tóm tắt", "body": body, "captions": ["Ảnh"]}


def test_an_article_is_read_once_and_its_folded_text_is_the_snippets_folding():
    reads = []

    def read(number: int) -> dict:
        reads.append(number)
        return article(number)

    cache = ArticleCache()
    shown = cache.get(3, read)
    assert cache.get(3, read) is shown and reads == [3]
    assert shown.texts == ["Tóm tắt", "Công tác dân vận ở Hà Nội.", "Ảnh"]
    assert (
        shown.folded == [fold_letters(text) for text in shown.texts] == ["tom tat", "cong tac dan van o ha noi.", "anh"]
    )


def test_the_least_recently_shown_go_first_within_the_byte_budget():
    sized = ArticleCache()
    sized.get(0, lambda n: article(n, "x" * 1000))
    each = sized.articles.bytes
    cache = ArticleCache(max_bytes=3 * each)
    for number in range(3):
        cache.get(number, lambda n: article(n, "x" * 1000))
    cache.get(0, lambda n: article(n, "x" * 1000))  # 0 is now the most recent
    cache.get(3, lambda n: article(n, "x" * 1000))  # over budget: 1 goes
    assert len(cache) == 3 and cache.articles.bytes <= cache.articles.max_bytes
    reads = []
    for number in (0, 2, 3, 1):
        cache.get(number, lambda n: reads.append(n) or article(n, "x" * 1000))
    assert reads == [1]  # only 1 had gone
