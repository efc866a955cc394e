"""Issue 14 §2 in Chromium: editing one field in place, dropping files on the
upload page, sorting and deleting several artifacts, withdrawing a proposal."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from portfolio.models import WorkArtifact
from tenancy.context import tenant_context
from tests.messaging.factories import SkillMessageFactory
from tests.portfolio.factories import WorkArtifactFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _stored(user) -> list[WorkArtifact]:
    with tenant_context(user.tenant_id):
        return list(WorkArtifact.objects.filter(user=user).order_by("title"))


def test_alice_changes_one_field_in_place_and_nothing_else(page, live_server, login, alice):
    artifact = WorkArtifactFactory(
        user=alice, title="Board pack", description="Monthly", estimated_hours_saved=2
    )
    login(page, alice)
    page.goto(f"{live_server.url}/portfolio/{artifact.pk}/")

    page.get_by_role("link", name="Change hours").click()
    field = page.locator("#field-estimated_hours_saved input[type=number]")
    expect(field).to_be_focused()
    assert page.url.endswith(f"/portfolio/{artifact.pk}/")  # swapped in, no navigation
    field.fill("7.5")
    page.locator("#field-estimated_hours_saved").get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("hours")).to_have_text("7.5")
    expect(page.get_by_role("link", name="Change hours")).to_be_focused()  # back where it was

    page.get_by_role("link", name="Change title").click()
    page.locator("#field-title input[name=title]").fill("")
    page.locator("#field-title").get_by_role("button", name="Save").click()
    expect(page.locator("#field-title")).to_contain_text("This field is required.")
    page.locator("#field-title").get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="Board pack")).to_be_visible()

    (stored,) = _stored(alice)
    assert (stored.title, stored.description, stored.estimated_hours_saved) == (
        "Board pack",
        "Monthly",
        7.5,
    )


def test_files_dropped_on_the_page_each_become_an_artifact(page, live_server, login, alice):
    login(page, alice)
    page.goto(f"{live_server.url}/portfolio/upload/")
    page.get_by_label("Date of the work").fill("2022-02-02")
    files = [
        {"name": "board_report.txt", "body": "Quarterly numbers", "type": "text/plain"},
        {"name": "renewals.md", "body": "# Renewals", "type": "text/markdown"},
        {"name": "empty.txt", "body": "", "type": "text/plain"},
    ]
    transfer = page.evaluate_handle(
        """files => {
            const transfer = new DataTransfer();
            for (const f of files) transfer.items.add(new File([f.body], f.name, {type: f.type}));
            return transfer;
        }""",
        files,
    )
    page.dispatch_event("main", "dragover", {"dataTransfer": transfer})
    expect(page.locator("body")).to_have_class("dragging-files")
    page.dispatch_event("main", "drop", {"dataTransfer": transfer})

    results = page.locator(".upload-results")
    expect(results).to_contain_text("Results for 3 files")
    expect(results.locator("li.ok")).to_have_count(2)
    expect(results.locator("li.failed")).to_contain_text("The file is empty.")
    expect(page.locator("#upload-results-title")).to_be_focused()
    assert [a.title for a in _stored(alice)] == ["Board report", "Renewals"]
    assert _stored(alice)[0].artifact_date == datetime.date(2022, 2, 2)


def test_alice_sorts_filters_and_deletes_two_artifacts_at_once(page, live_server, login, alice):
    for title, hours in [("Alpha", 1), ("Beta", 5), ("Gamma", 3)]:
        WorkArtifactFactory(user=alice, title=title, estimated_hours_saved=hours)
    login(page, alice)
    page.goto(f"{live_server.url}/portfolio/")

    page.get_by_role("link", name="Hours").click()
    expect(page).to_have_url(f"{live_server.url}/portfolio/?sort=-hours")
    expect(page.locator("tbody tr").first).to_contain_text("Beta")

    page.get_by_label("Select all shown").check()
    page.get_by_label("Select Beta").uncheck()
    page.get_by_role("button", name="Delete selected").click()
    expect(page.get_by_role("heading", name="Delete 2 artifacts?")).to_be_visible()
    page.get_by_role("button", name="Delete 2 artifacts").click()
    expect(page.get_by_text("2 artifacts deleted.")).to_be_visible()
    assert [a.title for a in _stored(alice)] == ["Beta"]


def test_bob_withdraws_a_proposal_and_alice_no_longer_sees_it_pending(
    page, live_server, login, alice, bob
):
    from tests.factories import SkillFactory

    skill = SkillFactory(author=alice, name="Python scripting")
    SkillMessageFactory(subject_skill=skill, from_user=bob, message="Group these?")
    login(page, bob)
    page.goto(f"{live_server.url}/messages/?box=sent")
    page.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_text("You withdrew this proposal.")).to_be_visible()
    expect(page.get_by_role("button", name="Withdraw")).to_have_count(0)
