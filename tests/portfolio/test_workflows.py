"""Issue 14, section 2: dates that make sense, sort and filter, bulk delete,
exports, the limit on the "new" page, partial updates and in-place edits,
several files at once."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portfolio import services
from portfolio.extraction import extract as extraction
from portfolio.forms import NOTHING_SENT
from portfolio.models import WorkArtifact, latest_artifact_date
from tests.portfolio import files
from tests.portfolio.factories import WorkArtifactFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db

D = datetime.date


def _stored(user, in_tenant, **lookup) -> WorkArtifact:
    with in_tenant(user):
        return WorkArtifact.objects.get(user=user, **lookup)


def _count(user, in_tenant) -> int:
    with in_tenant(user):
        return WorkArtifact.objects.filter(user=user).count()


# --- dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (D(2999, 1, 1), services.DATE_IN_FUTURE),
        (latest_artifact_date() + datetime.timedelta(days=1), services.DATE_IN_FUTURE),
        (D(1899, 12, 31), services.DATE_TOO_EARLY),
        (D(202, 3, 1), services.DATE_TOO_EARLY),
    ],
)
def test_dates_in_the_future_or_before_1900_are_refused(alice, create, in_tenant, day, message):
    with pytest.raises(services.ValidationError) as refused:
        create(alice, artifact_date=day)
    assert refused.value.message_dict == {"artifact_date": [message]}
    artifact = create(alice, artifact_date=D(2022, 1, 1))
    with in_tenant(alice), pytest.raises(services.ValidationError):
        services.artifact_update(user=alice, artifact_id=artifact.pk, artifact_date=day)


def test_the_first_day_of_1900_and_today_are_accepted(alice, create):
    assert create(alice, artifact_date=D(1900, 1, 1)).artifact_date == D(1900, 1, 1)
    today = datetime.date.today()
    assert create(alice, artifact_date=today).artifact_date == today


def test_the_form_refuses_a_future_date_and_its_picker_says_so(alice_client, alice, in_tenant):
    form = alice_client.get("/portfolio/new/").text
    assert 'min="1900-01-01"' in form
    assert f'max="{latest_artifact_date().isoformat()}"' in form
    response = alice_client.post(
        "/portfolio/new/", {"title": "Typo", "category": "document", "artifact_date": "2999-01-01"}
    )
    assert services.DATE_IN_FUTURE in response.text
    assert _count(alice, in_tenant) == 0


def test_existing_rows_with_bad_dates_are_shown_and_flagged(alice_client, alice):
    bad = WorkArtifactFactory(user=alice, title="From the future", artifact_date=D(2999, 1, 1))
    WorkArtifactFactory(user=alice, title="Normal", artifact_date=D(2022, 1, 1))
    page = alice_client.get("/portfolio/").text
    assert "From the future" in page
    assert "check date" in page
    detail = alice_client.get(f"/portfolio/{bad.pk}/").text
    assert "outside what a new artifact may carry" in detail


# --- partial update and editing in place ------------------------------------------------


def test_posting_only_the_title_changes_only_the_title(alice_client, alice, create, in_tenant):
    artifact = create(
        alice,
        title="Old",
        description="Keep me",
        category="email",
        artifact_date=D(2021, 5, 6),
        estimated_hours_saved=3,
        extracted_text="Body text",
    )
    response = alice_client.post(f"/portfolio/{artifact.pk}/edit/", {"title": "New"})
    assert response.status_code == 302
    stored = _stored(alice, in_tenant)
    assert stored.title == "New"
    assert (stored.description, stored.category, stored.artifact_date) == (
        "Keep me",
        "email",
        D(2021, 5, 6),
    )
    assert (stored.estimated_hours_saved, stored.extracted_text) == (3.0, "Body text")


def test_an_edit_post_with_no_field_changes_nothing(alice_client, alice, create):
    artifact = create(alice)
    response = alice_client.post(f"/portfolio/{artifact.pk}/edit/", {})
    assert response.status_code == 200
    assert NOTHING_SENT in response.text


def test_a_field_is_edited_in_place_with_htmx(alice_client, alice, create, in_tenant):
    artifact = create(alice, estimated_hours_saved=2, description="Keep me")
    url = f"/portfolio/{artifact.pk}/edit/?field=estimated_hours_saved"
    detail = alice_client.get(f"/portfolio/{artifact.pk}/").text
    assert f'hx-get="{url}"' in detail
    form = alice_client.get(url, HTTP_HX_REQUEST="true").text
    assert form.lstrip().startswith('<div class="inplace fact" id="field-estimated_hours_saved">')
    assert 'name="estimated_hours_saved"' in form
    assert 'name="title"' not in form
    saved = alice_client.post(url, {"estimated_hours_saved": "7.5"}, HTTP_HX_REQUEST="true")
    assert saved.text.lstrip().startswith('<div class="inplace fact"')
    assert "7.5" in saved.text
    assert "<form" not in saved.text
    stored = _stored(alice, in_tenant)
    assert (stored.estimated_hours_saved, stored.description) == (7.5, "Keep me")


def test_a_refused_in_place_edit_returns_the_field_with_its_error(alice_client, alice, create):
    artifact = create(alice)
    url = f"/portfolio/{artifact.pk}/edit/?field=artifact_date"
    response = alice_client.post(url, {"artifact_date": "2999-01-01"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert services.DATE_IN_FUTURE in response.text
    assert 'name="artifact_date"' in response.text


def test_cancel_in_place_returns_the_value(alice_client, alice, create):
    artifact = create(alice, title="Board pack")
    response = alice_client.get(f"/portfolio/{artifact.pk}/?field=title", HTTP_HX_REQUEST="true")
    assert response.text.lstrip().startswith('<div class="inplace inplace-title" id="field-title">')
    assert "<h1>Board pack</h1>" in response.text


def test_without_javascript_one_field_has_its_own_page(alice_client, alice, create, in_tenant):
    artifact = create(alice, title="Old", description="Keep me")
    url = f"/portfolio/{artifact.pk}/edit/?field=title"
    page = alice_client.get(url).text
    assert f'action="{url}"' in page
    assert 'name="title"' in page
    assert 'name="description"' not in page
    assert "hx-post" not in page.split('id="artifact-form"')[1].split(">")[0]
    response = alice_client.post(url, {"title": "New", "description": "ignored"})
    assert response["Location"] == f"/portfolio/{artifact.pk}/"
    stored = _stored(alice, in_tenant)
    assert (stored.title, stored.description) == ("New", "Keep me")


def test_a_file_replaced_in_place_refreshes_the_page(alice_client, alice, create, in_tenant):
    artifact = create(alice, extracted_text="Old text", file_name="old.txt")
    upload = SimpleUploadedFile("new.docx", files.docx_bytes("New text"))
    response = alice_client.post(
        f"/portfolio/{artifact.pk}/edit/?field=file", {"file": upload}, HTTP_HX_REQUEST="true"
    )
    assert response["HX-Refresh"] == "true"
    assert _stored(alice, in_tenant).extracted_text == "New text"


# --- the limit on the "new" page ------------------------------------------------------------


def test_at_the_limit_the_new_page_offers_the_list_not_a_form(alice_client, alice, artifacts_for):
    artifacts_for(alice, 50)
    page = alice_client.get("/portfolio/new/")
    assert page.status_code == 200
    assert "the limit is reached" in page.text
    assert 'href="/portfolio/"' in page.text
    assert 'id="artifact-form"' not in page.text


def test_below_the_limit_the_new_page_is_the_form(alice_client, alice, artifacts_for):
    artifacts_for(alice, 49)
    assert 'id="artifact-form"' in alice_client.get("/portfolio/new/").text


# --- sort and filter ----------------------------------------------------------------------


def _titles(response) -> list[str]:
    text = response.text.split("<tbody>")[1].split("</tbody>")[0]
    links = [part.split("</a>")[0] for part in text.split('/">')[1:] if "</a>" in part]
    return [link for link in links if link not in {"Edit", "Delete"}]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-date", ["Beta", "Alpha", "Gamma"]),
        ("date", ["Gamma", "Alpha", "Beta"]),
        ("title", ["Alpha", "Beta", "Gamma"]),
        ("-title", ["Gamma", "Beta", "Alpha"]),
        ("-hours", ["Gamma", "Beta", "Alpha"]),
        ("hours", ["Alpha", "Beta", "Gamma"]),
        ("category", ["Beta", "Gamma", "Alpha"]),
        ("nonsense", ["Beta", "Alpha", "Gamma"]),
    ],
)
def test_the_list_sorts_by_each_column(alice_client, alice, sort, expected):
    for title, category, day, hours in [
        ("Alpha", "script", D(2022, 1, 1), None),
        ("Beta", "document", D(2023, 1, 1), 2),
        ("Gamma", "email", D(2020, 1, 1), 9),
    ]:
        WorkArtifactFactory(
            user=alice,
            title=title,
            category=category,
            artifact_date=day,
            estimated_hours_saved=hours,
        )
    response = alice_client.get("/portfolio/", {"sort": sort})
    assert response.status_code == 200
    assert [t for t in _titles(response) if t in {"Alpha", "Beta", "Gamma"}] == expected


def test_the_list_filters_by_category_and_date_range(alice_client, alice):
    WorkArtifactFactory(
        user=alice, title="Old email", category="email", artifact_date=D(2019, 5, 1)
    )
    WorkArtifactFactory(
        user=alice, title="New email", category="email", artifact_date=D(2022, 5, 1)
    )
    WorkArtifactFactory(
        user=alice, title="New doc", category="document", artifact_date=D(2022, 6, 1)
    )
    params = {"category": "email", "date_from": "2020-01-01", "date_to": "2022-12-31"}
    response = alice_client.get("/portfolio/", params)
    assert _titles(response) == ["New email"]
    assert "1 artifact matches" in response.text
    # The filters stay in the URL: the sort links carry them along.
    assert "category=email" in response.text.split('class="sort-link"')[1]
    assert 'value="2020-01-01"' in response.text


def test_a_bad_filter_value_is_ignored_and_said(alice_client, alice):
    WorkArtifactFactory(user=alice, title="Kept")
    response = alice_client.get("/portfolio/", {"date_from": "yesterday", "category": "video"})
    assert response.status_code == 200
    assert "Kept" in response.text
    assert "(ignored)" in response.text


def test_htmx_sort_link_returns_filters_and_results(alice_client, alice):
    WorkArtifactFactory(user=alice, title="Kept")
    response = alice_client.get(
        "/portfolio/", {"sort": "title"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="portfolio-browse"
    )
    assert response.text.lstrip().startswith('<section id="portfolio-browse"')
    assert "<html" not in response.text


def test_sorted_and_filtered_list_runs_the_same_queries_for_5_and_50(alice_client, alice):
    def add(count: int) -> None:
        WorkArtifactFactory.create_batch(count, user=alice, category="email")

    add(5)
    params = {"sort": "-hours", "category": "email", "date_from": "2000-01-01", "q": "work"}
    assert_constant_queries(
        lambda: alice_client.get("/portfolio/", params), lambda: add(45), limit=12
    )


# --- bulk delete --------------------------------------------------------------------------


def test_bulk_delete_confirms_then_deletes_in_one_statement(
    alice_client, alice, in_tenant, django_assert_max_num_queries
):
    doomed = WorkArtifactFactory.create_batch(3, user=alice)
    kept = WorkArtifactFactory(user=alice, title="Kept")
    ids = [a.pk for a in doomed]
    confirm = alice_client.post("/portfolio/delete-selected/", {"ids": ids})
    assert confirm.status_code == 200
    assert "Delete 3 artifacts?" in confirm.text
    assert _count(alice, in_tenant) == 4
    with in_tenant(alice), django_assert_max_num_queries(3) as captured:
        assert services.artifacts_delete_owned(user=alice, artifact_ids=ids[:1]) == 1
    statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1  # the DELETE itself, inside the service's savepoint
    assert statements[0].startswith("DELETE")
    response = alice_client.post("/portfolio/delete-selected/", {"ids": ids[1:], "confirm": "yes"})
    assert response["Location"] == "/portfolio/"
    assert _stored(alice, in_tenant).pk == kept.pk


def test_bulk_delete_with_someone_elses_id_deletes_nothing(
    alice_client, alice, bob, carol, in_tenant
):
    mine = WorkArtifactFactory(user=alice)
    for other in (WorkArtifactFactory(user=bob), WorkArtifactFactory(user=carol)):
        ids = [mine.pk, other.pk]
        assert alice_client.post("/portfolio/delete-selected/", {"ids": ids}).status_code == 404
        response = alice_client.post("/portfolio/delete-selected/", {"ids": ids, "confirm": "yes"})
        assert response.status_code == 404
        assert _count(alice, in_tenant) == 1
        assert _count(other.user, in_tenant) == 1


def test_bulk_delete_with_nothing_selected_says_so(alice_client):
    response = alice_client.post("/portfolio/delete-selected/", follow=True)
    assert "Select the artifacts to delete first." in response.text


def test_bulk_delete_is_post_only(alice_client):
    assert alice_client.get("/portfolio/delete-selected/").status_code == 405


# --- export ---------------------------------------------------------------------------------


def test_exports_are_visible_downloads(alice_client, alice):
    WorkArtifactFactory(user=alice, title="=HYPERLINK(1)", artifact_date=D(2022, 3, 4))
    page = alice_client.get("/portfolio/").text
    assert 'href="/portfolio/export.csv" download' in page
    assert 'href="/portfolio/export.json" download' in page
    response = alice_client.get("/portfolio/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="portfolio.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["title"] == "'=HYPERLINK(1)"  # opens as text in a spreadsheet
    assert rows[0]["artifactDate"] == "2022-03-04"
    json_response = alice_client.get("/portfolio/export.json")
    assert "attachment" in json_response["Content-Disposition"]


def test_csv_export_is_only_mine(client_for, alice, bob):
    WorkArtifactFactory(user=alice, title="Alice's")
    text = client_for(bob).get("/portfolio/export.csv").content.decode()
    assert "Alice's" not in text


# --- several files at once ------------------------------------------------------------------


def _upload(client, *uploads, **fields):
    data = {"files": list(uploads), "artifact_date": "2022-02-02", **fields}
    return client.post("/portfolio/upload/", data)


def test_each_uploaded_file_becomes_an_artifact(alice_client, alice, in_tenant):
    response = _upload(
        alice_client,
        SimpleUploadedFile("board_report.txt", b"Quarterly numbers"),
        SimpleUploadedFile("renewal-letter.docx", files.docx_bytes("Dear customer")),
        SimpleUploadedFile("broken.pdf", files.corrupt_pdf_bytes()),
    )
    assert response.status_code == 200
    assert response.text.count('class="ok"') == 2
    assert response.text.count('class="failed"') == 1
    assert extraction.CORRUPT in response.text
    with in_tenant(alice):
        stored = {a.title: a for a in WorkArtifact.objects.filter(user=alice)}
    assert set(stored) == {"Board report", "Renewal letter"}
    assert stored["Renewal letter"].extracted_text == "Dear customer"
    assert stored["Board report"].artifact_date == D(2022, 2, 2)


def test_the_limit_applies_to_each_uploaded_file(alice_client, alice, in_tenant, artifacts_for):
    artifacts_for(alice, 49)
    response = _upload(
        alice_client,
        SimpleUploadedFile("one.txt", b"first"),
        SimpleUploadedFile("two.txt", b"second"),
        SimpleUploadedFile("three.txt", b"third"),
    )
    assert response.text.count('class="ok"') == 1
    assert response.text.count(services.LIMIT_REACHED) == 2
    assert _count(alice, in_tenant) == 50


def test_an_upload_without_files_or_with_a_future_date_is_a_form_error(
    alice_client, alice, in_tenant
):
    assert "Choose one or more files." in _upload(alice_client).text
    response = _upload(
        alice_client, SimpleUploadedFile("a.txt", b"text"), artifact_date="2999-01-01"
    )
    assert services.DATE_IN_FUTURE in response.text
    assert _count(alice, in_tenant) == 0


def test_htmx_upload_returns_the_panel_with_results(alice_client, alice):
    response = alice_client.post(
        "/portfolio/upload/",
        {"files": [SimpleUploadedFile("a.txt", b"text")], "artifact_date": "2022-02-02"},
        HTTP_HX_REQUEST="true",
    )
    assert response.text.lstrip().startswith('<div id="upload-panel">')
    assert "Added" in response.text


def test_the_upload_page_takes_several_files_and_drops(alice_client):
    page = alice_client.get("/portfolio/upload/").text
    assert 'type="file" name="files"' in page
    assert "multiple" in page.split('name="files"')[1].split(">")[0]
    assert "data-dropzone" in page


def test_the_upload_cap_holds_per_request_and_reports_each_file(
    alice_client, alice, in_tenant, settings
):
    settings.UPLOAD_MAX_BYTES = 1000
    response = _upload(
        alice_client,
        SimpleUploadedFile("small.txt", b"small"),
        SimpleUploadedFile("big.txt", b"x" * 2000),
    )
    assert response.text.count('class="ok"') == 1
    assert "larger than" in response.text
    assert _count(alice, in_tenant) == 1


# --- the chart on the page --------------------------------------------------------------


def test_the_chart_says_its_range_and_totals_the_rest(alice_client, alice):
    WorkArtifactFactory(user=alice, artifact_date=D(2010, 1, 1), estimated_hours_saved=5)
    WorkArtifactFactory(user=alice, artifact_date=D(2022, 1, 1), estimated_hours_saved=3)
    WorkArtifactFactory(user=alice, artifact_date=D(2023, 6, 1), estimated_hours_saved=1)
    WorkArtifactFactory(user=alice, artifact_date=D(2999, 1, 1), estimated_hours_saved=2)
    page = alice_client.get("/portfolio/").text
    assert 'data-testid="hours-total">11<' in page
    assert "Jul 2021 to Jun 2023: 4 hours" in page
    assert "Earlier: 5 hours." in page
    assert "Dated after today (check those dates): 2 hours." in page
    assert 'class="gridline"' in page
    assert '<text class="value"' in page
    assert 'class="chart-rows"' in page  # the narrow-screen list of the same figures


def test_htmx_list_requests_push_only_the_filters_that_do_something(alice_client, alice):
    params = {"q": "board", "category": "", "date_from": "", "sort": "-date"}
    response = alice_client.get(
        "/portfolio/", params, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="artifact-results"
    )
    assert response["HX-Push-Url"] == "/portfolio/?q=board"
    response = alice_client.get(
        "/portfolio/", {"sort": "-date"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="artifact-results"
    )
    assert response["HX-Push-Url"] == "/portfolio/"


def test_a_field_edited_in_place_takes_the_focus(alice_client, alice, create):
    artifact = create(alice)
    form = alice_client.get(f"/portfolio/{artifact.pk}/edit/?field=title", HTTP_HX_REQUEST="true")
    assert "autofocus" in form.text


# --- the date rule on every path ---------------------------------------------------------


def test_the_admin_refuses_a_future_date(admin_client, alice, in_tenant):
    form = {
        "user": alice.pk,
        "title": "Admin entry",
        "description": "",
        "category": "email",
        "artifact_date": "2999-05-01",
        "estimated_hours_saved": "",
    }
    response = admin_client.post("/admin/portfolio/workartifact/add/", form)
    assert response.status_code == 200
    assert services.DATE_IN_FUTURE in response.text
    assert _count(alice, in_tenant) == 0
