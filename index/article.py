"""The article record: what every source is parsed into and every index view is built from."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from index.analysis import normalize

# Asia/Ho_Chi_Minh has been UTC+7 without daylight saving since 1975.
LOCAL_TZ = timezone(timedelta(hours=7))

# Lone surrogates (JSON can spell them: "\ud800") are no text: they cannot even be written as UTF-8.
# C1 controls and the bidirectional marks and overrides (U+061C, U+200E-U+200F, U+202A-U+202E,
# U+2066-U+2069) would let an id show as other text in pages and CSV.
_ID_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f/\\?#%\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_ID_RESERVED = (".", "..")  # path segments: /articles/.. is not this article's page
MAX_ID_CHARS = 200
TEXT_FIELDS = ("title", "summary", "body", "captions", "author")  # the texts an article is searched by


class InvalidArticle(ValueError):
    """A record that cannot become an article (no id, no text, a bad field)."""


@dataclass
class Article:
    id: str
    title: str = ""
    summary: str = ""
    body: str = ""
    captions: list[str] = field(default_factory=list)
    author: str = ""
    published: datetime | None = None  # aware, in LOCAL_TZ
    date_only: bool = False  # the source gave a day, not a time
    url: str = ""
    category: str = ""
    source: str = ""

    @property
    def published_iso(self) -> str:
        """``2022-01-13T14:23+07:00``, or ``2021-03-20`` for a day, or ``""``."""
        if self.published is None:
            return ""
        if self.date_only:
            return self.published.date().isoformat()
        return self.published.strftime("%Y-%m-%dT%H:%M") + "+07:00"

    def texts(self) -> dict[str, str]:
        """Each of :data:`TEXT_FIELDS` as the index holds it (captions one a line)."""
        return {
            "title": self.title,
            "summary": self.summary,
            "body": self.body,
            "captions": "\n".join(self.captions),
            "author": self.author,
        }

    def to_json(self) -> dict:
        """The record in the JSON Lines shape that :meth:`from_json` reads back."""
        record = {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "body": self.body,
            "captions": list(self.captions),
            "author": self.author,
            "date": self.published_iso,
            "url": self.url,
            "category": self.category,
            "source": self.source,
        }
        return {k: v for k, v in record.items() if v or k == "id"}

    def digest(self) -> bytes:
        """A hash of the parsed article: equal for the same content, however the source spelled it
        (whitespace, key order), so a re-scraped page with identical text is seen as unchanged."""
        canonical = json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.blake2b(canonical.encode("utf-8"), digest_size=16).digest()

    @classmethod
    def from_json(cls, record: object, default_source: str = "") -> Article:
        """Validate one JSON object in the shape of ``../shared/corpus``."""
        if not isinstance(record, dict):
            raise InvalidArticle("a record must be a JSON object")
        article = cls(id=check_id(record.get("id")))
        for name in ("title", "summary", "body", "author", "url", "category", "source"):
            value = record.get(name)
            if value is None:
                continue
            if not isinstance(value, str):
                raise InvalidArticle(f"field {name!r} must be a string")
            setattr(article, name, clean_text(value))
        captions = record.get("captions") or []
        if isinstance(captions, str):
            captions = [captions]
        if not isinstance(captions, list) or not all(isinstance(c, str) for c in captions):
            raise InvalidArticle("field 'captions' must be a list of strings")
        article.captions = [clean_text(c) for c in captions if c.strip()]
        article.source = article.source or default_source
        date_value = record.get("date") or record.get("published")
        if date_value:
            if not isinstance(date_value, str):
                raise InvalidArticle("field 'date' must be an ISO date string")
            article.published, article.date_only = parse_iso_date(date_value)
        if not (article.title.strip() or article.body.strip() or article.summary.strip()):
            raise InvalidArticle("no text: title, summary and body are all empty")
        return article


def check_id(value: object) -> str:
    """A document id: a non-empty string (or integer) without spaces, slashes or controls."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise InvalidArticle("no id: every record needs a non-empty string 'id'")
    if len(value) > MAX_ID_CHARS or _ID_FORBIDDEN.search(value) or value in _ID_RESERVED:
        raise InvalidArticle(
            f"bad id {value[:60]!r}: at most {MAX_ID_CHARS} characters; letters, digits and punctuation "
            "are allowed, except / \\ ? # %, spaces, control characters (C0 and C1) and bidirectional "
            "marks or overrides, and an id may not be . or .. alone"
        )
    return value


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Text as it will be stored and shown: normalised, control characters removed, and a lone
    surrogate (a broken JSON escape) replaced by U+FFFD, as invalid UTF-8 in a URL is."""
    return _CONTROL.sub("", normalize(_SURROGATE.sub("\ufffd", text))).strip()


def parse_iso_date(value: str) -> tuple[datetime, bool]:
    """``2021-03-20`` (a day) or an ISO date-time; naive times are local (UTC+7)."""
    value = value.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), LOCAL_TZ), True
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidArticle(f"bad date {value[:40]!r}: expected YYYY-MM-DD or an ISO date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LOCAL_TZ)
    try:
        return parsed.astimezone(LOCAL_TZ), False
    except OverflowError:  # 9999-12-31T23:59-05:00 is in year 10000 in Hanoi
        raise InvalidArticle(f"bad date {value[:40]!r}: out of range in UTC+7 (years 1 to 9999)") from None
