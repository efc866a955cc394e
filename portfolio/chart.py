"""Hours saved by month as a server-rendered SVG bar chart (no JavaScript, no library).

The template draws what `month_bars` computes: one bar per calendar month,
empty months included so gaps in the history are visible.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

MAX_MONTHS = 24
WIDTH = 720
HEIGHT = 220
PLOT_TOP = 20
PLOT_BOTTOM = 180  # bars stand on this line; month labels go below it
LEFT = 40
RIGHT = 10


@dataclass(frozen=True)
class Bar:
    month: datetime.date
    hours: float
    x: float
    y: float
    width: float
    height: float
    label_x: float
    show_label: bool

    @property
    def label(self) -> str:
        return self.month.strftime("%b %Y")

    @property
    def short_label(self) -> str:
        return self.month.strftime("%b %y")


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    max_hours: float
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    plot_top: int = PLOT_TOP
    plot_bottom: int = PLOT_BOTTOM

    @property
    def axis_right(self) -> int:
        return self.width - RIGHT

    @property
    def label_y(self) -> int:
        return self.plot_bottom + 16


def _add_month(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_bars(rows: list[tuple[datetime.date, float]]) -> Chart | None:
    """Lay out the last MAX_MONTHS months up to the latest one with artifacts."""
    if not rows:
        return None
    by_month = {month.replace(day=1): hours for month, hours in rows}
    last = max(by_month)
    first = max(min(by_month), _add_month(last, -(MAX_MONTHS - 1)))
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = _add_month(month, 1)

    top = max((by_month.get(m, 0.0) for m in months), default=0.0) or 1.0
    slot = (WIDTH - LEFT - RIGHT) / len(months)
    bar_width = max(slot * 0.7, 2)
    # Label every month when there is room, otherwise every few.
    every = max(1, round(len(months) / 8))
    bars = []
    for i, month in enumerate(months):
        hours = by_month.get(month, 0.0)
        height = (PLOT_BOTTOM - PLOT_TOP) * hours / top
        x = LEFT + i * slot + (slot - bar_width) / 2
        bars.append(
            Bar(
                month=month,
                hours=hours,
                x=round(x, 1),
                y=round(PLOT_BOTTOM - height, 1),
                width=round(bar_width, 1),
                height=round(height, 1),
                label_x=round(x + bar_width / 2, 1),
                show_label=(len(months) - 1 - i) % every == 0,
            )
        )
    return Chart(bars=bars, max_hours=top)
