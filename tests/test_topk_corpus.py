"""Issue 16: a page sorted only as far as it needs is the start of the full sort, on real queries.

A page of results is not the head of a full sort of every match: :class:`search.ranking.Ranking`
keeps the matches whose leading key (tier and score, or date) is within the first few, found
by a sampled selection (:func:`search.ranking.kth_smallest`), and sorts only those.  An export
sorts every match.  Here both are asked the same query on news-00 -- words common enough that
thousands of articles match, so the page takes the short way -- and must agree on every
article of the first page, ties and the question's second stage included.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from index.analysis import fold
from index.settings import load_config
from search.ranking import FULL_SORT_BELOW
from search.searcher import Searcher
from tests.conftest import CORPUS_00

pytestmark = pytest.mark.corpus
_WORD = re.compile(r"[^\W\d_]+")


@pytest.fixture(scope="module")
def searcher(corpus_index):
    return Searcher(load_config(corpus_index))


@pytest.fixture(scope="module")
def common_words() -> list[str]:
    """The 40 words found in the most articles of news-00 (titles, leads and bodies, lower case):
    each is in thousands of them, so any one of them matches more than the short way's threshold."""
    held: Counter[str] = Counter()
    with gzip.open(CORPUS_00, "rt", encoding="utf-8") as lines:
        for line in lines:
            article = json.loads(line)
            text = " ".join(str(article.get(field) or "") for field in ("title", "summary", "body")).lower()
            held.update(set(_WORD.findall(text)))
    return [word for word, _ in held.most_common(40)]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_first_page_is_the_start_of_the_full_order(searcher, common_words, data):
    # One to three common words (a reader's short query), or eight (a question: a fair share of
    # them must match, and its first articles are re-scored by the passage stage).
    size = data.draw(st.sampled_from([1, 2, 3, 8]), label="words")
    words = data.draw(st.lists(st.sampled_from(common_words), min_size=size, max_size=size), label="query")
    typed = " ".join(fold(word) for word in words) if data.draw(st.booleans(), label="folded") else " ".join(words)
    sort = data.draw(st.sampled_from(["relevance", "newest"]), label="sort")
    page = searcher.search(typed, sort=sort, per_page=10, verbatim=True, highlight=False)
    assume(page.total >= FULL_SORT_BELOW)  # the page's short way, not the whole sort
    whole = [row["id"] for row in itertools.islice(searcher.export(typed, sort=sort), 10)]
    assert [hit.id for hit in page.hits] == whole, typed
