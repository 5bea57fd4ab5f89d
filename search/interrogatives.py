"""The question words of Vietnamese: which syllables of a reader's question ask rather than say.

A reader's question ("Nguyên nhân nào khiến cô bị trầm cảm?", "Ông Nhật nhập viện trong tình
trạng như thế nào?") holds words that ask -- *gì*, *nào*, *ai*, *đâu*, *như thế nào*, *bao
nhiêu*, *tại sao* -- beside the words its answer is about.  BM25F weighs a word by its rarity,
and question words are rarer than *là* or *của*: scored, they lift the articles that happen to
hold them, which are seldom the answer.  A question's question words still count towards the
share of its words an article must hold (what matches does not change); they only add nothing to
the score (``search/engine.py``).  Measured on the dev questions (BENCHMARKS.md): MRR@10 0.606 →
0.637 on news-00 and 0.505 → 0.536 on 100,000 articles.

A short question (``Bệnh Madelung là gì``, at most ``search.all_words_up_to`` words, which must all
be held) does not require its question words: the article it asks about seldom holds *gì*.  There
they still score, and the ranking rules still read them: a headline may hold them (``dòm gì thế``).
Ending in its question mark (``Trà xanh có tác dụng gì?``), it is asked as a long question is: a
share of its words (the article need not write *có*), ranked by relevance and its passages.

They are found on the syllables as written with diacritics (typed so, or the restored reading of
a question typed without them), never on folded ones: folded, *nào* is also *não* (brain), *đâu*
also *đầu* (head), *bao* also *báo* (newspaper).  *sao*, *thế*, *bao*, *khi* ask only within the
expressions below (*ngôi sao*, *thế giới*, *bao gồm* do not).
"""

from __future__ import annotations

from index.analysis import canonical_syllable

# Words that ask wherever they stand in a question.
ALONE = frozenset(canonical_syllable(s) for s in ("gì", "nào", "ai", "đâu", "mấy"))
# Expressions that ask, every syllable of them.
EXPRESSIONS = tuple(
    tuple(canonical_syllable(s) for s in expression.split())
    for expression in (
        "như thế nào",
        "thế nào",
        "ra sao",
        "vì sao",
        "tại sao",
        "bao nhiêu",
        "bao giờ",
        "bao lâu",
        "khi nào",
        "lúc nào",
    )
)


def asking(syllables: list[str]) -> set[int]:
    """Positions of the syllables of *syllables* (with diacritics, any case) that ask."""
    lower = [s.lower() for s in syllables]
    found = {i for i, s in enumerate(lower) if s in ALONE}
    for expression in EXPRESSIONS:
        size = len(expression)
        for start in range(len(lower) - size + 1):
            if tuple(lower[start : start + size]) == expression:
                found.update(range(start, start + size))
    return found
