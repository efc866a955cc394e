"""The speed targets of issue 17, checked on one run's figures (`make bench`).

Every target is a ratio between figures of the same run on the same machine,
so it holds when the machine's speed drifts: a page against the bare Django
baseline (fortunes) and against the JSON API, which pays the same session,
user, tenant and queries as a page but renders no template.
"""

from __future__ import annotations

from dataclasses import dataclass

MIXED_MIN_RATIO = 0.4  # mixed run's req/s over the baseline's
PAGE_MIN_RATIO = 0.2  # each HTML page's req/s over the baseline's
PAGE_MIN_API_SHARE = 0.6  # each HTML page's req/s over the JSON API's
MAX_API_MULTIPLE = 2.0  # each page's one-at-a-time p50 over the API's


@dataclass(frozen=True)
class Check:
    what: str
    measured: float
    target: str
    ok: bool

    def line(self) -> str:
        return (
            f"| {self.what} | {self.measured:.2f} | {self.target} | {'ok' if self.ok else 'MISS'} |"
        )


def load_checks(
    throughput: dict[str, float], *, baseline: str, api: str, mixed: float
) -> list[Check]:
    """req/s per page (the baseline and the API among them) and the mixed run's."""
    base, api_rate = throughput[baseline], throughput[api]
    checks = [
        Check(
            "mixed / baseline",
            mixed / base,
            f">= {MIXED_MIN_RATIO}",
            mixed / base >= MIXED_MIN_RATIO,
        )
    ]
    for page, rate in throughput.items():
        if page in (baseline, api):
            continue
        checks.append(
            Check(
                f"{page} / baseline",
                rate / base,
                f">= {PAGE_MIN_RATIO}",
                rate / base >= PAGE_MIN_RATIO,
            )
        )
        checks.append(
            Check(
                f"{page} / API",
                rate / api_rate,
                f">= {PAGE_MIN_API_SHARE}",
                rate / api_rate >= PAGE_MIN_API_SHARE,
            )
        )
    return checks


def server_time_checks(p50_ms: dict[str, float], *, api: str) -> list[Check]:
    """One request at a time: each page's p50 against the API endpoint's."""
    checks = []
    for page, p50 in p50_ms.items():
        if page == api:
            continue
        multiple = p50 / p50_ms[api]
        checks.append(
            Check(
                f"{page} p50 / API p50 (one at a time)",
                multiple,
                f"<= {MAX_API_MULTIPLE}",
                multiple <= MAX_API_MULTIPLE,
            )
        )
    return checks


def render(checks: list[Check]) -> str:
    lines = ["| target | measured | wanted | result |", "| --- | --: | --: | --- |"]
    lines += [check.line() for check in checks]
    return "\n".join(lines) + "\n"
