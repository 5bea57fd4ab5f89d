"""Our pyvi driver gives exactly pyvi's own segmentation, only faster."""

import gzip
import json
from itertools import islice

import pytest
from pyvi import ViTokenizer

from index.wordseg import segment

from .conftest import CORPUS_00, SEED


def pyvi_words(text: str) -> list[str]:
    return ViTokenizer.tokenize(text).split()


TEXTS = [
    "Hội nghị trực tuyến toàn quốc triển khai công tác Dân vận năm 2022",
    'nguyen van phong, dan van — Covid-19 TP.HCM 2.200m ở ý An; "quy chế dân chủ"…',
    "Email: ban.dan.van@hanoi.gov.vn, web https://hanoi.gov.vn ==> 1.000.000 đồng!!",
    "",
    "   ",
    "A",
]


@pytest.mark.parametrize("text", TEXTS)
def test_same_words_as_pyvi(text):
    assert segment(text) == pyvi_words(text)


def test_same_words_as_pyvi_on_the_seed_article():
    text = SEED.read_text(encoding="utf-8")
    assert segment(text) == pyvi_words(text)


@pytest.mark.corpus
def test_same_words_as_pyvi_on_corpus_articles():
    if not CORPUS_00.exists():
        pytest.skip("needs ../shared/corpus/news-00.jsonl.gz")
    with gzip.open(CORPUS_00, "rt", encoding="utf-8") as handle:
        for line in islice(handle, 0, 3000, 15):  # 200 articles from across the file
            record = json.loads(line)
            for text in (record.get("title") or "", record["body"]):
                assert segment(text) == pyvi_words(text)
