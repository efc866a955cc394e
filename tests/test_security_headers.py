"""Every page a signed-in person can reach carries a Content Security Policy that
allows no inline script, and no page has an inline script or event handler
without the request's nonce; uploads only ever come back as escaped text.

The pages are found by crawling the demo data's links as each demo persona
(the site and the admin), so a new page is checked without being listed here.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client

from tenancy.models import User
from tests.crawl import PageScan, crawl

pytestmark = pytest.mark.django_db


def _script_problems(html: str, nonce: str | None) -> list[str]:
    scan = PageScan()
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


def _csp_problem(response: HttpResponse) -> str | None:
    policy = response.headers.get("Content-Security-Policy", "")
    script_src = re.search(r"script-src ([^;]*)", policy)
    if not script_src:
        return f"no script-src in the CSP: {policy!r}"
    problems = []
    if "'unsafe-inline'" in script_src.group(1) or "'unsafe-eval'" in script_src.group(1):
        problems.append(f"script-src allows inline script: {script_src.group(1)}")
    nonce_match = re.search(r"'nonce-([^']+)'", script_src.group(1))
    problems += _script_problems(response.text, nonce_match.group(1) if nonce_match else None)
    return "; ".join(problems) or None


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
    assert crawl(client, start, _csp_problem).problems == {}


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
