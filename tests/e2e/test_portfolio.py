from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import SkillFactory
from tests.portfolio import files
from tests.portfolio.factories import WorkArtifactFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_alice_uploads_a_docx_sees_text_and_suggestions_edits_hours_and_deletes(
    page, live_server, login, alice
):
    SkillFactory(author=alice, name="Email drafting", description="Customer emails.")
    login(page, alice)

    page.get_by_role("link", name="Portfolio").first.click()
    expect(page.get_by_test_id("artifact-count")).to_have_text("0 of 50")
    page.get_by_role("link", name="New artifact").click()
    page.get_by_label("Title").fill("Renewal emails")
    page.get_by_label("Category").select_option("email")
    page.get_by_label("Date of the work").fill("2022-04-05")
    page.get_by_label("Hours it took").fill("3")
    page.get_by_label("File").set_input_files(
        {
            "name": "renewals.docx",
            "mimeType": DOCX,
            "buffer": files.docx_bytes("Drafted renewal emails for every customer."),
        }
    )
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="Renewal emails")).to_be_visible()
    expect(page.get_by_text("“Renewal emails” added to your portfolio.")).to_be_visible()
    expect(page.get_by_test_id("extracted-text")).to_have_text(
        "Drafted renewal emails for every customer."
    )
    expect(page.get_by_role("link", name="Email drafting")).to_be_visible()
    expect(page.get_by_text("renewals.docx")).to_be_visible()

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Hours it took").fill("12.5")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("hours")).to_have_text("12.5")

    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete “Renewal emails”?")).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("“Renewal emails” deleted.")).to_be_visible()
    expect(page.get_by_test_id("artifact-count")).to_have_text("0 of 50")


def test_a_bad_file_shows_progress_then_the_error_in_place(page, live_server, login, alice):
    login(page, alice)
    page.goto(f"{live_server.url}/portfolio/new/")
    page.get_by_label("Title").fill("Locked report")
    page.get_by_label("Date of the work").fill("2022-04-05")
    page.get_by_label("File").set_input_files(
        {
            "name": "locked.pdf",
            "mimeType": "application/pdf",
            "buffer": files.encrypted_pdf_bytes("x"),
        }
    )
    # Record the progress bar's state when the upload part of the request ends
    # (before htmx swaps in the answer).
    page.evaluate(
        """window.uploadBar = [];
        document.addEventListener("htmx:xhr:loadend", function () {
          var bar = document.querySelector("progress.upload-progress");
          window.uploadBar.push([bar.hidden, bar.value]);
        });"""
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("This PDF is password-protected.")).to_be_visible()
    assert [False, 100] in page.evaluate("window.uploadBar")
    expect(page.get_by_label("Title")).to_have_value("Locked report")
    expect(page).to_have_url(f"{live_server.url}/portfolio/new/")


def test_search_filters_as_you_type(page, live_server, login, alice):
    WorkArtifactFactory(user=alice, title="Board report")
    WorkArtifactFactory(user=alice, title="Renewal email")
    login(page, alice)
    page.goto(f"{live_server.url}/portfolio/")
    page.get_by_placeholder("Search titles").fill("renewal")
    expect(page.get_by_role("link", name="Board report")).to_have_count(0)
    expect(page.get_by_role("link", name="Renewal email")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/portfolio/?q=renewal")


def test_portfolio_pages_fit_a_375px_screen(page, live_server, login, alice):
    artifacts = WorkArtifactFactory.create_batch(
        14, user=alice, file_name="a-rather-long-file-name-for-a-narrow-screen.docx"
    )
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, alice)
    pk = artifacts[0].pk
    for path in ["/portfolio/", "/portfolio/new/", f"/portfolio/{pk}/", f"/portfolio/{pk}/edit/"]:
        page.goto(f"{live_server.url}{path}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"


def test_a_file_over_the_cap_is_refused_in_place_and_what_was_typed_stays(
    page, live_server, login, alice, settings
):
    settings.UPLOAD_MAX_BYTES = 64 * 1024  # the 300 KB body below is refused unread: 413
    login(page, alice)
    page.goto(f"{live_server.url}/portfolio/new/")
    page.get_by_label("Title").fill("Oversized minutes")
    page.get_by_label("File").set_input_files(
        {"name": "minutes.txt", "mimeType": "text/plain", "buffer": b"minutes " * 40_000}
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("upload-too-large")).to_have_text(
        "The file is larger than 0.0625 MB. Choose a smaller file, or fewer files at once."
    )
    expect(page.get_by_label("Title")).to_have_value("Oversized minutes")
    expect(page.get_by_role("button", name="Save")).to_be_enabled()
