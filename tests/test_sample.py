"""What a build measures on a sample of its articles (index/sample.py): the fields' average
lengths and the folded syllables whose pairs the new index's pair views hold."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from index.analysis import folded_syllables, pair_syllables
from index.article import Article
from index.sample import MIN_SAMPLE, PAIR_SYLLABLES, SAMPLE, commonest, measure


def test_the_commonest_syllables_are_those_in_most_articles_made_of_letters():
    found_in = Counter({"cua": 9, "2022": 12, "va": 7, "la": 7, "nguyen": 3, "covid19": 8, "o": 1})
    assert commonest(found_in, 3) == {"cua", "va", "la"}
    assert commonest(found_in, 4) == {"cua", "va", "la", "nguyen"}  # digits never make a pair syllable
    assert commonest(Counter({"b": 2, "a": 2, "c": 2}), 2) == {"a", "b"}  # ties by spelling: a build is repeatable


def _own(n: int) -> str:
    """A syllable of letters only article *n* has (``kab`` for 10)."""
    return "k" + "".join(chr(ord("a") + int(digit)) for digit in str(n))


def _articles(count: int) -> list[Article]:
    """*count* articles: every one says ``Việt Nam``, every third ``bác sĩ`` in its title, and
    each has a syllable of its own."""
    return [
        Article(
            id=f"a{n}",
            title="Bác sĩ khám bệnh" if n % 3 == 0 else "Tin ngắn",
            body=f"Việt Nam hôm nay, số {n} và {_own(n)}",
            author="Lê Hoà",
        )
        for n in range(count)
    ]


def test_a_build_of_many_articles_pairs_the_syllables_of_its_own_articles():
    articles = _articles(SAMPLE + 500)
    measured = measure(iter(articles), len(articles))
    every_article = {"viet", "nam", "hom", "nay", "so", "va"}
    assert every_article | {"bac", "si", "kham", "benh", "tin", "ngan"} <= measured.pair_syllables
    assert "le" not in measured.pair_syllables and "hoa" not in measured.pair_syllables  # bylines have no pair view
    # The rest are syllables of one article each, tied: the first by spelling.
    own = sorted(_own(n) for n in range(0, len(articles), math.ceil(len(articles) / SAMPLE)))
    assert measured.pair_syllables - every_article - {"bac", "si", "kham", "benh", "tin", "ngan"} == set(own[:244])
    assert len(measured.pair_syllables) == PAIR_SYLLABLES


def test_a_small_build_keeps_the_portal_s_list_and_measures_its_lengths():
    articles = _articles(MIN_SAMPLE - 1)
    measured = measure(iter(articles), len(articles))
    assert measured.pair_syllables == pair_syllables()
    bodies = [len(folded_syllables(a.body)) for a in articles]
    assert measured.averages["body"] == pytest.approx(sum(bodies) / len(bodies))
    assert measured.averages["author"] == 2.0


def test_no_articles_give_the_declared_averages():
    from index.impacts import DEFAULT_AVERAGES

    measured = measure(iter([]), 0)
    assert measured.averages == DEFAULT_AVERAGES and measured.pair_syllables == pair_syllables()
