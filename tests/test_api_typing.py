"""How readers really type, through the API and the pages on the sample (issue 19): Telex and VNI
with the input method off, results for the correction, half-typed last words, ``verbatim``."""

from __future__ import annotations

import pytest

SEED = "000_2ebd19a772751180"  # Hội nghị trực tuyến ... công tác Dân vận năm 2022


def search(client, **params) -> dict:
    response = client.simulate_get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json


@pytest.mark.parametrize("typed", ["daan vaajn", "da6n va6n5", "daan vận", "dân va6n5", "Daan Vaajn"])
def test_telex_and_vni_are_searched_as_if_typed_with_diacritics(client, typed):
    body = search(client, q=typed)
    meant = search(client, q="dân vận")
    assert body["query"] == typed  # as typed
    assert body["showing_results_for"].lower() == "dân vận"
    assert body["did_you_mean"].lower() == "dân vận"
    assert body["hits"][0]["id"] == SEED
    assert [h["id"] for h in body["hits"]] == [h["id"] for h in meant["hits"]]
    assert body["total"] == meant["total"]


def test_operators_survive_decoding(client):
    body = search(client, q='title:daan -"covid" vaajn')
    assert body["showing_results_for"] == 'title:dân -"covid" vận'
    meant = search(client, q='title:dân -"covid" vận')
    assert body["total"] and [h["id"] for h in body["hits"]] == [h["id"] for h in meant["hits"]]


def test_verbatim_searches_exactly_as_typed(client):
    body = search(client, q="daan vaajn", verbatim="1")
    assert body["showing_results_for"] is None
    assert body["total"] == 0


def test_ordinary_queries_are_left_alone(client):
    # van5 is VNI for vạn, but a query in capitals is an acronym's (nobody types keys so)
    for q in ("dan van", "dân vận", "Hà Nội", "covid-19", "UBND", "f0", "DAAN VAAJN"):
        assert search(client, q=q)["showing_results_for"] is None, q


def test_a_run_together_word_gets_the_results_of_its_correction(client):
    typed = search(client, q="hanoi", verbatim="1")
    assert typed["total"] == 0 and typed["did_you_mean"] == "Hà Nội"
    body = search(client, q="hanoi")
    assert body["query"] == "hanoi"
    assert body["showing_results_for"] == "Hà Nội"
    assert body["total"] == search(client, q="Hà Nội")["total"] > 0


def test_export_and_coverage_never_show_a_correction(client):
    rows = client.simulate_get("/api/search/export", params={"q": "hanoi", "format": "ndjson"})
    assert rows.status_code == 200 and rows.text == ""
    page = client.simulate_get("/coverage", params={"q": "hanoi"})
    assert page.status_code == 200 and "Hiển thị kết quả cho" not in page.text


def test_the_page_says_whose_results_it_shows_and_links_to_the_query_as_typed(client):
    page = client.simulate_get("/", params={"q": "hanoi"})
    assert "Hiển thị kết quả cho" in page.text and "Hà Nội" in page.text
    assert 'href="/?q=hanoi&amp;verbatim=1"' in page.text
    verbatim = client.simulate_get("/", params={"q": "hanoi", "verbatim": "1"})
    assert "Hiển thị kết quả cho" not in verbatim.text and "Không tìm thấy bài viết nào" in verbatim.text


def test_a_half_typed_last_word_is_a_prefix_while_typing(client):
    live = search(client, q="dân vậ", typing="1")
    assert live["hits"][0]["id"] == SEED
    assert live["query"] == "dân vậ"
    # A trailing space finishes the word: the meaning of the query submitted with Enter.
    finished = search(client, q="dân vận ", typing="1")
    assert [h["id"] for h in finished["hits"]] == [h["id"] for h in search(client, q="dân vận")["hits"]]


def test_bad_flags_are_a_400_naming_them(client):
    for name in ("typing", "verbatim"):
        response = client.simulate_get("/api/search", params={"q": "dan", name: "maybe"})
        assert response.status_code == 400, response.text
        assert name in response.text


def test_a_correction_is_confident_only_when_it_keeps_the_names_typed(searcher):
    helpers = searcher.helpers
    assert helpers.confident(searcher.parse("hanoi"), "Hà Nội")
    assert not helpers.confident(searcher.parse("dan van"), "dân vận")  # diacritics only: no correction
    assert not helpers.confident(searcher.parse("Trước đó Rahn thường bị gì?"), "Trước đó rán thường bị gì?")
    assert helpers.confident(searcher.parse("Hanoi"), "Hà Nội")  # the first word's capital is the sentence's
