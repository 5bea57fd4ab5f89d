"""The stored articles a page of results shows, kept per index view with their folded text.

A page of hits reads each article's stored fields (decompressed and unpickled)
and folds its summary, body and captions letter for letter to find what the
query matched.  Readers' searches return the same articles again and again
(seven in ten hits of the load benchmark's mix had been shown before), so the
recent ones are kept, bounded in bytes.  Document numbers change with
every commit, so the cache is emptied whenever the searcher's view changes.
"""

from __future__ import annotations

import sys
from typing import NamedTuple

from search.lru import ByteLRU
from search.snippets import fold_letters

MAX_BYTES = 16 << 20  # 1,000-1,500 news articles, folded copies included


class ShownArticle(NamedTuple):
    fields: dict  # as search.searcher._article_fields gives them
    texts: list[str]  # summary, body, captions (one per line): the snippet's parts, in order
    folded: list[str]  # the same, lower case and without diacritics, letter for letter
    size: int = 0  # bytes held, once kept


class ArticleCache:
    """Recently shown articles by document number, within a budget in bytes."""

    def __init__(self, max_bytes: int = MAX_BYTES):
        self.articles: ByteLRU[int, ShownArticle] = ByteLRU(max_bytes, lambda article: article.size, 1.0)

    def get(self, docnum: int, read) -> ShownArticle:
        """The article *docnum*, read with ``read(docnum)`` (its fields) when not kept."""
        found = self.articles.get(docnum)
        if found is None:
            fields = read(docnum)
            texts = [fields["summary"], fields["body"], "\n".join(fields["captions"])]
            found = ShownArticle(fields, texts, [fold_letters(text) for text in texts])
            found = found._replace(size=_size(found))
            self.articles.put(docnum, found)
        return found

    def __len__(self) -> int:
        return len(self.articles)


def _size(article: ShownArticle) -> int:
    """Bytes held: the texts (two bytes a character once a text has a Vietnamese letter)
    and the other fields, with their dictionary."""
    strings = [*article.texts, *article.folded, *(v for v in article.fields.values() if isinstance(v, str))]
    return sum(sys.getsizeof(text) for text in strings) + sys.getsizeof(article.fields)
