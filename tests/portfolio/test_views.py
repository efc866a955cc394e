from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from portfolio import services
from portfolio.extraction import extract as extraction
from portfolio.models import WorkArtifact
from tests.factories import SkillFactory
from tests.portfolio import files
from tests.portfolio.factories import WorkArtifactFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db

FORM = {
    "title": "Board report",
    "description": "The monthly pack.",
    "category": "document",
    "artifact_date": "2022-03-15",
    "estimated_hours_saved": "4",
}


def _count(user, in_tenant) -> int:
    with in_tenant(user):
        return WorkArtifact.objects.filter(user=user).count()


def _only(user, in_tenant) -> WorkArtifact:
    with in_tenant(user):
        return WorkArtifact.objects.get(user=user)


# --- list ------------------------------------------------------------------------


def test_list_shows_my_artifacts_newest_first_with_totals(alice_client, alice, bob):
    WorkArtifactFactory(user=alice, title="Older", artifact_date=datetime.date(2020, 1, 5))
    WorkArtifactFactory(
        user=alice,
        title="Newer",
        artifact_date=datetime.date(2021, 6, 1),
        estimated_hours_saved=3.5,
        file_name="newer.docx",
    )
    WorkArtifactFactory(user=bob, title="Bob's own")
    response = alice_client.get("/portfolio/")
    assert response.status_code == 200
    text = response.text
    assert text.index("Newer") < text.index("Older")
    assert "Bob's own" not in text
    assert "2 of 50" in text
    assert ">5.5<" in text  # 2 + 3.5 hours
    assert "newer.docx" in text
    assert "<svg" in text
    assert "Jun 2021: 3.5 hours" in text


def test_list_links_suggested_skills(alice_client, alice):
    skill = SkillFactory(author=alice, name="Email drafting")
    WorkArtifactFactory(user=alice, suggested_skill_ids=[str(skill.pk)])
    response = alice_client.get("/portfolio/")
    assert f'href="/skills/{skill.pk}/">Email drafting</a>' in response.text


def test_empty_list_invites_the_first_artifact(alice_client):
    response = alice_client.get("/portfolio/")
    assert "No artifacts yet" in response.text
    assert '<a class="button primary" href="/portfolio/new/">' in response.text
    # No chart (icons are SVG too, so look for the chart's own figure).
    assert "portfolio-chart" not in response.text


def test_search_matches_title_description_and_file_text(alice_client, alice):
    WorkArtifactFactory(user=alice, title="Board report")
    WorkArtifactFactory(user=alice, title="Renewal", description="Customer negotiations")
    WorkArtifactFactory(user=alice, title="Scan", extracted_text="Invoices were reconciled.")
    for query, expected in [
        ("report", "Board report"),
        ("negotiation", "Renewal"),
        ("invoice reconciling", "Scan"),
    ]:
        text = alice_client.get("/portfolio/", {"q": query}).text
        assert expected in text
        others = {"Board report", "Renewal", "Scan"} - {expected}
        assert not any(f">{other}</a>" in text for other in others)
    assert "Nothing matches" in alice_client.get("/portfolio/", {"q": "zebra"}).text


def test_search_never_shows_a_teammates_artifacts(alice_client, bob):
    WorkArtifactFactory(user=bob, title="Board report by Bob")
    assert "Board report by Bob" not in alice_client.get("/portfolio/", {"q": "board"}).text


def test_htmx_search_returns_only_the_results_fragment(alice_client, alice):
    WorkArtifactFactory(user=alice, title="Board report")
    response = alice_client.get(
        "/portfolio/",
        {"q": "board"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="artifact-results",
    )
    assert response.text.lstrip().startswith('<div id="artifact-results">')
    assert "Board report" in response.text
    assert "<html" not in response.text


def test_search_tolerates_any_input(alice_client, alice):
    WorkArtifactFactory(user=alice, title="Board report")
    for query in ['"unbalanced', "a & | ! (", "-", "::*", "x" * 500]:
        assert alice_client.get("/portfolio/", {"q": query}).status_code == 200


def test_list_runs_the_same_queries_for_5_and_50_artifacts(alice_client, alice):
    skills = [str(SkillFactory(author=alice).pk) for _ in range(3)]

    def add(count: int) -> None:
        WorkArtifactFactory.create_batch(count, user=alice, suggested_skill_ids=skills)

    add(5)
    assert_constant_queries(lambda: alice_client.get("/portfolio/"), lambda: add(45), limit=12)


def test_list_query_is_answered_from_a_user_index(alice):
    from django.db import connection

    from tenancy.context import tenant_context

    WorkArtifactFactory.create_batch(5, user=alice)
    with tenant_context(alice.tenant_id), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = (
            WorkArtifact.objects.owned_by(alice).newest_first().values("pk").query.sql_with_params()
        )
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The (user, artifact_date) index or the user FK index, never a table scan.
    assert "Index Cond: (user_id = " in plan
    assert "Seq Scan" not in plan


def test_json_export_has_iso_dates(alice_client, alice):
    WorkArtifactFactory(user=alice, title="Board report", artifact_date=datetime.date(2022, 3, 4))
    data = alice_client.get("/portfolio/export.json").json()
    assert data["artifacts"][0]["artifactDate"] == "2022-03-04"
    assert data["artifacts"][0]["title"] == "Board report"


def test_dashboard_card_shows_the_portfolio_count(alice_client, alice):
    WorkArtifactFactory.create_batch(3, user=alice)
    response = alice_client.get("/")
    assert 'href="/portfolio/">3</a>' in response.text
    assert "of 50 artifacts · 6 hours saved" in response.text


# --- create ------------------------------------------------------------------------


def test_create_without_a_file(alice_client, alice, in_tenant):
    response = alice_client.post("/portfolio/new/", FORM)
    artifact = _only(alice, in_tenant)
    assert response.status_code == 302
    assert response["Location"] == f"/portfolio/{artifact.pk}/"
    assert (artifact.title, artifact.estimated_hours_saved, artifact.file_name) == (
        "Board report",
        4.0,
        "",
    )
    assert artifact.artifact_date == datetime.date(2022, 3, 15)


@pytest.mark.parametrize(
    ("name", "data", "snippet"),
    [
        ("notes.txt", b"Meeting notes about pricing", "Meeting notes about pricing"),
        ("plan.md", b"# Plan\n\nShip it", "# Plan"),
        ("hours.csv", b"task,hours\nreport,3", "task,hours"),
        ("page.html", b"<p>Hello <b>web</b></p><script>x()</script>", "Hello web"),
        ("mail.eml", files.eml_bytes("Renewal", "Thanks for the call."), "Subject: Renewal"),
        ("report.pdf", files.pdf_bytes("Quarterly revenue"), "Quarterly revenue"),
        ("board.docx", files.docx_bytes("Board minutes"), "Board minutes"),
    ],
)
def test_create_with_each_file_type_shows_its_text(
    alice_client, alice, in_tenant, name, data, snippet
):
    response = alice_client.post(
        "/portfolio/new/", {**FORM, "file": SimpleUploadedFile(name, data)}, follow=True
    )
    artifact = _only(alice, in_tenant)
    assert artifact.file_name == name
    assert snippet in artifact.extracted_text
    assert snippet in response.text
    assert "x()" not in artifact.extracted_text
    assert response.status_code == 200
    assert "Text from the file" in response.text


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("broken.pdf", files.corrupt_pdf_bytes(), extraction.CORRUPT),
        ("locked.pdf", files.encrypted_pdf_bytes("secret"), extraction.ENCRYPTED),
        ("empty.txt", b"", extraction.EMPTY),
        ("report.docx", files.pdf_bytes("a pdf in disguise"), extraction.MISMATCH),
        ("setup.exe", b"MZ\x90\x00binary", extraction.UNSUPPORTED),
    ],
)
def test_bad_files_are_form_errors_and_save_nothing(
    alice_client, alice, in_tenant, name, data, message
):
    response = alice_client.post(
        "/portfolio/new/", {**FORM, "file": SimpleUploadedFile(name, data)}
    )
    assert response.status_code == 200
    assert message.replace("'", "&#x27;") in response.text
    assert 'value="Board report"' in response.text  # the rest of the form is kept
    assert _count(alice, in_tenant) == 0


def test_a_zip_bomb_docx_is_a_form_error(alice_client, alice, in_tenant):
    bomb = SimpleUploadedFile("bomb.docx", files.zip_bomb_docx_bytes())
    response = alice_client.post("/portfolio/new/", {**FORM, "file": bomb})
    assert extraction.ZIP_BOMB in response.text
    assert _count(alice, in_tenant) == 0


@pytest.mark.parametrize(
    ("password", "message"),
    [("secret", extraction.ENCRYPTED), ("", None)],
    ids=["user-password", "owner-password-only"],
)
def test_an_aes_pdf_is_named_locked_or_read(alice_client, alice, in_tenant, password, message):
    data = files.encrypted_pdf_bytes(
        "Quarterly revenue", password=password, owner_password="owner", algorithm="AES-256"
    )
    upload = SimpleUploadedFile("report.pdf", data)
    response = alice_client.post("/portfolio/new/", {**FORM, "file": upload}, follow=True)
    if message:
        assert message in response.text
        assert _count(alice, in_tenant) == 0
    else:
        assert "Quarterly revenue" in _only(alice, in_tenant).extracted_text


def test_a_flate_bomb_pdf_is_a_form_error(alice_client, alice, in_tenant):
    bomb = SimpleUploadedFile("bomb.pdf", files.flate_bomb_pdf_bytes())
    response = alice_client.post("/portfolio/new/", {**FORM, "file": bomb})
    assert extraction.ZIP_BOMB in response.text
    assert _count(alice, in_tenant) == 0


def test_an_upload_over_the_cap_is_refused_while_it_arrives(
    alice_client, alice, in_tenant, settings
):
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    big = SimpleUploadedFile("big.txt", b"a" * (100 * 1024))  # over the cap, within the allowance
    response = alice_client.post("/portfolio/new/", {**FORM, "file": big})
    assert response.status_code == 200
    assert "The file is larger than 0.0625 MB." in response.text
    assert 'value="Board report"' in response.text
    assert _count(alice, in_tenant) == 0


def test_long_text_is_cut_and_the_page_says_so(alice_client, alice, in_tenant):
    upload = SimpleUploadedFile("long.txt", b"word " * 30_000)
    response = alice_client.post("/portfolio/new/", {**FORM, "file": upload}, follow=True)
    artifact = _only(alice, in_tenant)
    assert len(artifact.extracted_text) == 100_000
    assert artifact.text_truncated
    assert "only its beginning was saved" in response.text
    assert "only its beginning is shown" in response.text


def test_binary_garbage_never_reaches_the_page(alice_client, alice, in_tenant):
    upload = SimpleUploadedFile("log.txt", b"start\x1b[31m\x07\x08 end")
    response = alice_client.post("/portfolio/new/", {**FORM, "file": upload}, follow=True)
    assert "\x1b" not in response.text
    assert "\x07" not in response.text
    assert "start[31m end" in response.text


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("title", "", "This field is required"),
        ("title", "t" * 201, "at most 200 characters"),
        ("estimated_hours_saved", "-1", services.HOURS_OUT_OF_RANGE),
        ("estimated_hours_saved", "10001", services.HOURS_OUT_OF_RANGE),
        ("category", "video", "Select a valid choice"),
        ("artifact_date", "", "This field is required"),
    ],
)
def test_bad_fields_are_form_errors(alice_client, alice, in_tenant, field, value, error):
    response = alice_client.post("/portfolio/new/", {**FORM, field: value})
    assert response.status_code == 200
    assert error in response.text
    assert _count(alice, in_tenant) == 0


def test_the_limit_is_a_form_error(alice_client, alice, in_tenant, artifacts_for):
    artifacts_for(alice, 50)
    response = alice_client.post("/portfolio/new/", FORM)
    assert response.status_code == 200
    assert "Maximum 50 artifacts allowed" in response.text
    assert _count(alice, in_tenant) == 50
    assert "Limit reached" in alice_client.get("/portfolio/").text


def test_htmx_create_errors_return_the_form_fragment(alice_client, alice):
    response = alice_client.post("/portfolio/new/", {**FORM, "title": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<form id="artifact-form"')
    assert "This field is required" in response.text


def test_htmx_create_success_redirects_the_browser(alice_client, alice, in_tenant):
    response = alice_client.post("/portfolio/new/", FORM, HTTP_HX_REQUEST="true")
    artifact = _only(alice, in_tenant)
    assert response["HX-Redirect"] == f"/portfolio/{artifact.pk}/"


def test_the_upload_form_still_checks_csrf(alice, in_tenant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    upload = SimpleUploadedFile("notes.txt", b"notes")
    response = client.post("/portfolio/new/", {**FORM, "file": upload})
    assert response.status_code == 403
    assert _count(alice, in_tenant) == 0


def test_anonymous_visitors_are_sent_to_login(client):
    for url in ["/portfolio/", "/portfolio/new/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


# --- detail, edit, delete, dismiss ------------------------------------------------------


def test_detail_shows_text_and_suggestions_with_dismiss(alice_client, alice, create):
    skill = SkillFactory(author=alice, name="Email drafting", description="")
    artifact = create(alice, title="Email to customers", extracted_text="Dear customer")
    response = alice_client.get(f"/portfolio/{artifact.pk}/")
    assert "Dear customer" in response.text
    assert f'href="/skills/{skill.pk}/">Email drafting</a>' in response.text
    assert f"/portfolio/{artifact.pk}/suggestions/{skill.pk}/dismiss/" in response.text


def test_edit_changes_the_hours(alice_client, alice, create, in_tenant):
    artifact = create(alice, estimated_hours_saved=2, extracted_text="Keep this text")
    form = alice_client.get(f"/portfolio/{artifact.pk}/edit/")
    assert 'value="2.0"' in form.text
    assert 'value="2022-03-01"' in form.text  # ISO, as <input type=date> needs
    response = alice_client.post(
        f"/portfolio/{artifact.pk}/edit/",
        {**FORM, "title": artifact.title, "estimated_hours_saved": "9"},
    )
    assert response.status_code == 302
    stored = _only(alice, in_tenant)
    assert stored.estimated_hours_saved == 9.0
    assert stored.extracted_text == "Keep this text"  # no new file: text kept


def test_edit_with_a_new_file_replaces_the_text(alice_client, alice, create, in_tenant):
    artifact = create(alice, extracted_text="Old text", file_name="old.txt")
    upload = SimpleUploadedFile("new.docx", files.docx_bytes("New text"))
    alice_client.post(f"/portfolio/{artifact.pk}/edit/", {**FORM, "file": upload})
    stored = _only(alice, in_tenant)
    assert (stored.file_name, stored.extracted_text) == ("new.docx", "New text")


def test_edit_with_a_bad_file_changes_nothing(alice_client, alice, create, in_tenant):
    artifact = create(alice, extracted_text="Old text", file_name="old.txt")
    upload = SimpleUploadedFile("broken.pdf", files.corrupt_pdf_bytes())
    response = alice_client.post(
        f"/portfolio/{artifact.pk}/edit/", {**FORM, "title": "Changed", "file": upload}
    )
    assert extraction.CORRUPT in response.text
    stored = _only(alice, in_tenant)
    assert (stored.title, stored.extracted_text) == ("Quarterly report", "Old text")


def test_delete_asks_for_confirmation_then_deletes(alice_client, alice, create, in_tenant):
    artifact = create(alice, title="Doomed")
    page = alice_client.get(f"/portfolio/{artifact.pk}/delete/")
    assert page.status_code == 200
    assert "Delete “Doomed”?" in page.text
    assert _count(alice, in_tenant) == 1
    response = alice_client.post(f"/portfolio/{artifact.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == "/portfolio/"
    assert _count(alice, in_tenant) == 0


def test_dismiss_is_post_only(alice_client, alice, create):
    SkillFactory(author=alice, name="Email drafting", description="")
    artifact = create(alice, title="Email")
    skill_id = artifact.suggested_skill_ids[0]
    url = f"/portfolio/{artifact.pk}/suggestions/{skill_id}/dismiss/"
    assert alice_client.get(url).status_code == 405


def test_dismiss_plain_redirects_and_htmx_returns_the_fragment(
    alice_client, alice, create, in_tenant
):
    first = SkillFactory(author=alice, name="Email drafting", description="")
    second = SkillFactory(author=alice, name="Email etiquette", description="")
    artifact = create(alice, title="Email")
    response = alice_client.post(f"/portfolio/{artifact.pk}/suggestions/{first.pk}/dismiss/")
    assert response.status_code == 302
    response = alice_client.post(
        f"/portfolio/{artifact.pk}/suggestions/{second.pk}/dismiss/", HTTP_HX_REQUEST="true"
    )
    assert response.text.lstrip().startswith('<div id="suggestions">')
    assert "No suggestions" in response.text
    assert _only(alice, in_tenant).suggested_skill_ids == []


def test_dismissing_a_foreign_skill_is_404(alice_client, alice, carol, create, in_tenant):
    SkillFactory(author=alice, name="Email drafting", description="")
    foreign = SkillFactory(author=carol, name="Email drafting", description="")
    artifact = create(alice, title="Email")
    url = f"/portfolio/{artifact.pk}/suggestions/{foreign.pk}/dismiss/"
    assert alice_client.post(url).status_code == 404
    assert len(_only(alice, in_tenant).suggested_skill_ids) == 1


# (suffix, methods it answers): every URL that names an artifact.
URLS = [("", ["get"]), ("edit/", ["get", "post"]), ("delete/", ["get", "post"])]
URLS += [("suggestions/<skill>/dismiss/", ["post"])]


@pytest.mark.parametrize("who", ["bob", "carol"])
@pytest.mark.parametrize(("suffix", "methods"), URLS)
def test_someone_elses_artifact_is_404_on_every_url(
    client_for, alice, bob, carol, create, in_tenant, who, suffix, methods
):
    SkillFactory(author=alice, name="Email drafting", description="")
    artifact = create(alice, title="Email to the board")
    skill_id = artifact.suggested_skill_ids[0]
    client = client_for({"bob": bob, "carol": carol}[who])
    url = f"/portfolio/{artifact.pk}/{suffix}".replace("<skill>", skill_id)
    for method in methods:
        response = getattr(client, method)(url, {**FORM, "title": "Hijacked"})
        assert response.status_code == 404
    stored = _only(alice, in_tenant)
    assert (stored.title, stored.suggested_skill_ids) == ("Email to the board", [skill_id])


def test_an_unknown_id_is_404(alice_client):
    assert alice_client.get("/portfolio/not-a-uuid/").status_code == 404
    assert alice_client.get("/portfolio/00000000-0000-4000-8000-000000000000/").status_code == 404
