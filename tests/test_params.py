"""One reading of the search parameters (api/params.py) for the API and the site's pages."""

from __future__ import annotations

from falcon import testing

from api import params
from api.site.state import SearchState


def req(query_string: str):
    return testing.create_req(query_string=query_string)


def test_single_values_are_stripped_the_last_one_counts_and_blank_is_not_given():
    r = req("q=+first+&q=++dan+van++&sort=newest&sort=&page=+2+&from=")
    assert params.one(r, "q") == "dan van"
    assert params.one(r, "sort", "default") == "default"  # the last one, blank: not given
    assert params.one(r, "page") == "2"
    assert params.one(r, "from") is None
    assert params.one(r, "missing", "x") == "x"


def test_repeated_filters_keep_each_distinct_non_blank_value_once_in_order():
    r = req("author=+Huy+Ki%C3%AAn+&author=Mai&author=Huy+Ki%C3%AAn&author=++&author=")
    assert params.many(r, "author") == ["Huy Kiên", "Mai"]


def test_a_space_after_the_last_word_ends_typing():
    assert params.typing(req("q=dan+v&typing=1")) == "1"
    assert params.typing(req("q=dan+v+&typing=1")) is None
    assert params.search_options(req("q=dan+v+&typing=1"))["typing"] is False


def test_the_site_and_the_api_read_a_url_the_same_way():
    url = (
        "q=+dan+van+&page=3&sort=oldest&from=2020-01-01&to=+2021-12-31&author=A&author=+A+&author=B"
        "&source=+S+&category=C&category=C&match=phrase&diacritics=any&verbatim=1"
    )
    api = params.search_options(req(url))
    site = SearchState.from_request(req(url))
    assert params.one(req(url), "q") == site.q == "dan van"
    for name, value in site.search_options().items():
        if name in ("verbatim", "typing"):  # the searcher reads "1" and True alike
            assert bool(api[name]) == value, name
        else:
            assert api[name] == value, name
    assert api["author"] == ["A", "B"] and api["category"] == ["C"] and api["source"] == ["S"]
