"""The load run's table (Markdown) and chart (SVG, written by hand: no plotting library)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Result:
    page: str
    requests_per_s: float
    p50: float  # milliseconds
    p95: float
    p99: float
    socket_errors: int  # connect, read, write and timeout errors seen by wrk
    non_2xx: int
    server_errors: int  # 5xx, also counted in non_2xx
    requests: int
    slowest_turn: float = 0.0  # req/s of the page's slowest and fastest turns
    fastest_turn: float = 0.0

    @property
    def errors(self) -> int:
        """Anything but a 2xx answer: a redirect to the login page is a failure here too."""
        return self.socket_errors + self.non_2xx

    def summary(self) -> str:
        return (
            f"{self.page:<32}{self.requests_per_s:>8.1f} req/s  p50 {self.p50:>7.1f} ms  "
            f"p99 {self.p99:>7.1f} ms  errors {self.errors}  5xx {self.server_errors}"
        )


def render_markdown(
    results: list[Result], mixed: Result, baseline: str, setup: dict[str, str]
) -> str:
    base = next(r.requests_per_s for r in results if r.page == baseline)
    lines = [
        "| page | req/s | turns, req/s | ratio to baseline | p50 ms | p95 ms | p99 ms "
        "| errors | 5xx |",
        "| --- | --: | --: | --: | --: | --: | --: | --: | --: |",
    ]
    for r in [*results, mixed]:
        name = f"**{r.page}**" if r is mixed else r.page
        lines.append(
            f"| {name} | {r.requests_per_s:,.1f} | "
            f"{r.slowest_turn:,.0f} to {r.fastest_turn:,.0f} | {r.requests_per_s / base:.2f} | "
            f"{r.p50:,.1f} | {r.p95:,.1f} | {r.p99:,.1f} | {r.errors} | {r.server_errors} |"
        )
    lines += [
        "",
        "req/s: the median of the page's turns; turns: its slowest and fastest. "
        "errors: socket errors (connect, read, write, timeout) plus every non-2xx answer; "
        "5xx: server errors among them.",
        "",
    ]
    lines += [f"- {key}: {value}" for key, value in setup.items()]
    return "\n".join(lines) + "\n"


BAR_HEIGHT = 22
ROW = 30
LEFT = 200  # room for the page names
PLOT_WIDTH = 460
TOP = 72
COLOR = "#4a6fa5"
BASELINE_COLOR = "#c46a2b"
MIXED_COLOR = "#888"


def render_svg(results: list[Result], mixed: Result, baseline: str, subtitle: str) -> str:
    base = next(r.requests_per_s for r in results if r.page == baseline)
    results = [*results, mixed]
    top = max(r.requests_per_s for r in results) * 1.15 or 1.0
    width = LEFT + PLOT_WIDTH + 90
    height = TOP + ROW * len(results) + 30

    def x(value: float) -> float:
        return LEFT + PLOT_WIDTH * value / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        '<text x="20" y="22" font-size="15" font-weight="bold">'
        "Requests per second per page (higher is better)</text>",
        f'<text x="20" y="40" font-size="12" fill="#555">{escape(subtitle)}</text>',
    ]
    for i, r in enumerate(results):
        y = TOP + i * ROW
        color = {baseline: BASELINE_COLOR, mixed.page: MIXED_COLOR}.get(r.page, COLOR)
        label = f"{r.requests_per_s:,.0f}  ({r.requests_per_s / base:.2f}\u00d7)"  # times
        parts += [
            f'<text x="{LEFT - 8}" y="{y + 16}" text-anchor="end">{escape(r.page)}</text>',
            f'<rect x="{LEFT}" y="{y}" width="{x(r.requests_per_s) - LEFT:.1f}" '
            f'height="{BAR_HEIGHT}" fill="{color}"/>',
            f'<text x="{x(r.requests_per_s) + 6:.1f}" y="{y + 16}">{label}</text>',
        ]
    line_bottom = TOP + ROW * len(results)
    parts += [
        f'<line x1="{x(base):.1f}" y1="{TOP - 12}" x2="{x(base):.1f}" y2="{line_bottom}" '
        f'stroke="{BASELINE_COLOR}" stroke-width="1.5" stroke-dasharray="5,4"/>',
        f'<text x="{x(base):.1f}" y="{TOP - 16}" text-anchor="middle" fill="{BASELINE_COLOR}">'
        f"baseline {base:,.0f} req/s</text>",
        f'<line x1="{LEFT}" y1="{line_bottom + 4}" x2="{LEFT + PLOT_WIDTH}" '
        f'y2="{line_bottom + 4}" stroke="#999"/>',
        f'<text x="{LEFT}" y="{line_bottom + 20}" fill="#555">0</text>',
        f'<text x="{LEFT + PLOT_WIDTH}" y="{line_bottom + 20}" text-anchor="end" fill="#555">'
        f"{top:,.0f} req/s</text>",
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
