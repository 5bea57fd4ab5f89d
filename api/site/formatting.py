"""Dates, numbers and periods written the Vietnamese way (``13/01/2022 14:23``, ``10.000``)."""

from __future__ import annotations

import calendar
from datetime import date, datetime

from index.article import LOCAL_TZ

UNKNOWN_DATE = "không rõ ngày"


def published_label(published: str) -> str:
    """``2022-01-13T14:23+07:00`` → ``13/01/2022 14:23``; ``2021-03-20`` → ``20/03/2021``.

    Times are shown in Hanoi time (the archive's own), whatever offset the
    source wrote.  Empty → ``không rõ ngày``; anything unreadable is shown as
    written rather than hidden.
    """
    text = (published or "").strip()
    if not text:
        return UNKNOWN_DATE
    if len(text) == 10:
        try:
            return date.fromisoformat(text).strftime("%d/%m/%Y")
        except ValueError:
            return text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL_TZ)
    return moment.strftime("%d/%m/%Y %H:%M")


def day_label(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def month_label(key: str) -> str:
    """``2022-03`` → ``tháng 3/2022``."""
    year, month = key.split("-")[:2]
    return f"tháng {int(month)}/{year}"


def number(n: int) -> str:
    """``12345`` → ``12.345`` (Vietnamese groups thousands with dots)."""
    return f"{n:,}".replace(",", ".")


def articles(n: int) -> str:
    return f"{number(n)} bài viết"


def full_year(start: date | None, end: date | None) -> int | None:
    """The year that ``start``–``end`` covers exactly, if it is one whole year."""
    if start and end and start == date(start.year, 1, 1) and end == date(start.year, 12, 31):
        return start.year
    return None


def full_month(start: date | None, end: date | None) -> tuple[int, int] | None:
    """(year, month) when ``start``–``end`` is exactly one whole month."""
    if (
        start
        and end
        and start.day == 1
        and (start.year, start.month) == (end.year, end.month)
        and end.day == calendar.monthrange(start.year, start.month)[1]
    ):
        return start.year, start.month
    return None


def period_label(start: date | None, end: date | None) -> str:
    """A date filter as a reader would say it: ``năm 2022``, ``tháng 3/2022``, ``từ 01/03/2022``…"""
    year = full_year(start, end)
    if year:
        return f"năm {year}"
    month = full_month(start, end)
    if month:
        return f"tháng {month[1]}/{month[0]}"
    if start and end:
        return day_label(start) if start == end else f"{day_label(start)} – {day_label(end)}"
    if start:
        return f"từ {day_label(start)}"
    if end:
        return f"đến {day_label(end)}"
    return ""
