"""The numbers and geometry of the charts that ``templates/charts.html`` draws.

The search page's date histogram is a list of links, one per year -- or per
month once a year is chosen, per day once a month is -- so it filters on click
and works with the keyboard; the coverage chart is an SVG of articles per month
with the same numbers in a table for screen readers.  Both are plain HTML/SVG
(no script, no inline styles, so the page's Content-Security-Policy forbids them).
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, field
from datetime import date

from api.site.formatting import articles, month_label
from api.site.state import SearchState
from index.schema import UNDATED

MAX_YEAR_GAP_FILL = 40  # a histogram fills missing years with empty bars up to this span
MAX_MONTH_GAP_FILL = 600  # the coverage chart fills missing months up to this span (50 years)


@dataclass
class Bar:
    label: str  # short, under the bar
    name: str  # spoken: "năm 2022", "tháng 3/2022"
    count: int
    href: str | None
    current: bool = False
    height: int = 0  # percent of the tallest bar


@dataclass
class Timeline:
    heading: str
    up: tuple[str, str] | None  # (label, href) of the wider period
    bars: list[Bar]
    undated: int


def counts(facet: list[dict]) -> dict[str, int]:
    return {f["value"]: f["count"] for f in facet}


def timeline(facets: dict[str, list[dict]], state: SearchState) -> Timeline | None:
    """The date histogram of a search, at the level the date filter asks for."""
    start, end = state.start, state.end
    if start and end and (start.year, start.month) == (end.year, end.month) and "day" in facets:
        year, month = start.year, start.month
        by_day = counts(facets["day"])
        last = calendar.monthrange(year, month)[1]
        bars = []
        for d in range(1, last + 1):
            key = f"{year}-{month:02d}-{d:02d}"
            bars.append(
                Bar(str(d), f"ngày {d}/{month}/{year}", by_day.get(key, 0), state.link(date_from=key, date_to=key))
            )
            bars[-1].current = start == end == date(year, month, d)
        up = (f"Cả năm {year}", state.link(date_from=f"{year}-01-01", date_to=f"{year}-12-31"))
        heading = f"Theo ngày, tháng {month}/{year}"
    elif start and end and start.year == end.year:
        year = start.year
        by_month = counts(facets.get("month", []))
        bars = []
        for m in range(1, 13):
            key = f"{year}-{m:02d}"
            first, last = f"{key}-01", f"{key}-{calendar.monthrange(year, m)[1]:02d}"
            bar = Bar(f"T{m}", f"tháng {m}/{year}", by_month.get(key, 0), state.link(date_from=first, date_to=last))
            bar.current = (state.date_from, state.date_to) == (first, last)
            bars.append(bar)
        up = ("Mọi năm", state.link(date_from="", date_to=""))
        heading = f"Theo tháng, năm {year}"
    else:
        by_year = {int(k): v for k, v in counts(facets.get("year", [])).items() if k.isdigit()}
        years = sorted(by_year)
        if years and years[-1] - years[0] <= MAX_YEAR_GAP_FILL:
            years = list(range(years[0], years[-1] + 1))
        bars = [
            Bar(str(y), f"năm {y}", by_year.get(y, 0), state.link(date_from=f"{y}-01-01", date_to=f"{y}-12-31"))
            for y in years
        ]
        up = None
        heading = "Theo năm"
    undated = counts(facets.get("year", [])).get(UNDATED, 0) if up is None else 0
    if not bars and not undated:
        return None
    highest = max((b.count for b in bars), default=0)
    for bar in bars:
        bar.height = max(2, round(100 * bar.count / highest)) if bar.count else 0
    return Timeline(heading, up, bars, undated)


# --- coverage: articles per month ------------------------------------------------------

CHART_WIDTH = 800
CHART_HEIGHT = 240
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 44, 8, 12, 36


def month_series(facet: list[dict]) -> list[tuple[str, int]]:
    """Every month from the first to the last dated one, with zeroes in between; over a span of
    more than :data:`MAX_MONTH_GAP_FILL` months, only the months that have articles."""
    by_month = {k: v for k, v in counts(facet).items() if len(k) == 7 and k[4] == "-"}
    if not by_month:
        return []
    first, last = min(by_month), max(by_month)
    if (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) >= MAX_MONTH_GAP_FILL:
        # One article dated 0001 and one 9999 made 119,988 bars (2.5 MB of page, 0.7 s).
        return sorted(by_month.items())
    year, month = int(first[:4]), int(first[5:])
    series = []
    while True:
        key = f"{year:04d}-{month:02d}"
        series.append((key, by_month.get(key, 0)))
        if key >= last:
            return series
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _nice_ceiling(n: int) -> int:
    if n <= 5:
        return max(n, 1)
    magnitude = 10 ** int(math.log10(n))
    for step in (1, 2, 2.5, 5, 10):
        if n <= step * magnitude:
            return int(step * magnitude)
    return n


@dataclass
class MonthBar:
    key: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass
class Chart:
    description: str
    base: int  # y of the baseline
    grid: list[tuple[float, int]] = field(default_factory=list)  # (y, value) of each grid line
    ticks: list[tuple[float, int | None]] = field(default_factory=list)  # (x, year labelled or None)
    bars: list[MonthBar] = field(default_factory=list)
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = PLOT_LEFT
    right: int = CHART_WIDTH - PLOT_RIGHT


def coverage_chart(series: list[tuple[str, int]]) -> Chart | None:
    """A column chart of *series* (month key, count), with year ticks."""
    if not series:
        return None
    top = _nice_ceiling(max(c for _, c in series))
    plot_w = CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT
    plot_h = CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    slot = plot_w / len(series)
    gap = slot * 0.15 if slot > 3 else 0
    base = PLOT_TOP + plot_h
    busiest_key, busiest = max(series, key=lambda kc: (kc[1], kc[0]))
    chart = Chart(
        f"Từ {month_label(series[0][0])} đến {month_label(series[-1][0])}; "
        f"nhiều nhất {articles(busiest)} vào {month_label(busiest_key)}.",
        base,
    )
    for value in sorted({0, top // 2, top} if top > 1 else {0, top}):
        chart.grid.append((base - plot_h * value / top, value))
    years = sorted({key[:4] for key, _ in series})
    every = 1 if len(years) <= 12 else 2 if len(years) <= 24 else 5
    for i, (key, count) in enumerate(series):
        if key.endswith("-01") or i == 0:
            year = int(key[:4])
            # The first month's year is labelled only if the next January leaves room for it.
            crowded = i == 0 and not key.endswith("-01") and (13 - int(key[5:])) * slot < 40 and len(years) > 1
            labelled = (year % every == 0 or len(years) <= 12) and not crowded
            chart.ticks.append((PLOT_LEFT + i * slot, year if labelled else None))
        if count:
            h = plot_h * count / top
            chart.bars.append(MonthBar(key, count, PLOT_LEFT + i * slot + gap / 2, base - h, max(slot - gap, 0.5), h))
    return chart


def table_rows(series: list[tuple[str, int]]) -> list[tuple[str, list[int]]]:
    """The chart's numbers by year, newest first: (year, [count of each month])."""
    by_month = dict(series)
    years = sorted({key[:4] for key, _ in series}, reverse=True)
    return [(year, [by_month.get(f"{year}-{m:02d}", 0) for m in range(1, 13)]) for year in years]
