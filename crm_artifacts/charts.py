"""The insights page's weekly chart, laid out in Python and drawn by the template
as inline SVG (no JavaScript library): one 100 % bar per week, split into the
shares of proposals accepted as proposed, edited then accepted, and rejected."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from crm_artifacts.selectors import Rates

WIDTH = 640
LEFT = 56  # room for the percentage labels (larger on phones, see the CSS)
RIGHT = 8
TOP = 8
PLOT_BOTTOM = 160
GAP = 0.25  # of each week's slot, between bars


@dataclass
class Segment:
    kind: str  # accepted | edited | rejected (the CSS class)
    label: str
    count: int
    pct: float
    y: float
    height: float


@dataclass
class Bar:
    start: date
    rates: Rates
    x: float
    width: float
    segments: list[Segment] = field(default_factory=list)

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass
class WeeklyChart:
    bars: list[Bar]
    width: int = WIDTH
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    plot_bottom: int = PLOT_BOTTOM
    grid: list[tuple[int, float]] = field(default_factory=list)  # (percent, y)

    @property
    def height(self) -> int:
        return self.plot_bottom + 28  # the week labels below the axis

    @property
    def label_every(self) -> int:
        """Label every nth week so the dates never overlap."""
        return max(1, round(len(self.bars) / 6))


def weekly_chart(week_starts: list[date], weeks: list[Rates]) -> WeeklyChart:
    plot = PLOT_BOTTOM - TOP
    slot = (WIDTH - RIGHT - LEFT) / max(len(weeks), 1)
    chart = WeeklyChart(bars=[], grid=[(p, PLOT_BOTTOM - plot * p / 100) for p in (0, 50, 100)])
    for n, (start, rates) in enumerate(zip(week_starts, weeks, strict=True)):
        bar = Bar(
            start,
            rates,
            x=round(LEFT + n * slot + slot * GAP / 2, 2),
            width=round(slot * (1 - GAP), 2),
        )
        bottom = float(PLOT_BOTTOM)
        for kind, label, count, pct in (
            ("accepted", "accepted as proposed", rates.accepted, rates.accepted_pct),
            ("edited", "edited, then accepted", rates.edited, rates.edited_pct),
            ("rejected", "rejected", rates.rejected, rates.rejected_pct),
        ):
            height = plot * pct / 100
            bottom -= height
            if count:
                bar.segments.append(
                    Segment(kind, label, count, pct, y=round(bottom, 2), height=round(height, 2))
                )
        chart.bars.append(bar)
    return chart
