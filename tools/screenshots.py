"""Screenshots of the main screens for docs/img/ (and for looking at a change).

Against a running server with the demo data (`make run`), in Chromium, signed
in as the demo personas: each screen at 1280 and 375 px, light mode unless
--dark, cropped to the first screenful (--full-page for the whole page).

    .venv/bin/python -m tools.screenshots --base-url http://127.0.0.1:8000
    .venv/bin/python -m tools.screenshots --base-url ... --dark --out /tmp/shots --only dashboard

`make screenshots` runs the first line (BASE_URL=... to point it elsewhere).
Screens are found by following the site's own links, so no ids are hard-coded.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import Browser, Page, sync_playwright

from tools.chromium import CHROMIUM, CHROMIUM_ARGS

PASSWORD = "demo-password"
WIDTHS = {"1280": {"width": 1280, "height": 800}, "375": {"width": 375, "height": 760}}


def _first_link(page: Page, selector: str) -> None:
    """Open the first link matching `selector` on the current page."""
    href = page.locator(selector).first.get_attribute("href")
    if not href:
        raise SystemExit(f"no link {selector!r} on {page.url}")
    page.goto(urljoin(page.url, href))


def _open_a_step(page: Page) -> None:
    _first_link(page, "main table tbody td a")  # the first workshop
    _first_link(page, "main a[href*='/steps/']")  # its first step


@dataclass(frozen=True)
class Screen:
    name: str
    persona: str
    path: str
    then: Callable[[Page], None] | None = None


SCREENS = [
    Screen("dashboard", "bob@acme.test", "/"),  # a relationship manager: decisions first
    Screen("dashboard-member", "alice@acme.test", "/"),  # hours saved, workshops
    Screen("portfolio", "alice@acme.test", "/portfolio/"),
    Screen(
        "artifact",
        "alice@acme.test",
        "/portfolio/",
        lambda page: _first_link(page, "table.artifacts tbody td:nth-child(2) a"),
    ),
    Screen("messages", "bob@acme.test", "/messages/"),
    Screen(
        "workshop-step",
        "alice@acme.test",
        "/workshops/",
        _open_a_step,
    ),
    Screen(
        "crm-customer",
        "bob@acme.test",
        "/crm/customers/",
        lambda page: _first_link(page, "main table tbody td a"),
    ),
    Screen("crm-proposals", "bob@acme.test", "/crm/proposals/"),
    Screen("people", "alice@acme.test", "/people/"),
]


def _sign_in(browser: Browser, base: str, email: str, viewport: dict, dark: bool) -> Page:
    context = browser.new_context(
        viewport=viewport, color_scheme="dark" if dark else "light", device_scale_factor=1
    )
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    return page


def take(
    base: str, out: Path, *, dark: bool, full_page: bool, only: set[str], widths: list[str]
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width in widths:
            pages: dict[str, Page] = {}
            for screen in SCREENS:
                if only and screen.name not in only:
                    continue
                if screen.persona not in pages:
                    pages[screen.persona] = _sign_in(
                        browser, base, screen.persona, WIDTHS[width], dark
                    )
                page = pages[screen.persona]
                page.goto(f"{base}{screen.path}")
                if screen.then:
                    screen.then(page)
                page.wait_for_load_state("networkidle")
                suffix = "-dark" if dark else ""
                path = out / f"{screen.name}-{width}{suffix}.png"
                page.screenshot(path=str(path), full_page=full_page)
                saved.append(path)
                print(path)
            for page in pages.values():
                page.context.close()
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--dark", action="store_true", help="prefers-color-scheme: dark")
    parser.add_argument("--full-page", action="store_true", help="the whole page, not a screenful")
    parser.add_argument("--only", nargs="*", default=[], help="screen names, e.g. dashboard")
    parser.add_argument("--widths", nargs="*", default=list(WIDTHS), choices=list(WIDTHS))
    args = parser.parse_args()
    take(
        args.base_url.rstrip("/"),
        args.out,
        dark=args.dark,
        full_page=args.full_page,
        only=set(args.only),
        widths=args.widths,
    )


if __name__ == "__main__":
    main()
