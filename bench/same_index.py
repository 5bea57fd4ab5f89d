"""Whether two indexes of the same articles hold the same postings, lengths and stored fields.

    .venv/bin/python bench/same_index.py OLD_INDEX_DIR NEW_INDEX_DIR            # every term
    .venv/bin/python bench/same_index.py OLD_INDEX_DIR NEW_INDEX_DIR --every 10 # every 10th

A change to how an index is written (index/joining.py) must not change what it holds.  Two
builds number the articles in their own order (a build's processes take the files as they come),
so postings are compared by article id: for every field, the same terms; for each term
(or every n-th), the same document frequency and total frequency, and for each article the same
frequency and positions; for every 7th article, every field's length and the stored fields; and
every field's total length.  Exits 1 at the first difference, naming it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.store import IndexStore  # noqa: E402 - after the path is set


def _reader(directory: str):
    store = IndexStore(Path(directory))
    return store.open(store.current()).reader()


def _postings(reader, ids: list[str], field: str, term: bytes) -> dict[str, tuple]:
    found = {}
    matcher = reader.postings(field, term)
    while matcher.is_active():
        found[ids[matcher.id()]] = (matcher.weight(), matcher.value())
        matcher.next()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("old", help="an index directory (holding CURRENT)")
    parser.add_argument("new", help="another, of the same articles")
    parser.add_argument("--every", type=int, default=1, help="compare every n-th term of each field")
    args = parser.parse_args()
    started = time.perf_counter()
    old, new = _reader(args.old), _reader(args.new)
    ids = [[r.stored_fields(d)["id"] for d in range(r.doc_count_all())] for r in (old, new)]
    if sorted(ids[0]) != sorted(ids[1]):
        print("the indexes hold different articles")
        return 1
    where = {article: number for number, article in enumerate(ids[1])}
    terms = postings = 0
    for field in sorted(old.indexed_field_names()):
        lexicon = list(old.lexicon(field))
        if list(new.lexicon(field)) != lexicon:
            print(f"{field}: different terms")
            return 1
        for term in lexicon[:: args.every]:
            if (old.doc_frequency(field, term), old.frequency(field, term)) != (
                new.doc_frequency(field, term),
                new.frequency(field, term),
            ):
                print(f"{field} {term!r}: different frequencies")
                return 1
            found = _postings(old, ids[0], field, term)
            if _postings(new, ids[1], field, term) != found:
                print(f"{field} {term!r}: different postings")
                return 1
            terms += 1
            postings += len(found)
        if old.field_length(field) != new.field_length(field):
            print(f"{field}: different total length")
            return 1
    for number in range(0, len(ids[0]), 7):
        other = where[ids[0][number]]
        for field in old.indexed_field_names():
            if old.doc_field_length(number, field) != new.doc_field_length(other, field):
                print(f"{ids[0][number]}: a different length of {field}")
                return 1
        if old.stored_fields(number) != new.stored_fields(other):
            print(f"{ids[0][number]}: different stored fields")
            return 1
    print(
        f"the same: {terms:,} terms of {len(old.indexed_field_names())} fields (every {args.every}), "
        f"{postings:,} postings, {len(ids[0]):,} articles; {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
