"""Text PostgreSQL cannot store (a NUL) is refused at the edge with a 400, on every
path (site, admin, API), instead of reaching a query as a DataError (a 500).

Issue 11, point 6. Every URL pattern is probed in tests/test_isolation_matrix.py;
these are the reported URLs with their own parameters, and the cases that need a
body of their own (an upload, JSON).
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from config.middleware import UNSTORABLE_INPUT
from portfolio.models import WorkArtifact
from tests.crm_artifacts.conftest import bob_client, customer, make_batch  # noqa: F401
from tests.factories import UserFactory
from tests.portfolio import files
from tests.portfolio.test_views import FORM  # the same valid artifact form

pytestmark = pytest.mark.django_db

REPORTED = [
    "/portfolio/?q=%00",
    "/portfolio/?q=a%00b",
    "/admin/crm_artifacts/proposal/?batch_id=%00",
    "/admin/crm_artifacts/proposal/?status=%00",
    "/admin/portfolio/workartifact/?category=%00",
    "/admin/autocomplete/?app_label=skills&model_name=skill&field_name=parent&term=%00",
]


@pytest.fixture
def root_client(client_for, acme):
    root = UserFactory(email="root@acme.test", tenant=acme, is_staff=True, is_superuser=True)
    return client_for(root)


@pytest.mark.parametrize("url", REPORTED)
def test_the_reported_urls_answer_400_with_a_page_saying_why(url, root_client):
    response = root_client.get(url)
    assert response.status_code == 400
    assert UNSTORABLE_INPUT in response.text
    assert "<!doctype html>" in response.text.lower()  # the site's page, not Django's


def test_a_nul_in_the_path_answers_400(alice_client):
    assert alice_client.get("/portfolio/%00/").status_code == 400


def test_the_api_answers_400_in_json(bob_client, customer):  # noqa: F811
    response = bob_client.get(f"/api/customers/{customer.pk}/artifacts?status=%00")
    assert response.status_code == 400
    assert response.json() == {"error": UNSTORABLE_INPUT}


def test_the_api_keeps_its_own_check_of_json_bodies(bob_client, customer, make_batch):  # noqa: F811
    (proposal,) = make_batch(customer, occupation="Chef")
    body = json.dumps({"status": "edited", "editedValue": "\ud800"})
    response = bob_client.patch(f"/api/artifacts/{proposal.pk}", body, "application/json")
    assert response.status_code == 400
    assert response.json()["error"] != UNSTORABLE_INPUT  # the API's own message


def test_an_upload_s_file_name_loses_its_nul_on_the_way_in(alice_client, alice, in_tenant):
    # Django's multipart parser drops non-printable characters from file names.
    upload = SimpleUploadedFile("board\x00.docx", files.docx_bytes("Board minutes"))
    response = alice_client.post("/portfolio/new/", {**FORM, "file": upload})
    assert response.status_code == 302
    with in_tenant(alice):
        assert WorkArtifact.objects.get(user=alice).file_name == "board.docx"


@pytest.mark.parametrize("field", [{"description": "a\x00b"}, {"x\x00": "1"}])
def test_a_form_field_with_a_nul_beside_an_upload_answers_400(alice_client, field):
    upload = SimpleUploadedFile("board.docx", files.docx_bytes("Board minutes"))
    response = alice_client.post("/portfolio/new/", {**FORM, **field, "file": upload})
    assert response.status_code == 400
    assert UNSTORABLE_INPUT in response.text


def test_the_upload_cap_still_applies_to_a_multipart_body(alice_client, settings):
    """The middleware must not read a multipart body before the view installs
    its upload handlers (the cap)."""
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    big = SimpleUploadedFile("big.txt", b"a" * (100 * 1024))  # over the cap, within the allowance
    response = alice_client.post("/portfolio/new/", {**FORM, "file": big})
    assert response.status_code == 200
    assert "The file is larger than 0.0625 MB." in response.text


def test_an_upload_s_content_may_hold_nul_bytes(alice_client):
    data = files.docx_bytes("Board minutes")
    assert b"\x00" in data  # a zip archive: NUL bytes are ordinary there
    upload = SimpleUploadedFile("board.docx", data)
    response = alice_client.post("/portfolio/new/", {**FORM, "file": upload})
    assert response.status_code == 302


def test_a_session_cookie_with_a_nul_is_no_session_rather_than_a_500(alice, settings):
    client = Client(raise_request_exception=False)
    client.cookies[settings.SESSION_COOKIE_NAME] = "abcdefgh\x00ijkl"
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
