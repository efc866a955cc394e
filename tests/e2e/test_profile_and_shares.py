"""Issue 18 in a browser: confirm a suggested skill with evidence, share the
portfolio, open the link in a fresh anonymous context, revoke it, see the 404."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from portfolio.services import artifact_create
from tenancy.context import tenant_context
from tests.factories import SkillFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_confirm_a_skill_then_share_open_anonymously_and_revoke(
    page, browser, live_server, login, alice
):
    SkillFactory(author=alice, name="Budget forecasting", description="Forecast budgets")
    with tenant_context(alice.tenant_id):
        artifact = artifact_create(
            user=alice,
            title="Budget model",
            category="document",
            artifact_date=datetime.date(2022, 3, 1),
            extracted_text="Built the quarterly budget forecast for the finance team.",
        )
    login(page, alice)

    page.goto(f"{live_server.url}/portfolio/{artifact.pk}/")
    suggestion = page.get_by_test_id("suggestion")
    expect(suggestion).to_contain_text("quarterly budget forecast")
    suggestion.get_by_role("link", name="Add to my skills").click()
    page.get_by_label("Budget model").check()
    page.get_by_label("Your level").select_option("expert")
    page.get_by_role("button", name="Add to my skills").click()

    skill = page.get_by_test_id("profile-skill")
    expect(skill).to_contain_text("Budget forecasting")
    expect(skill).to_contain_text("Expert")
    expect(skill.get_by_role("link", name="Budget model")).to_be_visible()

    page.get_by_role("link", name="Share my portfolio").click()
    page.get_by_label("Label").fill("For the recruiter")
    page.get_by_role("button", name="Create link").click()
    link = page.get_by_test_id("share-link").input_value()

    visitor = browser.new_context()
    try:
        anonymous = visitor.new_page()
        response = anonymous.goto(link)
        assert response.status == 200
        assert response.headers["x-robots-tag"] == "noindex, nofollow"
        expect(anonymous.get_by_test_id("shared-artifact")).to_contain_text("Budget model")
        expect(anonymous.get_by_test_id("shared-skill")).to_contain_text("Budget forecasting")

        page.goto(f"{live_server.url}/portfolio/shares/")
        row = page.get_by_test_id("share-row")
        expect(row.get_by_test_id("share-views")).to_have_text("1")
        row.get_by_role("button", name="Revoke").click()
        expect(page.get_by_text("the link no longer works")).to_be_visible()

        assert anonymous.goto(link).status == 404
    finally:
        visitor.close()
