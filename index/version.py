"""The index format version: what a generation's files mean, checked whenever one is opened.

Every generation folder holds a ``FORMAT`` file with the version of the code
that created it.  A generation whose version is not :data:`FORMAT` (a folder
written before versions existed has no file: version 1) is refused with a
message to rebuild, never read with the wrong meaning.  Bump :data:`FORMAT`
whenever what is written changes meaning (schema, analysis, codec layout).

History: 1 (no file) the first format; 2 each article stores the source file
it came from (``origin``) and a hash of its parsed content (``digest``), for
``python -m index sync``, and each text field has a breaks view (``<field>_b``,
``index.analysis.BreakTokenizer``), so an exact phrase never matches across a
sentence end, a comma or a line.  Within 2, an ``export`` column (the six fields of an export row,
issue 18) is additive: a generation without it is read the same (export rows come from the stored
articles) and takes writes without it, so it needs no new number.  3: posting blocks are flat
little-endian arrays read without decoding (``index.codec.FLAT``) instead of deflated varints.
4: each text field but the byline has a pair view (``<field>_p``, index/schema.py).  A format-3
generation is still read (:data:`READABLE`): without pair views, phrases come from positions alone,
with the same results, and its schema (which writes keep) has none, so its new segments have none
either.  The number changed because the code before cannot open a generation with pair views (its
schema names ``index.analysis.PairFilter``): it refuses it with its message to rebuild instead.
5: two impact views (``impact``, ``impact_f``: index/impacts.py), each term's BM25F over the text
fields in a byte an article.  Formats 3 and 4 are still read: without impact views a search scores
from the field lists, as before.  The code before cannot open a generation with them (its schema
names ``index.impacts.ImpactField``) and refuses it with its message to rebuild.
6: the pair views keep positions (each pair at its second syllable's), so a phrase of three
syllables or more is chained from its pairs' lists.  Formats 3 to 5 are still read: their pair
views, without positions, narrow the articles a phrase is looked for in, as before.  The code
before refuses a format-6 generation by its number.
"""

from __future__ import annotations

from pathlib import Path

FORMAT = 6
READABLE = (3, 4, 5, 6)  # formats this version opens (see the history above)
READS = ", ".join(str(v) for v in READABLE[:-1]) + f" or {READABLE[-1]}"  # as messages name them
FORMAT_FILE = "FORMAT"


def write_format(folder: Path) -> None:
    """Record :data:`FORMAT` in a new generation *folder*."""
    (folder / FORMAT_FILE).write_text(f"{FORMAT}\n", encoding="ascii")


def read_format(folder: Path) -> int:
    """The format version of generation *folder* (1 when it predates versions, 0 when unreadable)."""
    try:
        text = (folder / FORMAT_FILE).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return 1
    except (OSError, UnicodeDecodeError):
        return 0
    return int(text) if text.isdigit() else 0
