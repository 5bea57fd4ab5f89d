"""One object per index state: every memory tied to the document numbers of one commit.

Document numbers mean something within one commit of one generation only: a commit that
deletes or merges renumbers them.  So everything derived from them -- the view's term arrays
and BM25F (:class:`search.segments.IndexView`), the shown articles, walked texts, phrase keys,
document frequencies, restored readings -- hangs off one :class:`IndexState`, and keeping up
with the index is making a new one: the old state and all its caches go with their last
reference, and nothing is cleared by hand.  What depends on a segment alone (decoded posting
lists, field lengths, facet columns: :class:`search.segments.SegmentCache`) outlives states,
and whole results are keyed by the commit they were computed from (search/searcher.py).
Every cache here is a :class:`search.lru.ByteLRU` with its own budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from search.articles import ArticleCache
from search.lru import ByteLRU
from search.occurrences import TextCache, key_cache
from search.postings import ENTRY_BYTES
from search.segments import IndexView

KEYS_BYTES = 24 << 20  # phrase keys for keystrokes (16: suggestions' p90 8 % slower); a worker has 500 MB in all
FREQUENCIES_BYTES = 8 << 20  # document frequencies (~150 bytes each): 3 MB after 8,000 readers' rounds
READINGS_BYTES = 8 << 20  # restored stretches (a few hundred bytes each)


@dataclass
class IndexState:
    """What the searcher derives from one commit: Whoosh's searcher, its view, and their caches."""

    whoosh: object  # whoosh.searching.Searcher of this commit
    view: IndexView
    articles: ArticleCache = field(default_factory=ArticleCache)  # the stored articles of recent hits
    texts: TextCache = field(default_factory=TextCache)
    keys: ByteLRU = field(default_factory=lambda: key_cache(KEYS_BYTES))
    frequencies: ByteLRU = field(default_factory=lambda: ByteLRU(FREQUENCIES_BYTES, lambda _: 150))
    readings: ByteLRU = field(default_factory=lambda: ByteLRU(READINGS_BYTES, _reading_size))

    @cached_property
    def export_column(self):
        """The export column's reader (None for an index built before it), made once per commit:
        Whoosh reckons a column's offsets in Python when its segment holds under 32,768
        articles (``VarBytesColumn``'s cut-off), 1.5 ms on news-00 that every search's
        author facet paid, and so does every small segment a write adds."""
        whoosh = self.whoosh
        return whoosh.reader().column_reader("export") if "export" in whoosh.schema else None


def _reading_size(reading) -> int:
    return ENTRY_BYTES + 120 * len(reading.syllables)
