"""Geometry of the server-rendered daily charts (a share link's numbers, the manager's funnel): bars and dated axis."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import format_skeleton
from flask_babel import get_locale

SLOT, BAR, HEIGHT = 10, 8, 100  # SVG units per day, bar width, plot height (the SVG stretches to its box)
TICK_EVERY = 7  # days between dated ticks, counted back from the last day


@dataclass
class Day:
    """One day of a chart: its values, its bars as (series index, value, height) drawn tallest first, its labels."""

    day: date
    short: str  # «30 nov.» / «Nov 30»
    long: str  # «lun. 30 nov.» / «Mon, Nov 30»
    x: float
    values: tuple[int, ...]
    bars: list[tuple[int, int, float]]
    tick: bool


@dataclass
class DailyChart:
    """A chart of several series per day: the days oldest first, the largest value, the plot's size."""

    days: list[Day]
    peak: int
    width: int
    height: int = HEIGHT
    bar: int = BAR

    @property
    def empty(self) -> bool:
        """True when every value of every day is zero."""
        return self.peak == 0


def daily_chart(series: list[tuple]) -> DailyChart:
    """Lay out (day, value, value, ...) rows: each day's bars overlap, tallest behind, scaled to the largest value."""
    peak = max((max(values) for _day, *values in series), default=0)
    last, locale = len(series) - 1, get_locale()
    days = []
    for i, (day, *values) in enumerate(series):
        # Funnel steps shrink from one to the next, so the bars overlap rather than stand side by side: each day
        # keeps a bar wide enough to read and to point at on a 360 px phone.
        bars = sorted(((index, value, HEIGHT * value / peak) for index, value in enumerate(values) if value),
                      key=lambda bar: -bar[1])
        days.append(Day(day=day, short=format_skeleton("MMMd", day, locale=locale),
                        long=format_skeleton("MMMEd", day, locale=locale), x=i * SLOT + (SLOT - BAR) / 2,
                        values=tuple(values), bars=bars, tick=(last - i) % TICK_EVERY == 0))
    return DailyChart(days=days, peak=peak, width=len(series) * SLOT)
