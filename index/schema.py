"""The Whoosh schema, and how an article becomes the fields of one index document.

Every text field (title, summary, body, captions, author) is indexed several ways:

* ``<field>``    accented canonical syllables, with positions; the original text
  is stored here for results and highlighting;
* ``<field>_f``  folded syllables, with positions (queries without diacritics);
* ``<field>_w``  pyvi words, frequencies only (a ranking signal);
* ``<field>_b``  breaks: one term at each syllable that follows a sentence end, a
  comma or a line (``index.analysis.BreakTokenizer``), so an exact phrase never
  matches across one.  An index without these views matches as before;
* ``<field>_p``  pairs of frequent folded syllables side by side (``dan van``),
  each at its second syllable's position (``index.analysis.PairFilter``; not for
  bylines), as Elasticsearch's ``index_phrases``: the ranking's phrase of two such
  syllables is one short list, and a longer phrase is chained from its pairs'
  positions instead of its syllables' long lists.  An index without these views
  finds phrases from the syllables' positions alone, with the same results (format
  4 and 5 pair views hold no positions: there they only narrow the articles looked in).

Facet and filter keys are precomputed at index time, because computing them at
query time over every match is what makes Whoosh facets slow: ``year``
(``2022`` or ``undated``), ``month`` (``2022-01``), ``day`` (``2022-01-13``),
``author_key``, ``source`` and ``category``.  ``ts`` (epoch seconds) sorts by
date.

Two columns serve ``python -m index sync`` (index/sync.py) and are never
searched: ``origin``, the source file an article was read from (empty for an
article written through the API), and ``digest``, a hash of the parsed article
(:meth:`Article.digest`), so an unchanged article is recognised without
analysing it again.
"""

from __future__ import annotations

import json

from whoosh import columns, fields

from index.analysis import (
    PairFilter,
    accented_analyzer,
    breaks_analyzer,
    canonical_syllable,
    folded_analyzer,
    normalize,
    pairs_analyzer,
    words_analyzer,
)
from index.article import TEXT_FIELDS, Article
from index.formats import Counts, VarintPositions
from index.impacts import ImpactField, ImpactParams

UNDATED = "undated"


class SyllableField(fields.TEXT):
    """A syllable view: positions for phrases, stored compactly."""

    def __init__(self, analyzer, stored: bool = False):
        super().__init__(analyzer=analyzer, phrase=True, stored=stored)
        self.format = VarintPositions()


class WordsField(fields.TEXT):
    """The pyvi word view: frequencies only (a ranking signal)."""

    def __init__(self, analyzer):
        super().__init__(analyzer=analyzer, phrase=False)
        self.format = Counts()


def build_schema(impacts: ImpactParams | None = None) -> fields.Schema:
    """The schema of a new index; *impacts*: what its impact views are computed with
    (index/impacts.py; the settings' defaults when None)."""
    accented, folded, words, breaks = accented_analyzer(), folded_analyzer(), words_analyzer(), breaks_analyzer()
    pairs = pairs_analyzer()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        published=fields.STORED(),
        ts=fields.NUMERIC(numtype=int, bits=64, signed=True, sortable=True),
        year=fields.ID(sortable=True),
        month=fields.ID(sortable=True),
        day=fields.ID(sortable=True),
        author_key=fields.ID(sortable=True),
        source=fields.ID(stored=True, sortable=True),
        category=fields.ID(stored=True, sortable=True),
        url=fields.STORED(),
        origin=fields.COLUMN(columns.VarBytesColumn()),
        digest=fields.COLUMN(columns.VarBytesColumn()),
        # What an export row needs, apart from the stored article: reading a whole stored article
        # (its body decompressed) for six short fields cost ~35-70 us a row, 7 s for 100,000 rows.
        # Indexes built before it have no such column; readers fall back to the stored fields.
        export=fields.COLUMN(columns.VarBytesColumn()),
    )
    for name in TEXT_FIELDS:
        schema.add(name, SyllableField(accented, stored=True))
        schema.add(f"{name}_f", SyllableField(folded))
        schema.add(f"{name}_b", SyllableField(breaks))
        if name != "author":  # a byline is a name, not words
            schema.add(f"{name}_w", WordsField(words))
            schema.add(f"{name}_p", SyllableField(pairs))
    params = impacts or ImpactParams.default()
    schema.add("impact", ImpactField(params, folded=False))
    schema.add("impact_f", ImpactField(params, folded=True))
    return schema


def indexed_pair_syllables(schema: fields.Schema) -> frozenset[str]:
    """The folded syllables whose pairs the index's pair views hold (empty: no pair views).
    The set is the one the index was built with: Whoosh keeps the analyzers in the schema."""
    if "body_p" not in schema:
        return frozenset()
    for item in getattr(schema["body_p"].analyzer, "items", ()):
        if isinstance(item, PairFilter):
            return item.syllables
    return frozenset()


def author_key(author: str) -> str:
    """The filter and facet key of a byline: canonical syllables, lower case."""
    return " ".join(canonical_syllable(s) for s in normalize(author).split())


def to_document(article: Article, origin: str = "") -> dict:
    """The Whoosh fields of *article*, read from the source file *origin* ("" when written directly)."""
    doc: dict = {
        "id": article.id,
        "origin": origin.encode("utf-8"),
        "digest": article.digest(),
        "published": article.published_iso,
        "source": article.source or "unknown",
        "url": article.url,
    }
    if article.category:
        doc["category"] = article.category
    if article.published is not None:
        doc["ts"] = int(article.published.timestamp())
        doc["year"] = f"{article.published:%Y}"
        doc["month"] = f"{article.published:%Y-%m}"
        doc["day"] = f"{article.published:%Y-%m-%d}"
    else:
        doc["year"] = UNDATED
    texts = article.texts()
    if any(texts.values()):
        doc["impact"] = doc["impact_f"] = tuple(texts.items())  # one object: split once for both
    for name, text in texts.items():
        if not text:
            continue
        doc[name] = text
        doc[f"{name}_f"] = text
        doc[f"{name}_b"] = text
        if name != "author":
            doc[f"{name}_w"] = text
            doc[f"{name}_p"] = text
    if article.author:
        doc["author_key"] = author_key(article.author)
    row = [doc["id"], doc["published"], article.title, article.author, doc["url"], doc["source"]]
    doc["export"] = json.dumps(row, ensure_ascii=False).encode("utf-8")
    return doc


EXPORT_FIELDS = ("id", "published", "title", "author", "url", "source")  # the order of the export column


def export_row(value: bytes) -> dict | None:
    """An export column value as a row, or None where the column has none (older segments)."""
    return dict(zip(EXPORT_FIELDS, json.loads(value), strict=True)) if value else None
