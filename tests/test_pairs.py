"""The pair views (``<field>_p``, index/analysis.py PairFilter) find exactly the phrases positions find:
chained from their own positions (format 6), or narrowing where syllables' positions are read."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.analysis import PairFilter, SyllableTokenizer, folded_syllables, pair_syllables, pairs_analyzer


def test_a_pair_is_each_frequent_folded_syllable_with_the_next():
    assert {"dan", "van", "ha", "noi", "nguyen"} <= pair_syllables() and "kheo" not in pair_syllables()
    assert [t.text for t in pairs_analyzer()("Dân vận khéo, Hà Nội")] == ["dan van", "ha noi"]
    assert [t.text for t in pairs_analyzer()("Một")] == []
    every = SyllableTokenizer() | PairFilter(frozenset({"a", "b", "c"}))
    assert [t.text for t in every("a b c b x a a")] == ["a b", "b c", "c b", "a a"]


def test_an_index_keeps_the_pair_syllables_it_was_built_with(sample_index):
    from index.schema import indexed_pair_syllables
    from index.settings import load_config
    from search.searcher import Searcher

    searcher = Searcher(load_config(sample_index))
    searcher.search("")
    assert indexed_pair_syllables(searcher._refresh().searcher.schema) == pair_syllables()


@pytest.fixture(scope="module")
def views(sample_index):
    """Three searchers on the sample: its pair views chaining phrases from their positions
    (format 6), the same pair views only narrowing where positions are read (as those of
    formats 4 and 5, without positions), and no pair views at all (format 3)."""
    from index.settings import load_config
    from search.searcher import Searcher

    # No remembered results: the three would share them (the shared cache is keyed by the index).
    # The proximity signal on (off by default): its adjacent pairs are read through the pair views too.
    config = load_config(sample_index).with_overrides(
        search__result_cache=0, search__shared_result_cache=0, search__proximity_weight=1.0
    )
    chained, narrowing, without = (Searcher(config) for _ in range(3))
    for searcher in (chained, narrowing, without):
        searcher.search("")
    assert {"title_p", "body_p"} <= chained._refresh().fields and chained._refresh().pair_positions
    narrowing._refresh().pair_positions = False  # as an index whose pair views hold no positions
    plain = without._refresh()
    plain.fields = frozenset(f for f in plain.fields if not f.endswith("_p"))  # as an index without them
    texts = [chained._refresh().searcher.stored_fields(d).get("body", "") for d in range(plain.size)]
    return (chained, narrowing, without), [folded_syllables(t) for t in texts if t]


def test_a_phrase_is_chained_from_its_pairs_where_they_hold_it(views):
    (chained, _, _), _ = views
    view = chained._refresh()
    assert view.pair_cover("body_f", ["nguyen", "van", "phong"]) == [
        (1, ("body_p", "nguyen van")),
        (2, ("body_p", "van phong")),
    ]
    assert view.pair_cover("title_f", ["cong", "tac", "dan", "van"]) == [
        (1, ("title_p", "cong tac")),
        (3, ("title_p", "dan van")),
    ]
    assert "kheo" not in view.pair_syllables
    assert view.pair_cover("body_f", ["dan", "van", "kheo"]) == [(1, ("body_p", "dan van")), (2, ("body_f", "kheo"))]
    assert view.pair_cover("body_f", ["kheo", "kheo"]) == []  # no pair held: the syllables' own lists
    assert view.pair_cover("body", ["dân", "vận"]) == []  # accented: no pair view


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_phrase_counts_with_pairs_are_those_from_positions(views, data):
    from search.engine import Evaluator

    searchers, bodies = views
    body = data.draw(st.sampled_from(bodies))
    start = data.draw(st.integers(0, max(0, len(body) - 2)))
    length = data.draw(st.integers(2, 4))
    terms = body[start : start + length]
    if data.draw(st.booleans()):  # and phrases nobody wrote
        terms = [*terms[:1], data.draw(st.sampled_from(data.draw(st.sampled_from(bodies))))]
    if len(terms) < 2:
        return
    unbroken = data.draw(st.booleans())
    found = []
    for searcher in searchers:
        view = searcher._refresh()
        evaluator = Evaluator(view, searcher.weights)
        candidates = np.random.default_rng(len(terms)).random(view.size) < 0.8
        found.append(
            [
                [a.tolist() for a in evaluator.phrase_counts(field, terms, candidates, unbroken)]
                for field in ("body_f", "title_f", "summary_f")
            ]
        )
    assert found[0] == found[1] == found[2]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_phrases_of_the_restoration_with_pairs_are_those_from_positions(views, data):
    """Accent restoration's phrases in bodies (search.occurrences), narrowed through the pair
    view, start where they do without it: folded, and with the diacritics of the text."""
    from index.analysis import fold, syllables
    from search.occurrences import Occurrences

    searchers, bodies = views
    view = searchers[0]._refresh()
    texts = [view.searcher.stored_fields(d).get("body") or "" for d in range(view.size)]
    accented = syllables(data.draw(st.sampled_from([t for t in texts if len(syllables(t)) > 1])))
    start = data.draw(st.integers(0, len(accented) - 2))
    words = accented[start : start + data.draw(st.integers(2, 5))]
    folded = [fold(w) for w in words]
    if data.draw(st.booleans()):  # and phrases nobody wrote
        folded = [*folded[:1], data.draw(st.sampled_from(data.draw(st.sampled_from(bodies))))]
    found = []
    for searcher in searchers:
        occurrences = Occurrences(searcher._refresh(), searcher._refresh().searcher)
        found.append([occurrences.phrase("body_f", folded).tolist(), occurrences.where("body", words).tolist()])
    assert found[0] == found[1] == found[2]
    assert found[0][1], "a phrase of the text is where the text is"


@pytest.mark.parametrize(
    "query",
    ["dan van", "dân vận", "ha noi", "thanh pho ha noi", '"Hà Nội"', "nguoi dan", "công tác dân vận khéo", "le hoi"],
)
def test_rankings_with_pairs_are_those_from_positions(views, query):
    searchers, _ = views
    results = [searcher.search(query, per_page=50) for searcher in searchers]
    assert results[0].total == results[1].total == results[2].total
    pages = [[(h.id, h.tier, round(h.score, 3)) for h in result.hits] for result in results]
    assert pages[0] == pages[1] == pages[2]
    # Still three ways: the searches kept the views they were given (no refresh replaced one).
    assert [s._refresh().pair_positions for s in searchers[:2]] == [True, False]
    assert "body_p" not in searchers[2]._refresh().fields


def test_generations_of_formats_3_and_4_are_read_and_a_later_one_refused(sample_index, tmp_path):
    """Formats 3 (before the pair views), 4 (before the impact views) and 5 (pair views without
    positions) are read; a format this version does not know is refused with the message to
    rebuild, as the code before refuses 6."""
    import shutil

    from index.settings import load_config
    from index.store import IndexOutdated, IndexStore
    from index.version import FORMAT, FORMAT_FILE

    assert FORMAT == 6
    source = load_config(sample_index).path("index.path")
    copy = tmp_path / "index"
    shutil.copytree(source, copy)
    store = IndexStore(copy)
    label = copy / store.current() / FORMAT_FILE
    assert label.read_text().strip() == "6"
    for older in ("3", "4", "5"):
        label.write_text(f"{older}\n")
        assert store.open().doc_count() > 0
    label.write_text("7\n")
    with pytest.raises(
        IndexOutdated, match=r"format 7, this version reads format 3, 4, 5 or 6: run `python -m index build`"
    ):
        store.open()
