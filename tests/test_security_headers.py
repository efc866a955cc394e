"""Every page a signed-in person can reach carries a Content Security Policy that
allows no inline script, and no page has an inline script or event handler
without the request's nonce; uploads only ever come back as escaped text.

The pages are found by crawling the demo data's links as each demo persona
(the site and the admin), so a new page is checked without being listed here.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve

from tenancy.models import User

pytestmark = pytest.mark.django_db

# Links a crawler must not follow: they change state on GET-less pages or leave.
SKIP_PREFIXES = ("/accounts/logout/", "/static/", "/admin/logout/")
PAGES_PER_VIEW = 3  # enough to see each view with real data, without walking every row


class _PageScan(HTMLParser):
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


def _script_problems(html: str, nonce: str | None) -> list[str]:
    scan = _PageScan()
    scan.feed(html)
    problems = list(scan.handlers)
    for attrs in scan.scripts:
        if attrs.get("src"):
            continue
        # Data blocks (json_script) are never executed by the browser.
        if attrs.get("type") in ("application/json", "application/ld+json"):
            continue
        if nonce is None or attrs.get("nonce") != nonce:
            problems.append(f"inline <script> without the page's nonce: {attrs}")
    return problems


def _crawl(client: Client, start: list[str]) -> dict[str, str]:
    """GET every same-site page reachable from `start`; return {url: problem}."""
    problems: dict[str, str] = {}
    seen: set[str] = set()
    per_view: dict[str, int] = {}
    queue = deque(start)
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        try:
            view = resolve(urlsplit(url).path)
        except Resolver404:
            problems[url] = "a link to a page that does not exist"
            continue
        key = view.view_name or view.route
        per_view[key] = per_view.get(key, 0) + 1
        if per_view[key] > PAGES_PER_VIEW:
            continue
        response = client.get(url)
        if response.status_code in (301, 302):
            queue.append(response["Location"])
            continue
        if response.status_code != 200:
            problems[url] = f"HTTP {response.status_code}"
            continue
        if not response["Content-Type"].startswith("text/html"):
            continue
        policy = response.headers.get("Content-Security-Policy", "")
        script_src = re.search(r"script-src ([^;]*)", policy)
        if not script_src:
            problems[url] = f"no script-src in the CSP: {policy!r}"
            continue
        if "'unsafe-inline'" in script_src.group(1) or "'unsafe-eval'" in script_src.group(1):
            problems[url] = f"script-src allows inline script: {script_src.group(1)}"
        nonce_match = re.search(r"'nonce-([^']+)'", script_src.group(1))
        found = _script_problems(response.text, nonce_match.group(1) if nonce_match else None)
        if found:
            problems[url] = "; ".join(found)
        scan = _PageScan()
        scan.feed(response.text)
        for href in scan.links:
            target, _ = urldefrag(urljoin(url, href))
            parts = urlsplit(target)
            if parts.netloc and parts.netloc != "testserver":
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if not path.startswith(SKIP_PREFIXES):
                queue.append(path)
    assert len(seen) > 10, f"the crawl reached only {sorted(seen)}"
    return problems


@pytest.fixture
def demo(settings) -> None:
    settings.DEBUG = True  # seed_demo refuses to run in production
    call_command("seed_demo")
    settings.DEBUG = False


@pytest.mark.parametrize(
    ("email", "start"),
    [
        ("alice@acme.test", ["/"]),  # member, tenant admin
        ("bob@acme.test", ["/", "/crm/customers/", "/crm/proposals/"]),  # relationship manager
        ("alice@acme.test", ["/admin/"]),
    ],
    ids=["alice-site", "bob-crm", "alice-admin"],
)
def test_no_reachable_page_runs_inline_script(demo, email, start):
    client = Client()
    client.force_login(User.objects.get(email=email))
    assert _crawl(client, start) == {}


def test_the_login_page_carries_the_policy_too(client):
    response = client.get("/accounts/login/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert _script_problems(response.text, None) == []


def test_an_uploaded_html_file_comes_back_only_as_escaped_text(alice_client):
    payload = b"<html><body><p>Quarterly plan</p><script>alert('x')</script></body></html>"
    response = alice_client.post(
        "/portfolio/new/",
        {
            "title": "Uploaded page",
            "category": "document",
            "artifact_date": "2019-05-01",
            "file": SimpleUploadedFile("plan.html", payload, content_type="text/html"),
        },
    )
    assert response.status_code == 302, response.content[:2000]
    detail = alice_client.get(response["Location"])
    assert "Quarterly plan" in detail.text
    assert "<script>alert" not in detail.text
    # The file itself is never stored or served: only its extracted text, and
    # the JSON export is JSON that browsers must not sniff into HTML.
    export = alice_client.get("/portfolio/export.json")
    assert export["Content-Type"] == "application/json"
    assert export["X-Content-Type-Options"] == "nosniff"
    assert "<script>alert" not in export.text
