"""Small helpers for reading pages in the browser tests."""

from __future__ import annotations

from playwright.sync_api import Locator, Page


def shown(page: Page, text: str) -> Locator:
    """The element on the page showing `text`, not its copy in #announcer.

    app.js copies each htmx result into the visually hidden #announcer 50 ms
    later, for screen readers; a plain get_by_text then matches two elements
    and Playwright's strict mode fails the test whenever it looks late.
    """
    return page.get_by_text(text).and_(page.locator(":not(#announcer)"))
