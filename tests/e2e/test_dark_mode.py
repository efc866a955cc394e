"""Dark mode (issue 14 §5): with the system set to dark, the pages use the dark
colour tokens of static/css/app.css, and axe-core's contrast rule passes on the
key screens at both widths. The light mode is checked by the page crawl
(tests/e2e/test_every_page.py), which runs every axe rule."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from crm_artifacts.models import Customer
from portfolio.models import WorkArtifact
from tenancy.context import tenant_context
from tenancy.models import User
from tests.e2e.test_every_page import _signed_in
from workshops.models import Workshop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"1280px": {"width": 1280, "height": 800}, "375px": {"width": 375, "height": 740}}
CONTRAST = {
    "runOnly": {"type": "rule", "values": ["color-contrast"]},
    "resultTypes": ["violations"],
}


def _key_pages() -> dict[str, list[str]]:
    alice = User.objects.get(email="alice@acme.test")
    bob = User.objects.get(email="bob@acme.test")
    with tenant_context(alice.tenant_id):
        artifact = WorkArtifact.objects.owned_by(alice).first()
        workshop = Workshop.objects.owned_by(alice).first()
        customer = Customer.objects.filter(rm=bob).first()
    return {
        alice.email: [
            "/",
            "/portfolio/",
            f"/portfolio/{artifact.pk}/",
            "/skills/",
            "/messages/?box=sent",
            "/workshops/",
            f"/workshops/{workshop.pk}/steps/challenge/",
            "/people/",
        ],
        bob.email: [
            "/",
            "/messages/",
            "/crm/customers/",
            f"/crm/customers/{customer.pk}/",
            "/crm/proposals/",
            "/crm/insights/",
        ],
    }


@pytest.mark.parametrize("width", VIEWPORTS)
def test_key_pages_keep_their_contrast_in_dark_mode(width, demo, browser, live_server) -> None:
    failures = []
    checked = 0
    for email, urls in _key_pages().items():
        page = _signed_in(browser, live_server.url, email, VIEWPORTS[width], color_scheme="dark")
        for url in urls:
            page.goto(f"{live_server.url}{url}")
            # The dark tokens are in force (not the light page under a dark browser frame).
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert background == "rgb(14, 17, 22)", (url, background)
            checked += 1
            for violation in Axe().run(page, options=CONTRAST).response["violations"]:
                targets = [" ".join(node["target"]) for node in violation["nodes"][:4]]
                failures.append(f"{email} {url} at {width}: {violation['help']} ({targets})")
        page.context.close()
    assert checked == 14
    assert not failures, "\n".join(failures)
