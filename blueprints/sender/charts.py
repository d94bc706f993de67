"""Geometry of the small server-rendered SVG chart of a share link's numbers."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT, PAD = 600, 160, 24


@dataclass
class Bar:
    """One day's bars: x position and heights for visits, confirmations, consents."""

    day: date
    x: float
    width: float
    heights: tuple[float, float, float]
    values: tuple[int, int, int]


def daily_bars(series: list[tuple[date, int, int, int]]) -> tuple[list[Bar], int]:
    """Lay out one group of three bars per day, scaled to the largest value; return the bars and that maximum."""
    peak = max((max(v, c, o) for _d, v, c, o in series), default=0)
    if not series:
        return [], 0
    slot = (WIDTH - 2 * PAD) / len(series)
    scale = (HEIGHT - 2 * PAD) / peak if peak else 0
    bars = [
        Bar(day=d, x=PAD + i * slot, width=max(slot / 3 - 1, 1), heights=(v * scale, c * scale, o * scale),
            values=(v, c, o))
        for i, (d, v, c, o) in enumerate(series)
    ]
    return bars, peak
