"""The Python API of the search: ``Searcher(config).search(query, ...)``.

One :class:`Searcher` serves many requests.  Before each, it checks (cheaply)
whether the index changed -- a new commit, or a rebuild switched in as a new
generation -- and reopens only then.  Decoded postings and per-document
columns are cached per index segment, so a refresh after a small write reuses
almost everything.  Whoosh readers are not safe to share between threads, so
a searcher serves one request at a time (a lock; the work is CPU-bound anyway).
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from datetime import time as dtime
from typing import NamedTuple

import numpy as np
from whoosh import scoring
from whoosh.index import Index
from whoosh.searching import Searcher as WhooshSearcher

from index.analysis import fold, has_diacritics
from index.article import LOCAL_TZ
from index.schema import EXPORT_FIELDS, UNDATED, author_key, export_row
from index.settings import Config
from index.store import IndexMissing, IndexStore
from index.whoosh_adapter import toc_path
from search.columns import Columns, Selection
from search.counting import DIACRITICS, MATCHES, as_phrase, exact_mask, looks_like_name, spellings_found
from search.deadline import Deadline, OverBudget
from search.engine import PHRASE, Evaluation, Evaluator, Weights, rank_keys
from search.helpers import FEW_HITS, Helpers
from search.passages import Question, rescore
from search.query import ParsedQuery, parse_query
from search.ranking import SORTS, Ranking
from search.segments import IndexView, SegmentCache
from search.shared_results import SharedResults, code_digest, default_directory
from search.similar import similar
from search.snippets import highlight_title, snippet
from search.state import IndexState

_CODE = code_digest()  # once per process: the code does not change under it
RECENT_SEARCHES = 8  # evaluations kept for paging (about 13 bytes per indexed article each)


class SearchError(ValueError):
    """A bad search parameter; ``param`` names it, the message says what is accepted."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param


@dataclass
class Hit:
    id: str
    title: str
    published: str
    author: str
    url: str
    source: str
    category: str
    score: float  # relevance within the tier
    title_html: str
    snippet_html: str
    tier: int = 0  # the ranking rules the article satisfies, as bits (search.engine.RULES): higher first


@dataclass
class SearchResult:
    query: str
    total: int
    page: int
    per_page: int
    sort: str
    took_ms: float
    hits: list[Hit]
    facets: dict[str, list[dict]]
    did_you_mean: str | None = None
    # The query whose results these are, when not the one typed: its Telex/VNI decoded, or a
    # correction that finds far more (search/typing.py, Searcher._evaluate).
    showing_results_for: str | None = None
    relaxed: bool = False
    truncated: bool = False
    generation: str = ""
    # What the counts count (search/counting.py): the query read as "all" its words or one "phrase";
    # "exact": total counts the articles with the diacritics typed, "any": every folded match.
    match: str = "all"
    diacritics: str = "any"
    folded_only: int = 0  # typed with diacritics: matches found only once folded (outside total when exact)
    phrase_total: int | None = None  # a name read as all its words: the articles holding it as one phrase
    spellings: list[dict] = field(default_factory=list)  # a folded phrase: [{"text", "count"}] as written

    def as_dict(self) -> dict:
        """The result as plain values (JSON's shapes), sharing its lists: ``dataclasses.asdict``'s
        deep copy cost about 4 ms a page, a tenth of a search on news-00."""
        body = {name: getattr(self, name) for name in _field_names(SearchResult)}
        body["hits"] = [{name: getattr(hit, name) for name in _field_names(Hit)} for hit in self.hits]
        return body

    @classmethod
    def from_dict(cls, found: object) -> SearchResult | None:
        """The result :meth:`as_dict` gave, or None if *found* is not one."""
        try:
            return cls(**{**found, "hits": [Hit(**hit) for hit in found["hits"]]})
        except (TypeError, KeyError):
            return None


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))


@dataclass
class Request:
    """A search, validated: what :meth:`Searcher.search` was asked."""

    query: str = ""
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"
    date_from: date | None = None
    date_to: date | None = None
    authors: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    verbatim: bool = False  # exactly as typed: no Telex/VNI decoding, no results for a correction
    typing: bool = False  # still being typed (live results): a half-typed last word is a prefix
    match: str = "all"  # search/counting.py: MATCHES
    diacritics: str = "exact"  # search/counting.py: DIACRITICS


@dataclass
class Counted:
    """What the counts of an evaluation mean: the SearchResult fields of the same names."""

    match: str = "all"
    diacritics: str = "any"
    folded_only: int = 0
    phrase_total: int | None = None
    spellings: list[dict] = field(default_factory=list)


class Searcher:
    """Searches the live index of a config; reuse one per process."""

    def __init__(self, config: Config):
        self.config = config
        self.store = IndexStore(config.path("index.path"))
        self.weights = Weights.from_config(config)
        self._cache = SegmentCache(config["search.posting_cache_mb"], config["search.score_cache_mb"])
        # Whoosh's readers and our caches are not shared between threads: one search at a time.
        self._lock = threading.RLock()
        self._recent: OrderedDict[tuple, tuple] = OrderedDict()
        # Whole results of recent searches, for the current index state only: popular
        # searches, paging back and forth, the same search from the page and the API.
        self._results: OrderedDict[tuple, SearchResult] = OrderedDict()
        self._result_slots = config["search.result_cache"]
        # ...and across the server's processes (search/shared_results.py).  Results
        # depend on the search settings too, not only on the index and the request.
        self._shared = SharedResults(
            config.path("search.shared_result_dir")
            if config["search.shared_result_dir"]
            else default_directory(self.store.path),
            config["search.shared_result_cache"],
        )
        self._settings_key = repr(sorted((k, v) for k, v in config.as_dict().items() if k.startswith("search.")))
        self._code = _CODE  # and on the code: see shared_results.code_digest
        self._generation: str | None = None
        self._folder = ""  # the live generation's folder
        # What the last full check found; replaced whole, so a reader without the lock never
        # sees half of one refresh and half of another.
        self._known: _Commit | None = None
        self._instance = ""
        self._ix: Index | None = None
        self._searcher: WhooshSearcher | None = None
        self._view: IndexView | None = None
        self._state: IndexState | None = None  # the view's commit, and its caches (search/state.py)
        # Accent restoration, spelling, abbreviations, suggestions: search/helpers.py.
        self.helpers = Helpers(config)

    # --- keeping up with the index -----------------------------------------------------

    def _refresh(self) -> IndexView:
        known = self._known
        if known is not None and self._view is not None and known.holds(self.store.current_file):
            return self._view
        # Taken before CURRENT is read: if it is replaced in between, the stamp is the old file's
        # and the next request reads it again.
        stamp = _file_stamp(self.store.current_file)
        current = self.store.current()
        if current is None:
            raise IndexMissing(f"no index at {self.store.path}: run `python -m index build` first")
        self._known = None
        if current != self._generation or self._searcher is None:
            # The old searcher is not closed here: an export may still be streaming from
            # it; it closes its files when the last reference goes.
            self._ix = self.store.open(current)
            self._searcher = self._ix.searcher(weighting=scoring.BM25F())
            self._generation = current
            self._folder = str(self.store.path / current)
            # An index deleted and built again reuses generation names: the folder's
            # identity tells the shared results of one from the other's.
            folder = os.stat(self._folder)
            self._instance = f"{folder.st_ino}:{folder.st_ctime_ns}"
            self._view = None
        elif not self._searcher.up_to_date():
            # Not Searcher.refresh(): whoosh3 reuses a segment's reader even when the new commit
            # deleted documents from that segment, so replaced and deleted articles stayed visible.
            self._searcher = self._ix.searcher(weighting=scoring.BM25F())
            self._view = None
        if self._view is None:
            self._view = IndexView(self._searcher, self._cache)
            self._state = IndexState(self._searcher, self._view)
            self.helpers.index_changed(self._state)
        self._known = self._commit(stamp)
        return self._view

    def _commit(self, stamp: tuple | None) -> _Commit | None:
        """What the refresh just read, for :meth:`_Commit.holds` (None: check fully every time)."""
        generation = self._searcher.ixreader.generation()
        if stamp is None or generation is None:
            return None
        name = self._ix.indexname
        return _Commit(
            stamp,
            toc_path(self._folder, name, generation),
            toc_path(self._folder, name, generation + 1),
            self._label(),
        )

    def _read_generation(self) -> int:
        """The commit this searcher reads, after :meth:`_refresh`.  Not the newest commit on
        disk: one landing after the refresh would label results computed from the commit
        before, and the results shared by workers would serve them as its own."""
        found = self._searcher.ixreader.generation()
        return self._ix.latest_generation() if found is None else found  # None: no segments yet

    def _label(self) -> str:
        """:attr:`generation` of what this searcher reads, after :meth:`_refresh`."""
        return f"{self._generation}.{self._read_generation()}"

    @property
    def generation(self) -> str:
        """Identifies the index contents: changes with every commit and every rebuild.

        Answered without waiting for the searches' lock while the index is as last seen:
        it is asked before each search (for the ETag), and waiting in line twice, once for
        the ETag and once for the search, doubled a request's wait under load."""
        known = self._known
        if known is not None and known.holds(self.store.current_file):
            return known.label
        with self._lock:
            self._refresh()
            return self._label()

    def document_count(self) -> int:
        with self._lock:
            return self._refresh().live_count

    # --- searching ----------------------------------------------------------------------

    def request(
        self,
        query: str = "",
        page: int | str = 1,
        per_page: int | str | None = None,
        sort: str | None = None,
        date_from: date | str | None = None,
        date_to: date | str | None = None,
        author: str | list[str] | None = None,
        source: str | list[str] | None = None,
        category: str | list[str] | None = None,
        verbatim: bool | str = False,
        typing: bool | str = False,
        match: str | None = None,
        diacritics: str | None = None,
    ) -> Request:
        """Validate search parameters; raises :class:`SearchError` naming the bad one."""
        max_per_page = self.config["search.max_per_page"]
        page = _integer("page", page, 1, 1_000_000)
        per_page = _integer(
            "per_page", per_page if per_page not in (None, "") else self.config["search.per_page"], 1, max_per_page
        )
        if not isinstance(query, str):
            raise SearchError("q", "the query must be text")
        if sort in (None, ""):
            sort = "relevance" if query.strip() else "newest"
        if sort not in SORTS:
            raise SearchError("sort", f"sort must be one of {', '.join(SORTS)}")
        match = match or "all"
        if match not in MATCHES:
            raise SearchError("match", f"match must be one of {', '.join(MATCHES)}")
        diacritics = diacritics or "exact"
        if diacritics not in DIACRITICS:
            raise SearchError("diacritics", f"diacritics must be one of {', '.join(DIACRITICS)}")
        start, end = _day("from", date_from), _day("to", date_to)
        if start and end and start > end:
            raise SearchError("from", "'from' must not be after 'to'")
        return Request(
            query=query,
            page=page,
            per_page=per_page,
            sort=sort,
            date_from=start,
            date_to=end,
            authors=self._values("author", author),
            sources=self._values("source", source),
            categories=self._values("category", category),
            verbatim=_flag("verbatim", verbatim),
            typing=_flag("typing", typing),
            match=match,
            diacritics=diacritics,
        )

    def _values(self, name: str, value) -> list[str]:
        """The values of a filter; more than ``search.max_filter_values`` is a :class:`SearchError`
        (the site's chips and facet links grow with the square of their number)."""
        values = _values(value)
        limit = self.config["search.max_filter_values"]
        if len(values) > limit:
            raise SearchError(name, f"at most {limit} values of {name} may be given at once, not {len(values)}")
        return values

    def search(self, query: str = "", *, highlight: bool = True, **options) -> SearchResult:
        """Ranked, highlighted, faceted results; see :meth:`request` for the options.

        ``highlight=False`` leaves ``title_html`` and ``snippet_html`` empty (for
        callers that only need the ranking, such as the relevance benchmark).
        """
        request = self.request(query, **options)
        started = time.perf_counter()
        with self._lock:
            view = self._refresh()
            key = (self._generation, self._read_generation(), highlight, *_request_key(request))
            cached = self._results.get(key)
            if cached is not None:
                self._results.move_to_end(key)
                return replace(cached, took_ms=round((time.perf_counter() - started) * 1000, 2))
            shared_key = (str(self.store.path), self._instance, self._settings_key, self._code, *key)
            cached = SearchResult.from_dict(self._shared.get(shared_key))
            if cached is not None:
                self._remember(key, cached)
                return replace(cached, took_ms=round((time.perf_counter() - started) * 1000, 2))
            parsed, evaluation, understood, ranking, counted = self._ranked(view, request)
            total = ranking.total
            first = (request.page - 1) * request.per_page
            page_docs = ranking.first(first + request.per_page)[first:]
            hits = [self._hit(docnum, evaluation, highlight) for docnum in page_docs.tolist()]
            facets = self._facets(view, evaluation.matched, request)
            generation = self._label()
            result = SearchResult(
                query=self.parse(request.query).text if understood.instead else parsed.text,
                total=total,
                page=request.page,
                per_page=request.per_page,
                sort=request.sort,
                took_ms=round((time.perf_counter() - started) * 1000, 2),
                hits=hits,
                facets=facets,
                did_you_mean=understood.did_you_mean,
                showing_results_for=understood.instead,
                relaxed=evaluation.relaxed,
                truncated=parsed.truncated,
                generation=generation,
                match=counted.match,
                diacritics=counted.diacritics,
                folded_only=counted.folded_only,
                phrase_total=counted.phrase_total,
                spellings=counted.spellings,
            )
            self._remember(key, result)
            self._shared.put(shared_key, result.as_dict())
        return result

    def _remember(self, key: tuple, result: SearchResult) -> None:
        if self._result_slots:
            self._results[key] = result
            while len(self._results) > self._result_slots:
                self._results.popitem(last=False)

    def export(self, query: str = "", max_rows: int = 0, **options) -> Iterator[dict]:
        """Every match (id, published, title, author, url, source), newest first by default; more
        than *max_rows* matches (0: no limit) is a :class:`SearchError` (each row reads a whole
        stored article: 100,000 rows took 7 s of CPU)."""
        options.setdefault("sort", "newest")
        options.pop("page", None)
        options.pop("per_page", None)
        options["verbatim"] = True  # staff export exactly what they typed
        request = self.request(query, **options)
        with self._lock:
            view = self._refresh()
            ranking = self._ranked(view, request)[3]
            if max_rows and ranking.total > max_rows:
                raise SearchError(
                    "q",
                    f"{ranking.total} articles match, and an export without an API key holds at most {max_rows}: "
                    "narrow the search (dates, author, source), or send Authorization: Bearer KEY",
                )
            order = ranking.first(ranking.total).tolist()
            searcher = self._searcher
            # The rows as written at index time (index/schema.py), where the index has them.
            column = self._state.export_column
        for start in range(0, len(order), 500):
            with self._lock:
                rows = [_export_row(searcher, column, d) for d in order[start : start + 500]]
            yield from rows

    def document(self, doc_id: str) -> dict | None:
        """The stored article *doc_id*, or None."""
        with self._lock:
            self._refresh()
            found = self._searcher.document(id=doc_id)
        if found is None:
            return None
        return _article_fields(found)

    def parse(self, query: str) -> ParsedQuery:
        config = self.config
        return parse_query(
            query, config["search.max_query_chars"], config["search.max_query_terms"], config["search.max_prefixes"]
        )

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Completions of *prefix* (what a reader is typing), diacritics optional."""
        if not isinstance(prefix, str):
            raise SearchError("q", "the prefix must be text")
        limit = _integer("limit", limit, 1, 50)
        prefix = prefix[: self.config["search.max_query_chars"]]
        with self._lock:
            self._refresh()
            return self.helpers.suggest(prefix, limit)

    def similar(self, doc_id: str, limit: int = 10) -> list[dict] | None:
        """Articles most like *doc_id*, excluding itself; None when *doc_id* is unknown."""
        limit = _integer("limit", limit, 1, 100)
        with self._lock:
            self._refresh()
            return similar(self._view, self._searcher, self.weights, self._hit, doc_id, limit)

    # --- internals ------------------------------------------------------------------------

    def _ranked(self, view: IndexView, request: Request):
        """``(parsed, evaluation, understood, ranking, counted)`` of *request*, remembered for the
        last few searches of this index state: paging through results, sorting them
        another way, or exporting them after a search costs no second evaluation."""
        key = (self._generation, self._read_generation(), *_evaluation_key(request))
        found = self._recent.get(key)
        if found is None:
            parsed, evaluation, understood, counted = self._evaluate(view, request)
            evaluation = self._passages(view, evaluation)
            found = (parsed, evaluation, understood, {}, counted)
            self._recent[key] = found
            while len(self._recent) > RECENT_SEARCHES:
                self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(key)
        parsed, evaluation, understood, rankings, counted = found
        ranking = rankings.get(request.sort)
        if ranking is None:
            ranking = rankings[request.sort] = self._order(view, evaluation, request.sort)
        return parsed, evaluation, understood, ranking, counted

    def _evaluate(self, view: IndexView, request: Request) -> tuple[ParsedQuery, Evaluation, Understood, Counted]:
        """Evaluate the query as the reader meant it: Telex/VNI decoded, the last word a prefix
        while it is being typed, and the correction's results when the query finds nothing;
        all of it within ``search.deadline_ms`` (a :class:`SearchError` past it)."""
        deadline = Deadline(self.config["search.deadline_ms"] / 1000)
        try:
            return self._understood(view, request, deadline)
        except OverBudget as exc:
            raise SearchError("q", f"{exc}: search for fewer words, phrases or prefixes") from None

    def _understood(
        self, view: IndexView, request: Request, deadline: Deadline
    ) -> tuple[ParsedQuery, Evaluation, Understood, Counted]:
        filters = self._filters(view, request)
        text = request.query
        decoded = None if request.verbatim else self.helpers.decode(text)
        parsed, evaluation, did_you_mean, counted = self._evaluate_text(
            view, decoded or text, filters, request, deadline
        )
        nothing = not evaluation.matched.any()
        # A short query no article holds whole (its words found only some at a time); not a
        # question, which is matched by a share of its words whatever it holds.
        scattered = (
            evaluation.relaxed
            and evaluation.question is None
            and len(parsed.positive_syllables()) <= self.weights.all_words_up_to
        )
        if decoded is None and not request.verbatim and (nothing or scattered):
            # Nothing found as typed, or no article holding every word: words the index holds
            # now and then may be keys too (``Lys Vix Linh``: *Lý Vĩ Linh*; ``khoong cho bamboo
            # airways``: *không*).  Its reading is taken where it finds something, and, for a
            # query whose words were found apart, where it finds them together.
            eager = self.helpers.decode(text, eager=True)
            # Found apart, a word typed with a capital is a name as the reader spells it (``Lee
            # Chong Wei quốc tịch gì``: not *Lê*); found nowhere, it may be a name's keys.
            if eager is not None and (nothing or not _capitals_changed(text, eager)):
                found = self._evaluate_text(view, eager, filters, request, deadline)
                if found[1].matched.any() and (nothing or not found[1].relaxed):
                    decoded = eager
                    parsed, evaluation, did_you_mean, counted = found
        if decoded is not None:
            return parsed, evaluation, Understood(did_you_mean or decoded, decoded), counted
        if not request.verbatim and did_you_mean is not None and self.helpers.confident(parsed, did_you_mean):
            corrected = self._evaluate_text(view, did_you_mean, filters, replace(request, typing=False), deadline)
            if self.helpers.better(evaluation, corrected[1]):
                return corrected[0], corrected[1], Understood(did_you_mean, did_you_mean), corrected[3]
        return parsed, evaluation, Understood(did_you_mean, None), counted

    def _evaluate_text(
        self, view: IndexView, text: str, filters: np.ndarray | None, request: Request, deadline: Deadline
    ) -> tuple[ParsedQuery, Evaluation, str | None, Counted]:
        """Evaluate *text*, then make its counts mean what was typed (search/counting.py)."""
        typed = self.parse(text)
        if request.typing:
            self.helpers.complete_last(typed, text)
        phrase = as_phrase(self.parse(text)) if request.match == "phrase" else None
        parsed = phrase or typed
        counted = Counted(match="phrase" if phrase else "all")
        self.helpers.expand(parsed)
        restored = self.helpers.reading(parsed)
        reading, display = (restored.syllables, restored.display) if restored else (None, None)
        evaluator = Evaluator(view, self.weights, deadline, self.config["search.prefix_terms"])
        # A name is a phrase only unbroken (the engine's phrase rule), as its count below says.
        person = not phrase and looks_like_name(typed, display, self.helpers.occurrences())
        evaluation = evaluator.evaluate(parsed, filters, reading, name=person)
        judged = evaluation  # what a spelling correction is offered on
        wrong_accent = False
        respell = False  # few or no articles write it so: offer how the index writes it
        retone = False  # the words written so, but nowhere side by side: perhaps one wrong tone mark
        if parsed.accented and not evaluation.relaxed:
            exact = exact_mask(evaluator, parsed, evaluation.matched, evaluation.optional)
            found = int(exact.sum())
            # A phrase typed with diacritics is exact already: its folded matches are those of
            # the same phrase without them, its typed spelling ranked first.
            unaccented = self._folded_phrase(text, parsed, evaluator, filters) if phrase else None
            everywhere = int((unaccented or evaluation).matched.sum())
            if found == 0:
                # A wrong accent (Đà Nẳng): the folded matches, as a query without diacritics
                # finds them, and a correction offered as when nothing is found.
                judged = replace(evaluation, matched=exact)
                wrong_accent = True
                evaluation = unaccented or evaluation
            else:
                # A typo the archive holds too (Đà Nẳng, once in 100,000 articles) is still a typo.
                respell = found < FEW_HITS < everywhere
                # The ranking's phrase rule read where the words stand side by side, as typed.
                retone = (
                    not phrase
                    and found < everywhere
                    and evaluation.tiers is not None
                    and not (evaluation.tiers[exact] & PHRASE).any()
                )
                counted.diacritics = "exact" if request.diacritics == "exact" or found == everywhere else "any"
                counted.folded_only = everywhere - found
                if counted.diacritics == "exact":
                    evaluation = replace(evaluation, matched=exact)
                elif unaccented is not None:
                    evaluation = unaccented
        did_you_mean = self.helpers.did_you_mean(parsed, restored, judged, deadline)
        if (wrong_accent or respell) and did_you_mean is None and not parsed.truncated:
            did_you_mean = self.helpers.respelled(parsed)
        elif retone and did_you_mean is None and not parsed.truncated:
            did_you_mean = self.helpers.retoned(parsed)
        if phrase and (wrong_accent or not parsed.accented) and evaluation.matched.any():
            # Staff tell two people apart by how the articles write the name.
            name = looks_like_name(typed, display, None)
            counted.spellings = [
                {"text": " ".join(s.capitalize() for s in spelling) if name else " ".join(spelling), "count": count}
                for spelling, count in spellings_found(view, parsed.positive_syllables(), evaluation.matched)
            ]
        elif person and not wrong_accent:
            named = as_phrase(self.parse(text))
            self.helpers.expand(named)
            # The exact phrase is among the articles the ranking put in its phrase tier (the same
            # syllables side by side, breaks allowed): a few where the matches can be thousands.
            within = evaluation.matched & ((evaluation.tiers & PHRASE) > 0) if evaluation.tiers is not None else None
            counted.phrase_total = (
                int(evaluator.clause_mask(named.clauses[0], None, within).sum()) if within is not None else 0
            )
        return parsed, evaluation, did_you_mean, counted

    def _folded_phrase(
        self, query: str, parsed: ParsedQuery, evaluator: Evaluator, filters: np.ndarray | None
    ) -> Evaluation | None:
        """The phrase *query* (typed with diacritics) evaluated without them, the spelling
        typed (*parsed*) ranked first as a restored reading is; None if it is no phrase."""
        folded = as_phrase(self.parse(fold(query)))
        if folded is None:
            return None
        self.helpers.expand(folded)
        return evaluator.evaluate(folded, filters, parsed.positive_syllables())

    def _filters(self, view: IndexView, request: Request) -> np.ndarray | None:
        columns = view.columns
        mask = None

        def narrow(extra: np.ndarray) -> None:
            nonlocal mask
            mask = extra if mask is None else (mask & extra)

        if request.date_from or request.date_to:
            low = _timestamp(request.date_from, dtime.min) if request.date_from else None
            high = _timestamp(request.date_to, dtime.max) if request.date_to else None
            keep = columns.dated.copy()
            if low is not None:
                keep &= columns.ts >= low
            if high is not None:
                keep &= columns.ts <= high
            narrow(keep)
        if request.authors:
            wanted = {_author_match_key(a) for a in request.authors}
            accepted = {v for v in columns.values["author_key"] if v and _author_key_matches(v, wanted)}
            narrow(columns.mask("author_key", accepted))
        if request.sources:
            wanted = {s.lower() for s in request.sources}
            narrow(columns.mask("source", {v for v in columns.values["source"] if v.lower() in wanted}))
        if request.categories:
            wanted = {c.lower() for c in request.categories}
            narrow(columns.mask("category", {v for v in columns.values["category"] if v.lower() in wanted}))
        return mask

    def _passages(self, view: IndexView, evaluation: Evaluation) -> Evaluation:
        """A question's first articles re-scored by where its words stand together in their
        bodies (search/passages.py)."""
        weight, depth = self.config["search.passage_weight"], self.config["search.passage_depth"]
        if not evaluation.question or weight <= 0.0 or depth <= 0:
            return evaluation
        question = Question.of(view, evaluation.question)
        if question is None:
            return evaluation
        return rescore(evaluation, view, question, self._order(view, evaluation, "relevance").first(depth), weight)

    def _order(self, view: IndexView, evaluation: Evaluation, sort: str) -> Ranking:
        docs = np.flatnonzero(evaluation.matched)
        columns = view.columns
        keys = rank_keys(evaluation, docs)
        return Ranking(docs, evaluation.scores[docs], columns.ts[docs], columns.dated[docs], sort, keys, columns.order)

    def _hit(self, docnum: int, evaluation: Evaluation, highlight: bool = True) -> Hit:
        if highlight:
            shown = self._state.articles.get(docnum, self._article)
            article = shown.fields
        else:
            article = self._article(docnum)
        return Hit(
            id=article["id"],
            title=article["title"],
            published=article["published"],
            author=article["author"],
            url=article["url"],
            source=article["source"],
            category=article["category"],
            score=round(float(evaluation.scores[docnum]), 4),
            tier=int(evaluation.tiers[docnum]) if evaluation.tiers is not None else 0,
            title_html=highlight_title(article["title"], evaluation.title_terms) if highlight else "",
            snippet_html=snippet(
                shown.texts,
                evaluation.terms,
                self.config["search.snippet_chars"],
                self.config["search.snippet_fragments"],
                folded=shown.folded,
            )
            if highlight
            else "",
        )

    def _article(self, docnum: int) -> dict:
        return _article_fields(self._searcher.stored_fields(docnum))

    def _facets(self, view: IndexView, matched: np.ndarray, request: Request) -> dict[str, list[dict]]:
        columns = view.columns
        counted = columns.select(matched)
        limit = self.config["search.facet_limit"]

        def listed(pairs, by_value: bool = False, top: int | None = None) -> list[dict]:
            if by_value:
                pairs = sorted(pairs, key=lambda p: (p[0] == UNDATED, p[0]))
            if top is not None:
                pairs = pairs[:top]
            return [{"value": value, "count": count} for value, count in pairs]

        facets = {
            "year": listed(columns.count("year", counted), by_value=True),
            "month": listed(columns.count("month", counted), by_value=True),
            "author": listed(_author_display(self._state, columns, counted, limit)),
            "source": listed(columns.count("source", counted), top=limit),
            "category": listed(columns.count("category", counted), top=limit),
        }
        start, end = request.date_from, request.date_to
        if start and end and (start.year, start.month) == (end.year, end.month):
            facets["day"] = listed(columns.count("day", counted), by_value=True)
        return facets


class Understood(NamedTuple):
    """What a search made of the query typed."""

    did_you_mean: str | None  # a query to offer
    instead: str | None  # the query whose results are shown, when not the one typed


def _evaluation_key(request: Request) -> tuple:
    """What identifies a search's evaluation: the query and its filters, not the sort or the page."""
    return (
        request.query,
        request.verbatim,
        request.typing,
        request.date_from,
        request.date_to,
        tuple(request.authors),
        tuple(request.sources),
        tuple(request.categories),
        request.match,
        request.diacritics,
    )


def _request_key(request: Request) -> tuple:
    """What identifies a search's results."""
    return (*_evaluation_key(request), request.sort, request.page, request.per_page)


def _export_fields(stored: dict) -> dict:
    """An export row from the stored article (indexes or segments without the export column)."""
    return {name: stored.get(name, "") for name in EXPORT_FIELDS}


def _article_fields(stored: dict) -> dict:
    captions = stored.get("captions") or ""
    return {
        "id": stored.get("id", ""),
        "title": stored.get("title", ""),
        "summary": stored.get("summary", ""),
        "body": stored.get("body", ""),
        "captions": [c for c in captions.split("\n") if c] if isinstance(captions, str) else list(captions),
        "author": stored.get("author", ""),
        "published": stored.get("published", ""),
        "url": stored.get("url", ""),
        "source": stored.get("source", ""),
        "category": stored.get("category", ""),
    }


def _author_display(state: IndexState, columns: Columns, counted: Selection, top: int) -> list[tuple[str, int]]:
    """The *top* authors of *counted*: counts by byline key, each shown as the key's first
    article wrote the byline (:meth:`Columns.first`: the same for every search of the index
    view; the first *matched* one took an array scan per shown key, a tenth of a question's
    facets on 100,000 articles), read from its export row: the whole stored article, its
    body inflated, made the facet a third dearer (0.34 against 0.25 ms a search on 100,000
    articles)."""
    counts = columns.count("author_key", counted)[:top]
    column = state.export_column if counts else None
    return [
        (_export_row(state.whoosh, column, columns.first("author_key", key))["author"] or key, count)
        for key, count in counts
    ]


def _capitals_changed(typed: str, decoded: str) -> bool:
    """Whether decoding *typed* into *decoded* (word for word) changed a word typed with a capital."""
    return any(a != b and a[:1].isupper() for a, b in zip(typed.split(), decoded.split(), strict=False))


def _export_row(searcher, column, docnum: int) -> dict:
    """The export fields of *docnum*: from the export column, else (older segments) the stored article."""
    return (export_row(column[docnum]) if column is not None else None) or _export_fields(
        searcher.stored_fields(docnum)
    )


def _author_match_key(author: str) -> tuple[str, bool]:
    key = author_key(author)
    return (key, True) if has_diacritics(key) else (fold(key), False)


def _author_key_matches(value: str, wanted: set[tuple[str, bool]]) -> bool:
    return any((value == key) if accented else (fold(value) == key) for key, accented in wanted)


def _flag(name: str, value) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, "", "0", "false"):
        return False
    if value in ("1", "true"):
        return True
    raise SearchError(name, f"{name} must be 1 or 0 (true or false)")


def _integer(name: str, value, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SearchError(name, f"{name} must be a whole number from {low} to {high}") from None
    if not low <= number <= high:
        raise SearchError(name, f"{name} must be a whole number from {low} to {high}")
    return number


def _day(name: str, value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise SearchError(name, f"{name} must be a date written YYYY-MM-DD") from None


def _values(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [value]
    return [v for v in value if v]


def _timestamp(day: date, at: dtime) -> int:
    return int(datetime.combine(day, at, LOCAL_TZ).timestamp())


class _Commit(NamedTuple):
    """The commit a searcher reads, with how to tell cheaply that it is still the newest.

    Three ``stat()`` calls: ``CURRENT`` (replaced by a rename when a rebuild is switched
    in, so a new one is a new inode), this commit's table of contents and the next one's.
    Whoosh numbers commits one after another, and each commit deletes every older table
    of contents before it returns.  So once any newer commit is acknowledged, either the
    next table exists or this one is gone.  Reading ``CURRENT`` and listing the
    generation's folder instead took ~150 us, twice a request.
    """

    stamp: tuple[int, int, int]  # CURRENT's (_file_stamp), taken before it was read
    toc: str
    next_toc: str
    label: str  # Searcher.generation

    def holds(self, current_file) -> bool:
        return (
            _file_stamp(current_file) == self.stamp and os.path.exists(self.toc) and not os.path.exists(self.next_toc)
        )


def _file_stamp(path) -> tuple[int, int, int] | None:
    """Identifies a file's version: CURRENT is replaced by a rename, so a new CURRENT is a new inode."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size
