"""The impact views (index/impacts.py): each term's BM25F computed while indexing is the one a
search computes from the field lists, and a search ranks the same with them as without."""

from __future__ import annotations

import numpy as np
import pytest

from index.analysis import fold, folded_analyzer, syllables
from index.impacts import DEFAULT_AVERAGES, ImpactParams, impacts, level

QUERIES = ["dan van", "dân vận", "ha noi", "thanh pho ha noi", "người dân", "công tác dân vận khéo", "le hoi", "cua"]


def test_a_level_is_a_255th_of_the_bound_and_at_least_one():
    assert level(0.0001, 1.2) == 1
    assert level(1e9, 1.2) == 255
    assert level(1.2, 1.2) == 128  # half the bound: tf equal to k1


def test_the_folded_view_counts_every_accented_form_of_a_syllable():
    params = ImpactParams.default()
    texts = (("title", "Dân vận khéo"), ("body", "Người dân vẫn dẫn dắt dân vận."))
    folded, accented = impacts(texts, params, folded=True), impacts(texts, params, folded=False)
    assert set(folded) == {fold(s) for s in accented}
    assert folded["dan"] > accented["dân"] > 0  # dân, dẫn (and the title's) all count for dan
    assert "vẫn" in accented and accented["vận"] > accented["vẫn"]  # vận is in the title too


def test_the_folded_syllables_are_the_folded_views():
    """The impact view splits a text once and folds the accented syllables: the same terms,
    as many, as the folded view's analyzer gives."""
    text = "Đồng chí Nguyễn Văn Phong, Phó Bí thư Thường trực Thành ủy Hà Nội: 2024 - ĐHQG"
    assert [fold(s) for s in syllables(text)] == [t.text for t in folded_analyzer()(text)]


def test_settings_other_than_the_index_s_do_not_use_its_impacts():
    params = ImpactParams.default()
    weights = dict(params.weights)
    assert params.matches(weights, params.k1, params.b)
    assert not params.matches({**weights, "title": weights["title"] + 1}, params.k1, params.b)
    assert not params.matches(weights, params.k1, params.b + 0.05)
    assert dict(params.averages) == DEFAULT_AVERAGES


@pytest.fixture(scope="module")
def views(sample_index):
    """The sample's searcher with its impact views, and one ranking from the field lists alone."""
    from index.settings import load_config
    from search.searcher import Searcher

    config = load_config(sample_index).with_overrides(search__result_cache=0, search__shared_result_cache=0)
    with_impacts, without = (Searcher(config) for _ in range(2))
    for searcher in (with_impacts, without):
        searcher.search("")
    assert with_impacts._refresh().impact_params is not None
    without._refresh().impact_params = None  # as an index built without them
    return with_impacts, without


def test_an_index_measures_its_average_lengths(views):
    """A build of the sample measures every article (fewer than the sample size): the averages
    its impacts use are the index's own."""
    view = views[0]._refresh()
    for name, average in view.impact_params.averages:
        assert average == pytest.approx(view.average_length(f"{name}_f"), rel=1e-6)


def test_each_term_s_impacts_are_its_bm25f_from_the_field_lists(views):
    from search.engine import Evaluator, Weights
    from search.query import FIELDS

    with_impacts, without = views
    config = with_impacts.config
    fast = Evaluator(with_impacts._refresh(), Weights.from_config(config))
    slow = Evaluator(without._refresh(), Weights.from_config(config))
    assert fast._impacts and not slow._impacts
    reader = with_impacts._refresh().searcher.reader()
    checked = 0
    for impact, suffix in (("impact_f", "_f"), ("impact", "")):
        terms = [t.decode("utf-8") for t in reader.lexicon(impact)]
        for text in terms[:: max(1, len(terms) // 300)]:
            fields = slow.weighted(FIELDS, suffix)
            got, expected = (_dense(e, e._contribution(text, fields)) for e in (fast, slow))
            assert np.array_equal(got[0] > 0, expected[0] > 0), text  # the same articles
            assert np.abs(got[0].astype(int) - expected[0].astype(int)).max() <= 1, text  # one step at most
            assert got[1] == expected[1]  # the same idf
            checked += 1
    assert checked > 300


def _dense(evaluator, found) -> tuple[np.ndarray, float]:
    if len(found) == 2:
        return found[0], float(found[1][0])
    dense = np.zeros(evaluator.size, dtype=np.uint8)
    dense[found[0].astype(np.intp)] = found[1]
    return dense, float(found[2][0])


@pytest.mark.parametrize("query", QUERIES)
def test_rankings_with_impacts_are_those_from_the_field_lists(views, query):
    results = [searcher.search(query, per_page=50) for searcher in views]
    assert results[0].total == results[1].total
    assert [h.tier for h in results[0].hits] == [h.tier for h in results[1].hits]
    # Each article's score within a step of each term's bound; so the same order, but where two
    # articles of a tier scored that close (then either may come first).
    scored = {h.id: h.score for h in results[1].hits}
    for at, (a, b) in enumerate(zip(results[0].hits, results[1].hits, strict=True)):
        assert a.score == pytest.approx(b.score, rel=0.01, abs=0.02)
        if a.id != b.id:
            assert a.id in scored and scored[a.id] == pytest.approx(b.score, rel=0.01, abs=0.02), at


def test_a_build_computes_the_impacts_with_the_config_s_ranking_settings(tmp_path):
    """``python -m index build`` computes the impacts with the config's weights (a field weighing
    nothing left out), and a search with those settings reads them: the same scores as from
    the field lists.  A search with other settings scores from the field lists."""
    import subprocess
    import sys
    from pathlib import Path

    from index.settings import load_config
    from search.engine import Evaluator, Weights
    from search.query import FIELDS
    from search.searcher import Searcher
    from tests.conftest import write_config

    root = Path(__file__).resolve().parent.parent
    path = write_config(
        tmp_path,
        index={"path": str(tmp_path / "index"), "sources": [str(root / "data" / "sample")], "procs": 1},
        search={"title_weight": 2.5, "author_weight": 0.0},
    )
    subprocess.run([sys.executable, "-m", "index", "build", "--config", str(path), "--quiet"], check=True, cwd=root)
    config = load_config(path)
    view = Searcher(config)._refresh()
    weights = dict(view.impact_params.weights)
    assert weights["title"] == 2.5 and weights["author"] == 0.0
    fast = Evaluator(view, Weights.from_config(config))
    assert set(fast._impacts.values()) == {"impact", "impact_f"}
    other = Evaluator(view, Weights.from_config(config.with_overrides(search__title_weight=3.0)))
    assert not other._impacts
    slow = Evaluator(view, Weights.from_config(config))
    slow._impacts = {}  # as a search of an index without impact views
    every = fast.weighted(FIELDS, "_f")
    for text in ("dan", "ha", "noi", "cua", "kheo"):
        from_impacts, from_lists = (_dense(e, e._contribution(text, every)) for e in (fast, slow))
        assert from_impacts[0].any(), text
        assert np.abs(from_impacts[0].astype(int) - from_lists[0].astype(int)).max() <= 1, text


def test_an_article_written_later_is_scored_from_its_own_segment_s_impacts(tmp_path):
    """A write adds a segment whose impact views the index's settings compute: a search reads
    the term's list from both segments, and scores the new article as the field lists do."""
    from index.article import Article
    from index.build import build
    from index.settings import load_config
    from index.store import IndexStore
    from index.writer import upsert_entry, write
    from search.searcher import Searcher
    from tests.conftest import ROOT, write_config

    path = write_config(tmp_path, index={"path": str(tmp_path / "index"), "procs": 1})
    config = load_config(path).with_overrides(search__result_cache=0, search__shared_result_cache=0)
    store = IndexStore(config.path("index.path"))
    build(store, [ROOT / "data" / "sample"], procs=1, progress=False)
    body = "Người dân phường Zqimpact góp ý dân vận khéo. " * 3
    write(store, [upsert_entry(Article(id="later-1", title="Dân vận khéo ở Zqimpact", body=body))])
    fast, slow = Searcher(config), Searcher(config)
    assert len(fast._refresh().leaves) == 2
    slow._refresh().impact_params = None  # as an index built without them
    for query in ("zqimpact", "dân vận zqimpact", "dan van"):
        results = [searcher.search(query, per_page=30) for searcher in (fast, slow)]
        assert results[0].total == results[1].total > 0, query
        scored = {h.id: h.score for h in results[1].hits}
        assert "later-1" in scored, query
        for hit in results[0].hits:
            assert hit.score == pytest.approx(scored[hit.id], rel=0.01, abs=0.02), (query, hit.id)
