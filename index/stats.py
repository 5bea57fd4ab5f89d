"""What an index holds: document count, date span, size on disk."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from index.schema import UNDATED
from index.store import IndexStore
from index.whoosh_adapter import segment_count


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
        # Every dated document has a "day" term; the lexicon is sorted, so its first and last
        # terms with a live document are the span.  A term stays in the lexicon after its
        # documents are deleted (until a merge drops them): its postings tell.
        days = [t.decode() if isinstance(t, bytes) else t for t in reader.lexicon("day")]
        days = [_first_live(reader, days), _first_live(reader, reversed(days))]
        days = [] if days[0] is None else days
        undated = _live_count(reader, "year", UNDATED)
        documents = reader.doc_count()
        segments = segment_count(ix)
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


def _first_live(reader, terms) -> str | None:
    """The first "day" of *terms* that a live (not deleted) document holds."""
    for term in terms:
        if _live_count(reader, "day", term, stop_at=1):
            return term
    return None


def _live_count(reader, field: str, term: str, stop_at: int | None = None) -> int:
    """Live documents holding *term* (``postings`` skips deleted ones; ``doc_frequency`` does not)."""
    if (field, term) not in reader:
        return 0
    found = 0
    for _ in reader.postings(field, term).all_ids():
        found += 1
        if found == stop_at:
            break
    return found
