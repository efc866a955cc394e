"""Hours saved by month as a server-rendered SVG bar chart (no JavaScript, no library).

The template draws what `month_bars` computes: one bar per calendar month,
empty months included so gaps in the history are visible, each bar with its
value and the plot with gridlines at round numbers.

The chart shows at most MAX_MONTHS months, ending with the latest month of
work up to today: a date typed as 2999 (stored before dates were checked)
must not push the real history off the chart. What falls outside the window
is totalled (`earlier_hours`, `later_hours`) so the page can say so, and
the bars plus those totals always add up to the headline.
"""

from __future__ import annotations

import datetime
import functools
import math
from dataclasses import dataclass

MAX_MONTHS = 24
WIDTH = 720
HEIGHT = 240
PLOT_TOP = 24  # room for the tallest bar's value label
PLOT_BOTTOM = 200  # bars stand on this line; month labels go below it
LEFT = 40
RIGHT = 10
GRID_LINES = 4  # at most this many intervals between 0 and the top gridline
VALUE_LABEL_MIN_SLOT = 22  # narrower slots have no room for a value above the bar


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
    share: float = 0.0  # of the tallest gridline, 0-100, for the narrow-screen list

    @property
    def label(self) -> str:
        return self.month.strftime("%b %Y")

    @property
    def short_label(self) -> str:
        return self.month.strftime("%b %y")

    @property
    def value_y(self) -> float:
        return round(self.y - 4, 1)


@dataclass(frozen=True)
class GridLine:
    hours: float
    y: float


@dataclass(frozen=True)
class Chart:
    bars: tuple[Bar, ...]
    max_hours: float  # the top gridline: the scale of the plot
    grid: tuple[GridLine, ...] | None = None
    earlier_hours: float = 0.0  # months before the window
    later_hours: float = 0.0  # months after today (dates that cannot be right)
    show_values: bool = True
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
        return self.plot_bottom + 18

    @property
    def first(self) -> datetime.date:
        return self.bars[0].month

    @property
    def last(self) -> datetime.date:
        return self.bars[-1].month

    @property
    def shown_hours(self) -> float:
        return sum(bar.hours for bar in self.bars)

    @property
    def whole_history(self) -> bool:
        return not (self.earlier_hours or self.later_hours)


def _add_month(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def nice_step(top: float, intervals: int = GRID_LINES) -> float:
    """A round gridline step (1, 2, 2.5 or 5 times a power of ten) covering `top`."""
    if top <= 0:
        return 1.0
    raw = top / intervals
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power  # pragma: no cover - the loop always returns


def month_bars(
    rows: list[tuple[datetime.date, float]], *, today: datetime.date | None = None
) -> Chart | None:
    """Lay out up to MAX_MONTHS months ending with the latest month of work up to `today`.

    The portfolio page and the dashboard ask on every request, mostly for months
    and a day they asked for before: the layout is a function of those alone, so a
    process remembers the last few (a Chart is frozen, its bars and grid tuples)."""
    if not rows:
        return None
    return _laid_out(tuple((month, hours) for month, hours in rows), today or datetime.date.today())


@functools.lru_cache(maxsize=256)
def _laid_out(rows: tuple[tuple[datetime.date, float], ...], today: datetime.date) -> Chart:
    by_month: dict[datetime.date, float] = {}
    for month, hours in rows:
        key = month.replace(day=1)
        by_month[key] = by_month.get(key, 0.0) + (hours or 0.0)
    this_month = today.replace(day=1)
    past = [month for month in by_month if month <= this_month]
    # Only future-dated work: draw it rather than an empty chart.
    last = max(past) if past else max(by_month)
    first = max(min(by_month), _add_month(last, -(MAX_MONTHS - 1)))
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = _add_month(month, 1)

    tallest = max((by_month.get(m, 0.0) for m in months), default=0.0)
    step = nice_step(tallest)
    top = step * max(1, math.ceil(tallest / step)) if tallest else step
    span = PLOT_BOTTOM - PLOT_TOP
    grid = tuple(
        GridLine(hours=step * i, y=round(PLOT_BOTTOM - span * step * i / top, 1))
        for i in range(round(top / step) + 1)
    )
    slot = (WIDTH - LEFT - RIGHT) / len(months)
    bar_width = max(slot * 0.7, 2)
    # Label every month when there is room, otherwise every few.
    every = max(1, round(len(months) / 8))
    bars = []
    for i, month in enumerate(months):
        hours = by_month.get(month, 0.0)
        height = span * hours / top
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
                share=round(100 * hours / top, 1),
            )
        )
    return Chart(
        bars=tuple(bars),
        max_hours=top,
        grid=grid,
        earlier_hours=sum(h for m, h in by_month.items() if m < first),
        later_hours=sum(h for m, h in by_month.items() if m > last),
        show_values=slot >= VALUE_LABEL_MIN_SLOT,
    )
