"""Words run together: does a reader who types ``boyte`` or ``covid19`` get the results of
*Bộ Y tế* and ``Covid-19``?

Syllables: the first two and the first three syllables of every folded known item of the judged
set (pieces of titles, ``bo y te``), typed without their spaces (``boyte``); the search's
``showing_results_for``, folded, must be the syllables apart.

Letters run into digits, taken from the corpus's titles: every letters-and-digits pair the titles write
apart (``Covid-19``, ``iPhone 13``) at least twice and never whole is typed run together
(``covid19``), and the search's ``showing_results_for`` must be the two apart; every code the
titles write whole (``U23``, ``H5N1``) at least twice is typed so, and must be searched as typed.
A pair whose word is a Vietnamese syllable and whose digit a tone (``sau3``) reads as VNI
(*sảu*), as the typing rules say; another reading shown is counted apart (``--misses`` lists it).

    .venv/bin/python bench/run_together.py --config /work/devindex/news00.toml

Corpus: the titles of ``--corpus`` (news-00 by default), searched in the config's index.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.analysis import fold  # noqa: E402
from index.settings import load_config  # noqa: E402
from search.searcher import Searcher  # noqa: E402

APART = re.compile(r"\b([A-Za-z]{2,})[- ]([0-9]{1,4})\b")
WHOLE = re.compile(r"\b([A-Za-z]+[0-9]+[A-Za-z0-9]*)\b")


def title_words(corpus: Path) -> tuple[Counter, Counter]:
    apart: Counter = Counter()
    whole: Counter = Counter()
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        for line in lines:
            title = json.loads(line).get("title") or ""
            apart.update((m.group(1).lower(), m.group(2)) for m in APART.finditer(title))
            whole.update(m.group(1).lower() for m in WHOLE.finditer(title))
    return apart, whole


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", help="config of the index to search (default: the project's)")
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "news-00.jsonl.gz"))
    parser.add_argument("--queries", default=str(ROOT.parent / "shared" / "queries" / "dev-queries.tsv"))
    parser.add_argument("--misses", action="store_true", help="list the words not searched as meant")
    args = parser.parse_args(argv)
    apart, whole = title_words(Path(args.corpus))
    searcher = Searcher(load_config(args.config).with_overrides(search__shared_result_cache=0))
    searcher.search("khởi động")  # open the index and load pyvi
    right, other, missed = 0, 0, []  # other: another reading shown (a VNI tone digit: sau3 is sảu)
    pairs = [(word, digits) for (word, digits), count in apart.items() if count >= 2 and not whole[word + digits]]
    for word, digits in pairs:
        shown = searcher.search(word + digits).showing_results_for
        if shown is not None and fold(shown.lower()) == f"{word} {digits}":
            right += 1
        elif shown is not None:
            other += 1
            missed.append((word + digits, shown))
        else:
            missed.append((word + digits, None))
    codes = [code for code, count in whole.items() if count >= 2]
    changed = [(code, shown) for code in codes if (shown := searcher.search(code).showing_results_for) is not None]
    pieces = sorted(
        {
            " ".join(words[:length])
            for line in Path(args.queries).read_text(encoding="utf-8").splitlines()[1:]
            if line.split("\t")[2] == "known-folded"
            for words in [line.split("\t")[1].lower().split()]
            for length in (2, 3)
            if len(words) >= length and all(w.isascii() and w.isalpha() for w in words[:length])
        }
    )
    joined_right, joined_missed = 0, []
    for piece in pieces:
        shown = searcher.search(piece.replace(" ", "")).showing_results_for
        if shown is not None and fold(shown.lower()) == piece:
            joined_right += 1
        else:
            joined_missed.append((piece.replace(" ", ""), shown))
    print(f"index: {searcher.document_count()} documents ({args.config or 'config.toml'}); titles of {args.corpus}")
    print("| typed | words | searched as meant | read otherwise |")
    print("|---|---:|---:|---:|")
    print(
        f"| syllables run together (boyte) | {len(pieces)} | {joined_right} ({joined_right / max(1, len(pieces)):.1%}) "
        f"| {len(pieces) - joined_right} |"
    )
    print(
        f"| written apart, typed together (covid19) | {len(pairs)} | {right} | {other} another reading, {len(missed) - other} as typed |"
    )
    print(f"| codes written whole, typed so (u23) | {len(codes)} | {len(codes) - len(changed)} | {len(changed)} |")
    if args.misses:
        for typed, shown in [*joined_missed, *missed, *changed]:
            print(f"{typed}\tshown: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
