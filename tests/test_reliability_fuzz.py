"""Bad input, fuzzed: properties of the analyzer, the query parser and the search, and generated
requests (schemathesis from /openapi.json, and raw bytes) against a real gunicorn.

Complements tests/test_analysis.py and tests/test_query.py (examples, and "any
string parses"): here the inputs are generated Vietnamese text in every spelling
the corpus has (NFD, both tone placements, misplaced tones, eth, zero-width
characters, NBSP, stray combining marks) and operator-heavy queries.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import socket
import time
import traceback
import unicodedata

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from index.analysis import (
    accented_analyzer,
    canonical_syllable,
    fold,
    folded_analyzer,
    normalize,
    syllable_spans,
)
from index.settings import load_config
from search.query import parse_query
from search.searcher import Searcher, SearchError
from tests.reliability import AUTH, KEY
from tests.server import copy_index, running_server
from tests.test_api_openapi import valid_requests_accepted

# --- generated Vietnamese -----------------------------------------------------------------------

TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")  # none, huyền, sắc, ngã, hỏi, nặng
_ONSETS = "b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x"
_NUCLEI = """a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oai oay oe oi ôi ơi ua uâ uê ui uô uơ
uy uya uyê ưa ưi ươ ươi ươu ưu yê"""
ONSETS = [*_ONSETS.split(), ""]
NUCLEI = _NUCLEI.split()
CODAS = ["", "", "c", "ch", "m", "n", "ng", "nh", "p", "t"]
SEPARATORS = (" ", " ", " ", ", ", ". ", "\n", "\u00a0", " - ", "“", "”", "(", ")", ": ", "\u202f")
INVISIBLE = ("\u200b", "\u200c", "\u200d", "\ufeff", "\u00ad", "\u2060")


@st.composite
def vietnamese_syllables(draw) -> str:
    """A Vietnamese syllable as the corpus writes them: any tone on any of its vowels, any case,
    NFC or NFD, sometimes eth for Đ, an invisible character inside, or a doubled mark."""
    onset, nucleus, coda = draw(st.sampled_from(ONSETS)), draw(st.sampled_from(NUCLEI)), draw(st.sampled_from(CODAS))
    syllable = onset + nucleus + coda
    tone = draw(st.sampled_from(TONES))
    if tone:
        vowels = [i for i, ch in enumerate(syllable) if unicodedata.normalize("NFD", ch)[0] in "aeiouy"]
        at = draw(st.sampled_from(vowels))  # old style, new style, or simply misplaced
        syllable = syllable[: at + 1] + tone + (tone if draw(st.integers(0, 9)) == 0 else "") + syllable[at + 1 :]
    syllable = unicodedata.normalize(draw(st.sampled_from(("NFC", "NFC", "NFD"))), syllable)
    case = draw(st.sampled_from(("lower", "lower", "title", "upper")))
    syllable = getattr(syllable, case)() if case != "title" else syllable[:1].upper() + syllable[1:]
    if syllable[:1] == "Đ" and draw(st.booleans()):
        syllable = "\u00d0" + syllable[1:]  # eth, as 121 VietNews articles write it
    if len(syllable) > 1 and draw(st.integers(0, 5)) == 0:
        at = draw(st.integers(1, len(syllable) - 1))
        syllable = syllable[:at] + draw(st.sampled_from(INVISIBLE)) + syllable[at:]
    return syllable


@st.composite
def vietnamese_texts(draw, max_syllables: int = 40) -> str:
    syllables = draw(st.lists(vietnamese_syllables(), max_size=max_syllables))
    parts = []
    for syllable in syllables:
        parts.append(syllable)
        parts.append(draw(st.sampled_from(SEPARATORS)))
    if draw(st.integers(0, 9)) == 0:  # a stray combining mark between words (typing noise)
        parts.insert(draw(st.integers(0, len(parts))), draw(st.sampled_from(TONES[1:])))
    return "".join(parts)


# Text of any kind: Vietnamese, and every other character Hypothesis can think of (no surrogates:
# those cannot be sent as UTF-8; tests/test_reliability_hostile.py sends them as JSON escapes).
any_text = st.one_of(vietnamese_texts(), st.text(max_size=200))

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- the analyzer -------------------------------------------------------------------------------


@PROPERTY
@given(any_text)
def test_normalisation_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once
    assert unicodedata.is_normalized("NFC", once)


@PROPERTY
@given(vietnamese_syllables())
def test_canonical_tone_placement_is_idempotent_and_ignores_where_the_tone_was_typed(syllable):
    canonical = canonical_syllable(normalize(syllable))
    assert canonical_syllable(canonical) == canonical
    base = unicodedata.normalize("NFD", normalize(syllable).lower())
    tones = [ch for ch in base if ch in TONES]
    assume(len(tones) == 1)
    toneless = "".join(ch for ch in base if ch not in TONES)
    # The same syllable with its tone typed on each of its vowels: one canonical form.
    forms = set()
    for i, ch in enumerate(toneless):
        if ch in "aeiouy":
            moved = unicodedata.normalize("NFC", toneless[: i + 1] + tones[0] + toneless[i + 1 :])
            forms.add(canonical_syllable(normalize(moved)))
    assert forms == {canonical}


@PROPERTY
@given(vietnamese_texts())
def test_folding_vietnamese_leaves_only_ascii_letters(text):
    for ch in fold(normalize(text)):
        assert not ch.isalpha() or ch.isascii(), (ch, text)
    for token in folded_analyzer()(text):
        assert re.fullmatch(r"[a-z0-9]+", token.text), (token.text, text)


@PROPERTY
@given(any_text)
def test_offsets_lie_in_the_text_and_point_at_the_syllable(text):
    accented = [(t.text, t.pos, t.startchar, t.endchar) for t in accented_analyzer()(text, positions=True, chars=True)]
    folded = [(t.text, t.pos, t.startchar, t.endchar) for t in folded_analyzer()(text, positions=True, chars=True)]
    assert [pos for _, pos, _, _ in accented] == list(range(len(accented)))
    previous_end = 0
    for (syllable, _, start, end), (folded_syllable, _, f_start, f_end) in zip(accented, folded, strict=True):
        assert previous_end <= start < end <= len(text), (start, end, len(text))
        original = text[start:end]
        # The span is the syllable as written: it has a letter or digit, and analysing it gives the token.
        assert any(ch.isalnum() for ch in original), (original, text)
        assert canonical_syllable(normalize(original)) == syllable
        assert (f_start, f_end, folded_syllable) == (start, end, fold(syllable))
        previous_end = end
    assert [(s, e, t) for t, _, s, e in accented] == list(syllable_spans(text))


@PROPERTY
@given(any_text, st.integers(min_value=1, max_value=60))
@example("0_0", 1)  # found by CI: a run cut at "_" gave both its syllables when one was asked
def test_the_stored_texts_syllables_are_where_the_analyzer_puts_them(text, count):
    from search.occurrences import _spans

    text = normalize(text)  # as stored
    expected = [(start, end) for start, end, _ in syllable_spans(text)]
    spans, complete = _spans(text, count)
    assert spans == expected[:count]
    assert complete == (len(expected) < count)


# --- the query parser and the search ----------------------------------------------------------

operators = st.sampled_from(
    ['"', "-", "*", "OR", "or", "title:", "author:", "name:", "tieude:", "body:", "nope:", "(", ")", ":", "--", '-"']
)
query_pieces = st.one_of(vietnamese_syllables(), operators, st.text(max_size=5))


@st.composite
def queries(draw) -> str:
    pieces = draw(st.lists(query_pieces, max_size=15))
    glue = draw(st.sampled_from(("", " ", "  ")))
    return glue.join(pieces) if draw(st.booleans()) else " ".join(pieces)


@PROPERTY
@given(st.one_of(queries(), st.text(max_size=2000)), st.integers(1, 3000))
def test_the_query_parser_never_raises_and_honours_the_length_limit(text, max_chars):
    parsed = parse_query(text, max_chars=max_chars)
    assert len(parsed.text) <= max_chars
    # The limit counts the query as normalised and stripped (a trailing space is not a character).
    assert parsed.truncated == (len(normalize(text).strip()) > max_chars)
    for clause in parsed.clauses + parsed.excluded:
        assert clause.syllables and all(s and s == s.lower() for s in clause.syllables)
        assert clause.field in (None, "title", "summary", "body", "captions", "author")


@pytest.fixture(scope="module")
def sample_searcher(sample_index):
    return Searcher(load_config(sample_index))


search_options = st.fixed_dictionaries(
    {},
    optional={
        "page": st.one_of(st.integers(-3, 10_000), st.text(max_size=4)),
        "per_page": st.one_of(st.integers(-3, 500), st.text(max_size=4)),
        "sort": st.one_of(st.sampled_from(["relevance", "newest", "oldest"]), st.text(max_size=8)),
        "date_from": st.one_of(st.dates().map(str), st.text(max_size=12)),
        "date_to": st.one_of(st.dates().map(str), st.text(max_size=12)),
        "author": st.one_of(vietnamese_texts(4), st.lists(st.text(max_size=10), max_size=3)),
        "source": st.text(max_size=10),
        "match": st.one_of(st.sampled_from(["all", "phrase"]), st.text(max_size=6)),
        "diacritics": st.one_of(st.sampled_from(["exact", "any"]), st.text(max_size=6)),
        "verbatim": st.one_of(st.booleans(), st.sampled_from(["0", "1", "true"]), st.text(max_size=3)),
        "typing": st.one_of(st.booleans(), st.sampled_from(["0", "1", "true"]), st.text(max_size=3)),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(queries(), vietnamese_texts(12), st.text(max_size=300)), search_options)
def test_any_query_and_options_either_search_or_name_the_bad_option(sample_searcher, text, options):
    """The search behind the box: any string, any option values -> results, or a SearchError
    naming the parameter (the API's 400); never another exception."""
    try:
        result = sample_searcher.search(text, **options)
    except SearchError as exc:
        assert exc.param in {
            "page",
            "per_page",
            "sort",
            "from",
            "to",
            "author",
            "source",
            "verbatim",
            "typing",
            "match",
            "diacritics",
        }, exc.param
        return
    assert result.total >= len(result.hits)
    for hit in result.hits:
        for markup in (hit.title_html, hit.snippet_html):
            assert "<" not in re.sub(r"</?mark>", "", markup), markup


# --- generated HTTP requests against gunicorn ------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_server(sample_index, tmp_path_factory):
    """gunicorn (2 workers) on a private copy of the sample: generated writes change it."""
    directory = tmp_path_factory.mktemp("fuzz-server")
    config = copy_index(sample_index, directory, server={"access_log": ""})
    with running_server(config, workers=2, env={"HNP_API_KEYS": KEY}) as server:
        yield server


# Examples per operation and generation mode: 8 operations with parameters x 2 modes x 150,
# plus the 3 without, is about 2,500 requests; the time bound stops it early on a slow machine.
SCHEMATHESIS_EXAMPLES = 150
SCHEMATHESIS_SECONDS = 240
# Generating and validating costs the client ~20 ms of CPU a request, three times what the server
# spends: two client processes (threads would share one core, and schemathesis is not thread-safe).
CLIENT_PROCESSES = 2


@pytest.mark.server
def test_schemathesis_against_gunicorn_no_5xx_and_every_answer_as_documented(fuzz_server):
    """Thousands of generated requests, valid and invalid, from /openapi.json to a real gunicorn.

    Every answer must match the document (status, content type, headers, JSON schema) and none
    may be a 5xx (schemathesis' not_a_server_error).  Writes carry the key, so generated
    articles really are indexed, by two clients at once.
    """
    schema = schemathesis.openapi.from_url(fuzz_server.url + "/openapi.json")
    labels = [result.ok().label for result in schema.get_all_operations()]
    assert len(labels) >= 10
    jobs = [(label, mode.value) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) for label in labels]
    deadline = time.time() + SCHEMATHESIS_SECONDS
    shares = [(fuzz_server.url, jobs[i::CLIENT_PROCESSES], deadline) for i in range(CLIENT_PROCESSES)]
    with multiprocessing.get_context("fork").Pool(CLIENT_PROCESSES) as pool:
        outcomes = pool.map(_schemathesis_client, shares)
    failures = [failure for _, found in outcomes for failure in found]
    assert not failures, "\n\n".join(failures)
    requests_made = sum(count for count, _ in outcomes)
    print(f"schemathesis: {requests_made} requests")
    assert requests_made >= 2000, f"only {requests_made} requests within {SCHEMATHESIS_SECONDS} s"
    assert "Traceback" not in fuzz_server.output()


def _schemathesis_client(share) -> tuple[int, list[str]]:
    """One client process: run its (operation, mode) jobs; (requests made, failure reports)."""
    url, jobs, deadline = share
    operations = {
        r.ok().label: r.ok() for r in schemathesis.openapi.from_url(url + "/openapi.json").get_all_operations()
    }
    made = [0]
    failures = []
    for label, mode_name in jobs:
        operation, mode = operations[label], GenerationMode(mode_name)
        try:
            _generated_requests(operation, mode, url, deadline, made)()
        except Unsatisfiable:
            if mode != GenerationMode.NEGATIVE:  # only an operation without parameters has no bad request
                failures.append(f"{label} {mode_name}: no request could be generated")
        except Exception:
            failures.append(f"{label} {mode_name}:\n{traceback.format_exc()}")
    return made[0], failures


def _generated_requests(operation, mode: GenerationMode, url: str, deadline: float, made: list[int]):
    """A Hypothesis test sending *operation*'s generated requests (the key with writes)."""
    headers = AUTH if operation.method.upper() in ("PUT", "POST", "DELETE") else {}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=SCHEMATHESIS_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(case):
        if time.time() > deadline:
            return
        made[0] += 1
        case.call_and_validate(
            base_url=url,
            headers=headers,
            timeout=60,
            # As in tests/test_api_openapi.py: rules across fields are the app's (400/422).
            excluded_checks=[positive_data_acceptance, negative_data_rejection],
            additional_checks=[valid_requests_accepted],
        )

    return check


def raw_exchange(port: int, data: bytes) -> bytes:
    """Send *data* on a fresh connection and read the whole answer (the server closes it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)  # a body shorter than its Content-Length must not keep the server waiting
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
    return received


header_names = st.one_of(
    st.sampled_from([b"Host", b"Content-Length", b"Content-Type", b"Authorization", b"Accept", b"Origin", b"Expect"]),
    st.binary(min_size=0, max_size=12),
)
request_lines = st.one_of(
    st.tuples(
        st.sampled_from([b"GET", b"PUT", b"POST", b"DELETE", b"HEAD", b"OPTIONS", b"G@T", b""]),
        st.one_of(
            st.sampled_from([b"/api/search?q=", b"/api/documents/", b"/articles/", b"/?q=", b"/coverage?q="]).flatmap(
                lambda path: st.binary(max_size=40).map(lambda tail: path + tail)
            ),
            st.binary(max_size=40),
        ),
        st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2", b"HTTP/1.1 x", b""]),
    ).map(lambda parts: b" ".join(parts)),
    st.binary(max_size=60),
)


@pytest.mark.server
@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    line=request_lines,
    headers=st.lists(st.tuples(header_names, st.binary(max_size=30)), max_size=5),
    body=st.binary(max_size=64),
)
def test_raw_requests_of_any_bytes_get_an_answer_never_a_5xx(fuzz_server, line, headers, body):
    """What no HTTP client library would send: control bytes, bad UTF-8 and broken framing.

    Every request gets an answer (never a silently closed connection), and every error
    answer is the API's JSON; 501 is gunicorn's documented answer to an unknown
    Transfer-Encoding.
    """
    head = line + b"\r\n" + b"".join(name + b": " + value + b"\r\n" for name, value in headers)
    data = head + b"Connection: close\r\n\r\n" + body
    answer = raw_exchange(fuzz_server.port, data)
    context = f"sent {data[:300]!r}, got {answer[:400]!r}"
    assert answer.startswith(b"HTTP/1."), context
    status = int(answer.split(b" ", 2)[1])
    assert status < 500 or status == 501, context
    response_head, _, response_body = answer.partition(b"\r\n\r\n")
    response_head = response_head.lower()
    if status < 400 or line.startswith(b"HEAD "):
        return
    if b"application/json" in response_head:
        length = int(re.search(rb"content-length: (\d+)", response_head).group(1))
        error = json.loads(response_body[:length])
        assert error["title"] and error["description"], context
    else:
        # The site's pages answer with HTML error pages; everything else is JSON.
        assert b"text/html" in response_head, context
