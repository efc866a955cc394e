"""The pages a signed-in persona can reach: follow the site's own links from a
few start pages, a few pages per view.

Shared by the checks that must hold on every page, so a new page is checked
without being listed: the Content Security Policy (tests/test_security_headers.py)
and, in Chromium, the phone layout and accessibility (tests/e2e/test_every_page.py).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

from django.http import HttpResponse
from django.test import Client
from django.urls import Resolver404, resolve

# Links a crawler must not follow: they change state on GET-less pages or leave.
SKIP_PREFIXES = ("/accounts/logout/", "/static/", "/admin/logout/")
PAGES_PER_VIEW = 3  # enough to see each view with real data, without walking every row


class PageScan(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "a" and named.get("href"):
            self.links.append(named["href"] or "")
        if tag == "script":
            self.scripts.append(named)
        self.handlers += [f"<{tag} {name}=…>" for name, _ in attrs if name.startswith("on")]


@dataclass
class Crawl:
    pages: list[str] = field(default_factory=list)  # HTML pages that answered 200, in order
    problems: dict[str, str] = field(default_factory=dict)  # {url: what is wrong}
    seen: set[str] = field(default_factory=set)


def crawl(
    client: Client,
    start: list[str],
    check: Callable[[HttpResponse], str | None] = lambda response: None,
    *,
    pages_per_view: int = PAGES_PER_VIEW,
    skip: tuple[str, ...] = SKIP_PREFIXES,
) -> Crawl:
    """GET every same-site page reachable from `start`; `check` each HTML page."""
    found = Crawl()
    per_view: dict[str, int] = {}
    queue = deque(start)
    while queue:
        url = queue.popleft()
        if url in found.seen:
            continue
        found.seen.add(url)
        try:
            view = resolve(urlsplit(url).path)
        except Resolver404:
            found.problems[url] = "a link to a page that does not exist"
            continue
        key = view.view_name or view.route
        per_view[key] = per_view.get(key, 0) + 1
        if per_view[key] > pages_per_view:
            continue
        response = client.get(url)
        if response.status_code in (301, 302):
            queue.append(response["Location"])
            continue
        if response.status_code != 200:
            found.problems[url] = f"HTTP {response.status_code}"
            continue
        if not response["Content-Type"].startswith("text/html"):
            continue
        found.pages.append(url)
        problem = check(response)
        if problem:
            found.problems[url] = problem
        scan = PageScan()
        scan.feed(response.text)
        for href in scan.links:
            target, _ = urldefrag(urljoin(url, href))
            parts = urlsplit(target)
            if parts.netloc and parts.netloc != "testserver":
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if not path.startswith(skip):
                queue.append(path)
    assert len(found.seen) > 10, f"the crawl reached only {sorted(found.seen)}"
    return found
