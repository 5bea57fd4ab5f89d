"""Merging segments on the write path, a bounded amount per commit.

Every commit of a write adds a segment, and searches pay per segment, so commits
merge small segments together.  A merge costs about as much per document as
indexing the document again, and Whoosh's own policy (``MERGE_SMALL``) merged up
to 2,000 documents in one commit: 15 s with readers busy, which every write queued
behind it waited for.  :func:`merge_few` merges only once there are more than
:data:`MERGE_ABOVE_SEGMENTS` segments, and then only the smallest, up to
:data:`MERGE_DOCS` documents; the budget doubles with each further segment, so
many large bulk writes still end up in a bounded number of segments (with a rare
large merge), and a full build compacts everything.
"""

from __future__ import annotations

from whoosh.reading import SegmentReader

MERGE_ABOVE_SEGMENTS = 16
MERGE_DOCS = 200


def merge_few(writer, segments: list) -> list:
    """Whoosh merge policy of writes: merge a bounded number of documents of the smallest segments."""
    if len(segments) <= MERGE_ABOVE_SEGMENTS:
        return segments
    budget = MERGE_DOCS << min(30, len(segments) - MERGE_ABOVE_SEGMENTS - 1)
    chosen, documents = [], 0
    for segment in sorted(segments, key=lambda s: s.doc_count_all()):
        if chosen and documents + segment.doc_count_all() > budget:
            break
        chosen.append(segment)
        documents += segment.doc_count_all()
    if len(chosen) < 2:
        return segments
    for segment in chosen:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [segment for segment in segments if segment not in chosen]
