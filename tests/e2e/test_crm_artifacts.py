"""Browser: bob turns meeting notes into proposals and decides them in place."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.crm_artifacts.factories import CustomerFactory
from tests.e2e.pages import shown

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTES = (
    "Met Jane for coffee. Her new email is jane@new.example. "
    "She now works as a pilot at Initech. They have two children."
)


@pytest.fixture
def make_batch_for():
    """A pending batch for a customer, committed (the live server reads it)."""
    from crm_artifacts import services
    from crm_artifacts.models import CreatorType
    from tenancy.context import tenant_context

    def make(customer, **values):
        edits = [
            services.ProfileEditInput(field_key=key, proposed_value=value, source_text=key)
            for key, value in values.items()
        ]
        with tenant_context(customer.tenant_id):
            return services.artifact_create_batch(
                customer=customer, edits=edits, created_by_type=CreatorType.AGENT
            )

    return make


@pytest.fixture
def jane(bob):
    return CustomerFactory(
        rm=bob,
        profile={"fullName": "Jane Doe", "email": "jane@old.example", "dependents": 1},
    )


def test_bob_adds_notes_edits_accepts_and_rejects_and_sees_the_profile(
    page, live_server, login, bob, jane
):
    login(page, bob)
    page.get_by_role("link", name="CRM").click()
    page.get_by_role("link", name="Jane Doe").click()
    expect(page.get_by_role("heading", name="Jane Doe")).to_be_visible()

    page.get_by_label("Meeting notes").fill(NOTES)
    page.get_by_role("button", name="Propose changes").click()
    expect(
        shown(page, "4 proposals from these notes are waiting for your decision.")
    ).to_be_visible()

    email = page.locator(".proposal", has_text="jane@new.example")
    expect(email).to_contain_text("jane@old.example")
    expect(email).to_contain_text("“Her new email is jane@new.example.”")
    expect(email).to_contain_text("high confidence")

    # Edit one value, then accept it.
    occupation = page.locator(
        ".proposal", has=page.locator(".proposal-field", has_text="Occupation")
    )
    occupation.get_by_text("Edit", exact=True).click()
    occupation.get_by_role("textbox", name="Occupation").fill("Airline captain")
    occupation.get_by_role("button", name="Accept edited value for Occupation").click()
    expect(
        shown(page, "Occupation accepted: the profile now says “Airline captain”.")
    ).to_be_visible()
    expect(page.locator('dd[data-field="occupation"]')).to_have_text("Airline captain")

    # Accept another as proposed, reject a third.
    page.get_by_role("button", name="Accept Email", exact=True).click()
    expect(page.locator('dd[data-field="email"]')).to_have_text("jane@new.example")
    page.get_by_role("button", name="Reject Dependents", exact=True).click()
    expect(shown(page, "Dependents rejected; the profile is unchanged.")).to_be_visible()
    expect(page.locator('dd[data-field="dependents"]')).to_have_text("1")

    # The decisions stay on record in the batch; the page reloads to the same state.
    page.reload()
    expect(page.locator(".proposal.status-edited")).to_contain_text("edited to Airline captain")
    expect(page.locator(".proposal.status-rejected")).to_contain_text("Rejected by Bob Baker")
    expect(page.locator('dd[data-field="occupation"]')).to_have_text("Airline captain")
    expect(page.locator('dd[data-field="employer"]')).to_have_text("—")


def test_decisions_work_without_javascript(browser, live_server, bob, jane):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(bob.email)
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/crm/customers/{jane.pk}/")
    page.get_by_label("Meeting notes").fill(NOTES)
    page.get_by_role("button", name="Propose changes").click()
    # Without JavaScript "Accept all" asks on a page of its own first.
    page.get_by_role("link", name="Accept all in this batch").click()
    expect(shown(page, "Accept all 4 pending proposals of this batch?")).to_be_visible()
    page.get_by_role("button", name="Accept all").click()
    expect(shown(page, "4 proposal(s) accepted and applied to the profile.")).to_be_visible()
    expect(page.locator('dd[data-field="employer"]')).to_have_text("Initech")
    # Undo comes back in the redirect, and reverts the four.
    page.get_by_role("button", name="Undo accepting 4 proposals").click()
    expect(shown(page, "4 proposal(s) undone")).to_be_visible()
    expect(page.locator('dd[data-field="email"]')).to_have_text("jane@old.example")
    context.close()


def test_crm_pages_fit_a_375px_screen(page, live_server, login, bob, jane):
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, bob)
    for path in ["/crm/customers/", f"/crm/customers/{jane.pk}/", "/crm/proposals/"]:
        page.goto(f"{live_server.url}{path}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"


def test_bob_reviews_by_keyboard_and_focus_follows_the_next_pending(
    page, live_server, login, bob, jane, make_batch_for
):
    batch = make_batch_for(jane, email="jane@new.example", occupation="Pilot", dependents=2)
    login(page, bob)
    page.goto(f"{live_server.url}/crm/customers/{jane.pk}/")
    page.keyboard.press("j")
    expect(page.locator(f"#artifact-{batch[0].pk}")).to_be_focused()
    page.keyboard.press("j")
    expect(page.locator(f"#artifact-{batch[1].pk}")).to_be_focused()
    page.keyboard.press("k")
    page.keyboard.press("a")  # accept the email: focus moves on to the next pending
    expect(page.locator('dd[data-field="email"]')).to_have_text("jane@new.example")
    expect(page.locator(f"#artifact-{batch[1].pk}")).to_be_focused()
    page.keyboard.press("x")
    expect(page.locator(f"#select-{batch[1].pk}")).to_be_checked()
    page.keyboard.press("r")
    expect(page.locator(f"#artifact-{batch[1].pk}")).to_have_class("proposal status-rejected")
    expect(page.locator(f"#artifact-{batch[2].pk}")).to_be_focused()
    expect(page.locator("#pending-count")).to_have_text("1 pending")
    page.keyboard.press("?")
    expect(page.get_by_role("heading", name="Keyboard shortcuts")).to_be_visible()


def test_accept_all_asks_in_a_dialog_first(page, live_server, login, bob, jane, make_batch_for):
    make_batch_for(jane, email="jane@new.example", occupation="Pilot")
    login(page, bob)
    page.goto(f"{live_server.url}/crm/customers/{jane.pk}/")
    page.get_by_role("link", name="Accept all in this batch").click()
    dialog = page.get_by_role("dialog", name="Accept the whole batch?")
    expect(dialog).to_contain_text("Accept all 2 pending proposals of this batch?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#pending-count")).to_have_text("2 pending")
    page.get_by_role("link", name="Accept all in this batch").click()
    dialog.get_by_role("button", name="Accept all").click()
    expect(shown(page, "2 proposal(s) accepted and applied to the profile.")).to_be_visible()
    expect(page.locator('dd[data-field="occupation"]')).to_have_text("Pilot")


def test_accept_all_on_the_pending_screen_asks_and_comes_back(
    page, live_server, login, bob, jane, make_batch_for
):
    make_batch_for(jane, email="jane@new.example", occupation="Pilot")
    login(page, bob)
    page.goto(f"{live_server.url}/crm/proposals/")
    page.get_by_role("link", name=f"Accept all for {jane.name}").click()
    dialog = page.get_by_role("dialog", name="Accept the whole batch?")
    expect(dialog).to_contain_text("Accept all 2 pending proposals of this batch?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("link", name=f"Accept all for {jane.name}").click()
    dialog.get_by_role("button", name="Accept all").click()
    expect(page).to_have_url(re.compile(r"/crm/proposals/"))
    expect(shown(page, "2 proposal(s) accepted and applied to the profile.")).to_be_visible()
    expect(page.get_by_role("button", name="Undo")).to_be_visible()


def test_bob_undoes_accept_selected_in_place(page, live_server, login, bob, jane, make_batch_for):
    batch = make_batch_for(jane, email="jane@new.example", occupation="Pilot", dependents=2)
    login(page, bob)
    page.goto(f"{live_server.url}/crm/customers/{jane.pk}/")
    page.locator(f"#select-{batch[0].pk}").check()
    page.locator(f"#select-{batch[2].pk}").check()
    page.get_by_role("button", name="Accept selected").click()
    expect(shown(page, "2 proposal(s) accepted and applied to the profile.")).to_be_visible()
    expect(page.locator('dd[data-field="email"]')).to_have_text("jane@new.example")
    page.get_by_role("button", name="Undo accepting 2 proposals").click()
    expect(shown(page, "2 proposal(s) undone")).to_be_visible()
    expect(page.locator('dd[data-field="email"]')).to_have_text("jane@old.example")
    expect(page.locator('dd[data-field="dependents"]')).to_have_text("1")
    expect(page.locator("#pending-count")).to_have_text("1 pending")
    expect(page.get_by_role("button", name="Undo accepting 2 proposals")).to_have_count(0)


def test_bob_filters_the_pending_proposals_and_the_url_keeps_them(
    page, live_server, login, bob, jane, make_batch_for
):
    zed = CustomerFactory(rm=bob, profile={"fullName": "Zed Zimmer", "email": "zed@old.example"})
    make_batch_for(jane, email="jane@new.example", occupation="Pilot")
    make_batch_for(zed, occupation="Baker")
    login(page, bob)
    page.goto(f"{live_server.url}/crm/proposals/")
    expect(shown(page, "3 proposals waiting for your decision across 2 customers.")).to_be_visible()
    page.get_by_label("Field").select_option("occupation")  # htmx: no Apply needed
    expect(
        shown(page, "2 pending proposals match these filters, across 2 customers.")
    ).to_be_visible()
    assert "field=occupation" in page.url
    page.get_by_label("Customer", exact=True).select_option(label="Zed Zimmer")
    expect(shown(page, "1 pending proposal matches these filters")).to_be_visible()
    expect(page.locator(".proposal")).to_have_count(1)
    page.reload()  # the filters live in the URL
    expect(page.locator(".proposal")).to_have_count(1)
    page.get_by_label("Confidence").select_option("low")
    expect(shown(page, "No pending proposal matches these filters")).to_be_visible()
    page.get_by_role("link", name="Clear filters").last.click()
    expect(page.locator(".proposal")).to_have_count(3)


def test_the_pending_filters_work_without_javascript(
    browser, live_server, bob, jane, make_batch_for
):
    make_batch_for(jane, email="jane@new.example", occupation="Pilot")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(bob.email)
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/crm/proposals/")
    page.get_by_label("Field").select_option("email")
    page.get_by_role("button", name="Apply").click()
    expect(shown(page, "1 pending proposal matches these filters")).to_be_visible()
    assert "field=email" in page.url
    context.close()


def test_the_confirm_dialog_follows_single_decisions_and_follow_ups_close_in_place(
    page, live_server, login, bob, jane
):
    from crm_artifacts import services
    from crm_artifacts.models import CreatorType
    from tenancy.context import tenant_context

    edits = [
        services.ProfileEditInput(field_key="email", proposed_value="jane@new.example"),
        services.ProfileEditInput(field_key="occupation", proposed_value="Pilot"),
    ]
    with tenant_context(jane.tenant_id):
        batch = services.artifact_create_batch(
            customer=jane,
            edits=edits,
            created_by_type=CreatorType.AGENT,
            workflow_trigger="follow_up",
        )
    login(page, bob)
    page.goto(f"{live_server.url}/crm/customers/{jane.pk}/")
    expect(shown(page, "Accepting all also creates 2 follow-up tasks:").first).to_be_visible()
    page.get_by_role("button", name="Accept Email").click()
    expect(page.locator(f"#artifact-{batch[0].pk}")).to_have_class("proposal status-accepted")
    page.get_by_role("link", name="Accept all in this batch").click()
    dialog = page.get_by_role("dialog", name="Accept the whole batch?")
    expect(dialog).to_contain_text("Accept all 1 pending proposal of this batch?")
    expect(dialog).not_to_contain_text("jane@new.example")
    dialog.get_by_role("button", name="Accept all").click()
    expect(shown(page, "1 proposal(s) accepted and applied to the profile.")).to_be_visible()
    follow_ups = page.locator("#follow-ups")
    expect(follow_ups.locator(".follow-up")).to_have_count(2)
    follow_ups.get_by_role("button", name="Done").first.click()
    expect(follow_ups.locator(".follow-up.is-done")).to_have_count(1)
    follow_ups.get_by_role("button", name="Dismiss").click()
    expect(follow_ups.locator(".follow-up.is-dismissed")).to_have_count(1)
