"""What an index holds: document count, date span, size on disk."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from index.schema import UNDATED
from index.store import IndexStore


@dataclass
class IndexStats:
    generation: str
    documents: int
    undated: int
    first_day: str | None
    last_day: str | None
    segments: int
    size_bytes: int
    journal_bytes: int

    def as_dict(self) -> dict:
        return asdict(self)


def index_stats(store: IndexStore) -> IndexStats:
    name = store.current()
    ix = store.open(name)
    with ix.reader() as reader:
        # Every dated document has a "day" term; the lexicon is sorted, so its
        # first and last terms are the span (no pass over the documents).
        days = [t.decode() if isinstance(t, bytes) else t for t in reader.lexicon("day")]
        undated = reader.doc_frequency("year", UNDATED)
        documents = reader.doc_count()
        segments = len(ix._segments()) if hasattr(ix, "_segments") else 1
    return IndexStats(
        generation=name,
        documents=documents,
        undated=undated,
        first_day=days[0] if days else None,
        last_day=days[-1] if days else None,
        segments=segments,
        size_bytes=store.size_on_disk(name),
        journal_bytes=store.journal_size(),
    )
