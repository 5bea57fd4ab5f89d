"""Accent restoration: how often ``did_you_mean`` of a query typed without diacritics is right.

For each folded query of the judged set (``known-folded``: a piece of a title;
``name-folded``: a person's name) the search's ``did_you_mean`` is compared with
its accented twin (the same qid ending in ``a``), case and tone placement
ignored.  A query with no ``did_you_mean`` counts as wrong, unless the twin has
no diacritics either.

A second table does the same for a wrong tone mark: each accented twin with the
tone mark of one syllable changed (to another, or none; chosen with a fixed seed,
so every run types the same typos), and ``did_you_mean`` is right when it gives
the twin back.  The twins as typed are searched too: any offer there is wrong.

A typo table: each judged query, folded and accented, with one letter of one
syllable of three letters or more doubled, dropped, swapped with the next or
replaced by a key beside it (a fixed seed): ``did_you_mean`` is right when it
gives the query back (the accented twin for a folded query, its diacritics
restored too), and its letters are right when it does once folded.

With ``--text FILE`` (a corpus file the index holds), a third table does the same
for runs of two or three syllables cut at random (a fixed seed) from its titles
and bodies, folded: text nobody chose, so a check of the method rather than of
the judged queries.  A run is right when ``did_you_mean`` gives the text back.

    .venv/bin/python bench/restore.py --config /work/devindex/news00.toml
    .venv/bin/python bench/restore.py --config NEWS00.toml --text ../shared/corpus/news-00.jsonl.gz

Corpus: whatever the config's index holds (news-00 + the sample for the dev
index); machine: 2 cores.  Prints a table (search = the whole search; helpers =
accent restoration and did-you-mean inside it), and the misses with ``--misses``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import resource
import statistics
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.relevance import letter_typo  # noqa: E402
from index.analysis import fold, has_diacritics, syllables  # noqa: E402
from index.settings import load_config  # noqa: E402
from search.searcher import Searcher  # noqa: E402

KINDS = {"known": ("known-folded", "known-accented"), "name": ("name-folded", "name-accented")}
TONE_MARKS = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323")  # grave, acute, tilde, hook, dot


def wrong_tone(query: str, rng: random.Random) -> str | None:
    """*query* with the tone mark of one of its marked syllables changed, or None if it has none."""
    words = query.split()
    marked = [i for i, w in enumerate(words) if any(c in TONE_MARKS for c in unicodedata.normalize("NFD", w))]
    if not marked:
        return None
    at = rng.choice(marked)
    word = unicodedata.normalize("NFD", words[at])
    old = next(c for c in word if c in TONE_MARKS)
    new = rng.choice(["", *(m for m in TONE_MARKS if m != old)])
    words[at] = unicodedata.normalize("NFC", word.replace(old, new, 1))
    return " ".join(words)


def read_pairs(path: Path, kind: str) -> list[tuple[str, str]]:
    folded_kind, accented_kind = KINDS[kind]
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        qid, query, row_kind = line.split("\t")
        rows[qid] = (query, row_kind)
    pairs = []
    for qid, (query, row_kind) in rows.items():
        if row_kind == folded_kind:
            twin = rows.get(qid[:-1] + "a")
            if twin and twin[1] == accented_kind:
                pairs.append((query, twin[0]))
    return pairs


_CLAUSE = re.compile(r"[.,;:!?()\"“”'‘’\n\-–—/]")


def text_runs(path: Path, count: int, seed: int = 7) -> list[tuple[str, str]]:
    """*count* ``(field, run)``: runs of two or three syllables with diacritics, each within one
    clause of an article's title or body, cut at random from the corpus file *path*."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        articles = [json.loads(line) for line in lines]
    rng = random.Random(seed)
    runs: list[tuple[str, str]] = []
    while len(runs) < count:
        field = rng.choice(("title", "body"))
        clauses = [c.split() for c in _CLAUSE.split((rng.choice(articles).get(field) or "")[:3000])]
        clauses = [words for words in clauses if len(words) >= 3]
        if not clauses:
            continue
        words = rng.choice(clauses)
        length = rng.choice((2, 2, 3))
        at = rng.randrange(len(words) - length + 1)
        run = " ".join(words[at : at + length])
        if len(syllables(run)) == length and all(w.isalpha() for w in run.split()) and has_diacritics(run):
            runs.append((field, run))
    return runs


def heading(title: str, columns: list[str], text_columns: int = 1) -> None:
    """A table's title, after a blank line, and its header (the first *text_columns* left-aligned)."""
    print()
    print(title)
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * text_columns + "---:|" * (len(columns) - text_columns))


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _time_helpers(searcher: Searcher) -> list[float]:
    """Time the helpers' part of each search (reading + did you mean), in ms, into a list."""
    spent: list[float] = []
    helpers = searcher.helpers
    for name in ("reading", "did_you_mean"):
        hook = getattr(helpers, name)

        def timed(*args, _hook=hook):
            started = time.perf_counter()
            try:
                return _hook(*args)
            finally:
                spent.append((time.perf_counter() - started) * 1000)

        setattr(helpers, name, timed)
    return spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", help="config of the index to measure (default: the project's)")
    parser.add_argument("--queries", default=str(ROOT.parent / "shared" / "queries" / "dev-queries.tsv"))
    parser.add_argument("--kinds", default="known,name", help="comma-separated: known, name")
    parser.add_argument("--misses", action="store_true", help="list the queries restored wrongly")
    parser.add_argument("--text", help="a corpus file the index holds: also restore random runs of its text")
    parser.add_argument("--text-runs", type=int, default=2000, help="runs cut from --text (default 2000)")
    args = parser.parse_args(argv)

    # Every query evaluated here: results shared by server processes would flatter the times.
    searcher = Searcher(load_config(args.config).with_overrides(search__shared_result_cache=0))
    searcher.search("khởi động")  # open the index and load pyvi outside the timings
    helper_ms = _time_helpers(searcher)
    print(f"index: {searcher.document_count()} documents ({args.config or 'config.toml'})")
    print(
        "| kind | queries | exact | share | accented twin in the index | exact among those | "
        "search p50 ms | search p99 ms | helpers p50 ms | helpers p99 ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    misses = []
    for kind in args.kinds.split(","):
        pairs = read_pairs(Path(args.queries), kind)
        right, present, right_present, took, helped = 0, 0, 0, [], []
        for folded, accented in pairs:
            helper_ms.clear()
            started = time.perf_counter()
            offered = searcher.search(folded).did_you_mean
            took.append((time.perf_counter() - started) * 1000)
            helped.append(sum(helper_ms))
            # Restoration learns from the index: a reading it never holds cannot be learned.
            exact = searcher.search(f'"{accented}"', per_page=1)
            holds = exact.total > 0 and not exact.relaxed
            present += holds
            expected = syllables(accented)
            if (offered is None and not has_diacritics(accented)) or (
                offered is not None and syllables(offered) == expected
            ):
                right += 1
                right_present += holds
            else:
                misses.append((kind, folded, accented, offered, holds))
        print(
            f"| {kind} | {len(pairs)} | {right} | {right / max(1, len(pairs)):.1%} | {present} | "
            f"{right_present / max(1, present):.1%} | {statistics.median(took):.1f} | {p99(took):.1f} | "
            f"{statistics.median(helped):.1f} | {p99(helped):.1f} |"
        )
    heading(
        "A wrong tone mark (the accented twins, one syllable's mark changed), and the twins as typed:",
        ["kind", "typos", "given back", "offered otherwise", "twins as typed", "offered there (wrong)"],
    )
    rng = random.Random(16)
    for kind in args.kinds.split(","):
        twins = [accented for _, accented in read_pairs(Path(args.queries), kind)]
        typos = [(typo, twin) for twin in twins if (typo := wrong_tone(twin, rng)) is not None]
        back = other = 0
        for typo, twin in typos:
            offered = searcher.search(typo).did_you_mean
            if offered is not None and syllables(offered) == syllables(twin):
                back += 1
            elif offered is not None:
                other += 1
                misses.append((f"{kind}, tone", typo, twin, offered, None))
        wrong = 0
        for twin in twins:
            offered = searcher.search(twin).did_you_mean
            if offered is not None:
                wrong += 1
                misses.append((f"{kind}, as typed", twin, twin, offered, None))
        print(
            f"| {kind} | {len(typos)} | {back} ({back / max(1, len(typos)):.1%}) | {other} | {len(twins)} | {wrong} |"
        )
    if args.text:
        heading(
            f"Runs of two or three syllables cut at random from {Path(args.text).name}, folded:",
            ["field", "runs", "given back"],
        )
        cut = text_runs(Path(args.text), args.text_runs)
        for field in ("title", "body"):
            runs = [run for at, run in cut if at == field]
            back = 0
            for run in runs:
                offered = searcher.search(fold(run).lower()).did_you_mean
                if offered is not None and syllables(offered) == syllables(run):
                    back += 1
                else:
                    misses.append((f"text, {field}", fold(run).lower(), run, offered, True))
            print(f"| {field} | {len(runs)} | {back} ({back / max(1, len(runs)):.1%}) |")
    heading(
        "A letter typo in one syllable (doubled, dropped, swapped, a key beside):",
        ["kind", "typed", "typos", "given back", "letters given back", "nothing offered"],
        text_columns=2,
    )
    rng = random.Random(18)
    for kind in args.kinds.split(","):
        pairs = read_pairs(Path(args.queries), kind)
        for typed, index in (("folded", 0), ("accented", 1)):
            typos = [(typo, pair[1]) for pair in pairs if (typo := letter_typo(pair[index], rng)) is not None]
            back = letters = none = 0
            for typo, twin in typos:
                offered = searcher.search(typo).did_you_mean
                if offered is None:
                    none += 1
                elif syllables(offered) == syllables(twin):
                    back += 1
                if offered is not None and fold(" ".join(syllables(offered))) == fold(" ".join(syllables(twin))):
                    letters += 1
                else:
                    misses.append((f"{kind}, {typed} typo", typo, twin, offered, None))
            print(
                f"| {kind} | {typed} | {len(typos)} | {back} ({back / max(1, len(typos)):.1%}) | "
                f"{letters} ({letters / max(1, len(typos)):.1%}) | {none} |"
            )
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.misses:
        for kind, folded, accented, offered, holds in misses:
            # None: not looked up (the tone-mark table's misses)
            where = "not looked up" if holds is None else "in the index" if holds else "not in the index"
            print(f"{kind}\t{folded}\texpected: {accented} ({where})\toffered: {offered}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
