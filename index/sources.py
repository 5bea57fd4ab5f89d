"""Reading sources: the portal's ``.txt`` files and JSON Lines files, into articles.

A source path is a portal file, a JSON Lines file (``.jsonl``, ``.jsonl.gz``) or
a folder searched recursively for both.  Reading never stops at a broken record:
each one is yielded as a :class:`Problem` naming its file and line, and the
caller counts and reports them.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from index.article import LOCAL_TZ, Article, InvalidArticle, check_id, clean_text

PORTAL_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")


@dataclass(frozen=True)
class Problem:
    """A record that was skipped (``skipped``) or read with a warning."""

    location: str  # "path:line" or "path"
    message: str
    skipped: bool = True

    def __str__(self) -> str:
        kind = "skipped" if self.skipped else "warning"
        return f"{self.location}: {kind}: {self.message}"


class SourceError(OSError):
    """A source path that does not exist or is of an unknown kind."""


def expand(paths: Iterable[str | Path]) -> list[Path]:
    """The files that *paths* name, folders expanded recursively, in a stable order."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and _kind(p)))
        elif path.is_file():
            if not _kind(path):
                raise SourceError(f"{path}: not a portal .txt file or a .jsonl/.jsonl.gz file")
            files.append(path)
        else:
            raise SourceError(f"{path}: no such file or folder")
    return files


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(PORTAL_SUFFIXES):
        return "portal"
    return None


def read_sources(paths: Iterable[str | Path], portal_source: str = "hnp") -> Iterator[Article | Problem]:
    """Every article of every file under *paths*, and a :class:`Problem` per bad record."""
    for path in expand(paths):
        yield from read_file(path, portal_source)


def read_file(path: Path, portal_source: str = "hnp") -> Iterator[Article | Problem]:
    """The articles of one source file (as :func:`expand` lists them), and its problems."""
    if _kind(path) == "jsonl":
        return read_jsonl(path)
    return read_portal_file(path, portal_source)


def read_with_origins(files: Iterable[Path], portal_source: str = "hnp") -> Iterator[tuple[str, Article | Problem]]:
    """Each record of *files* (as :func:`expand` lists them) with its origin: the absolute path
    of its file, which the index keeps with the article (``python -m index sync`` compares it)."""
    for path in files:
        origin = str(path.resolve())
        for item in read_file(path, portal_source):
            yield origin, item


# --- JSON Lines ----------------------------------------------------------------------


def read_jsonl(path: Path) -> Iterator[Article | Problem]:
    """Articles of a ``.jsonl`` or ``.jsonl.gz`` file, one JSON object a line."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    default_source = path.name.split(".")[0]
    try:
        with opener(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                location = f"{path}:{number}"
                try:
                    found: Article | Problem = Article.from_json(json.loads(raw.decode("utf-8")), default_source)
                except UnicodeDecodeError as exc:
                    found = Problem(location, f"undecodable bytes (not UTF-8) at byte {exc.start}")
                except json.JSONDecodeError as exc:
                    found = Problem(location, f"bad JSON: {exc.msg} at column {exc.colno}")
                except InvalidArticle as exc:
                    found = Problem(location, str(exc))
                except Exception as exc:  # one record (JSON nested too deep...) never stops a build
                    found = Problem(location, f"unreadable record: {type(exc).__name__}: {str(exc)[:200]}")
                yield found
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        # A truncated or corrupt .gz: what was read is kept, the rest is reported.
        yield Problem(str(path), f"cannot read the rest of the file: {exc}")


# --- portal files --------------------------------------------------------------------

# "(14:23 13/01/2022)" at the end of the title line.
_TITLE_TIME = re.compile(r"\(\s*(\d{1,2}):(\d{2})\s+(\d{1,2})/(\d{1,2})/(\d{4})\s*\)\s*$")
# The page's furniture starts at the first of these lines.
_FURNITURE = ("các bài mới đăng", "các bài đã đăng", "viết bình luận")
_DATELINE = re.compile(r"^\s*HNP\s*[-–—]\s*")
# A paragraph ends a sentence; a caption or a byline does not.
_SENTENCE_END = tuple(".!?…:;\"”'»)")
MAX_CAPTION_CHARS = 200
MAX_BYLINE_CHARS = 60


def read_portal_file(path: Path, source: str = "hnp") -> Iterator[Article | Problem]:
    """The one article of a portal page saved as text; its id is the file name."""
    location = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield Problem(location, f"cannot read: {exc.strerror}")
        return
    try:
        text = _decode_portal(raw)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        yield Problem(f"{path}:{line}", f"undecodable bytes (not UTF-8) at byte {exc.start}")
        return
    try:
        article = parse_portal_text(text, path.name.rsplit(".", 1)[0], source)
    except InvalidArticle as exc:
        yield Problem(location, str(exc))
        return
    if article.published is None:
        yield Problem(f"{path}:1", "title line has no '(HH:MM DD/MM/YYYY)' time: indexed undated", skipped=False)
    yield article


def _decode_portal(raw: bytes) -> str:
    """UTF-8, except that bad bytes in the page furniture (never indexed) are tolerated."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = raw.decode("utf-8", errors="replace")
        lowered = text.lower()
        starts = [lowered.find(marker) for marker in _FURNITURE if marker in lowered]
        if starts and len(raw[: exc.start].decode("utf-8", errors="replace")) >= min(starts):
            return text
        raise


def parse_portal_text(text: str, doc_id: str, source: str = "hnp") -> Article:
    """Split a portal page into title, time, lead, body, captions and byline."""
    lines = [clean_text(line) for line in text.splitlines()]  # NBSP-only lines become ""
    while lines and not lines[0]:
        lines.pop(0)
    if not lines:
        raise InvalidArticle("no text: the file is empty")
    article = Article(id=check_id(doc_id), source=source)
    title_line, rest = lines[0], lines[1:]
    match = _TITLE_TIME.search(title_line)
    if match:
        hour, minute, day, month, year = (int(g) for g in match.groups())
        try:
            article.published = datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)
        except ValueError:
            article.published = None
        title_line = title_line[: match.start()]
    article.title = title_line.strip()

    for i, line in enumerate(rest):
        if line.lower().startswith(_FURNITURE):
            rest = rest[:i]
            break
    blocks = [line for line in rest if line]

    lead_index = next((i for i, b in enumerate(blocks) if _DATELINE.match(b)), None)
    if lead_index is not None:
        article.summary = _DATELINE.sub("", blocks[lead_index]).strip()
    if blocks and len(blocks) - 1 != lead_index and _is_byline(blocks[-1]):
        article.author = blocks.pop()
    paragraphs = []
    for i, block in enumerate(blocks):
        if i == lead_index:
            continue
        if _is_caption(block):
            article.captions.append(block)
        else:
            paragraphs.append(block)
    article.body = "\n".join(paragraphs)
    if not (article.title or article.summary or article.body):
        raise InvalidArticle("no text: no title and no paragraphs")
    return article


def _is_caption(block: str) -> bool:
    return len(block) <= MAX_CAPTION_CHARS and not block.endswith(_SENTENCE_END)


def _is_byline(block: str) -> bool:
    return len(block) <= MAX_BYLINE_CHARS and len(block.split()) <= 6 and not block.endswith(_SENTENCE_END)
