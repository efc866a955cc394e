from __future__ import annotations

import datetime

import pytest

from portfolio.models import WorkArtifact
from tests.portfolio.factories import WorkArtifactFactory

pytestmark = pytest.mark.django_db

ADMIN = "/admin/portfolio/workartifact/"


def _form(user, **fields) -> dict:
    return {
        "user": user.pk,
        "title": "Admin entry",
        "description": "",
        "category": "email",
        "artifact_date": "2022-05-01",
        "estimated_hours_saved": "1.5",
        **fields,
    }


def test_changelist_shows_my_tenants_artifacts_with_filters(admin_client, alice, bob, carol):
    WorkArtifactFactory(user=alice, title="Alice's report", category="document")
    WorkArtifactFactory(user=bob, title="Bob's email", category="email")
    WorkArtifactFactory(user=carol, title="Globex secret")
    response = admin_client.get(ADMIN)
    assert response.status_code == 200
    assert "Alice&#x27;s report" in response.text
    assert "Bob&#x27;s email" in response.text
    assert "Globex secret" not in response.text
    filtered = admin_client.get(ADMIN, {"category__exact": "email"})
    assert "Bob&#x27;s email" in filtered.text
    assert "Alice&#x27;s report" not in filtered.text
    assert "By category" in response.text
    assert "By artifact date" in response.text


def test_search_covers_the_extracted_text(admin_client, alice):
    WorkArtifactFactory(user=alice, title="Scan", extracted_text="Reconciled invoices.")
    WorkArtifactFactory(user=alice, title="Unrelated memo")
    response = admin_client.get(ADMIN, {"q": "invoice"})
    assert ">Scan<" in response.text
    assert "Unrelated memo" not in response.text
    assert "Unrelated memo" in admin_client.get(ADMIN, {"q": "memo"}).text


def test_change_page_shows_a_read_only_text_preview(admin_client, alice):
    artifact = WorkArtifactFactory(user=alice, extracted_text="x" * 5000, text_truncated=True)
    response = admin_client.get(f"{ADMIN}{artifact.pk}/change/")
    assert response.status_code == 200
    assert "5,000 characters (cut: the file held more)" in response.text
    assert 'name="extracted_text"' not in response.text
    assert "x" * 1999 + "…" in response.text


def test_add_goes_through_the_service(admin_client, alice, bob, in_tenant):
    response = admin_client.post(f"{ADMIN}add/", _form(bob))
    assert response.status_code == 302
    with in_tenant(bob):
        artifact = WorkArtifact.objects.get(user=bob)
    assert (artifact.title, artifact.tenant_id) == ("Admin entry", bob.tenant_id)


def test_add_honours_the_limit(admin_client, alice, artifacts_for, in_tenant):
    artifacts_for(alice, 50)
    response = admin_client.post(f"{ADMIN}add/", _form(alice))
    assert response.status_code == 200
    assert "Maximum 50 artifacts allowed" in response.text
    with in_tenant(alice):
        assert WorkArtifact.objects.filter(user=alice).count() == 50


def test_add_checks_the_field_rules(admin_client, alice, in_tenant):
    response = admin_client.post(f"{ADMIN}add/", _form(alice, estimated_hours_saved="10001"))
    assert "Hours saved must be between 0 and 10,000." in response.text
    with in_tenant(alice):
        assert not WorkArtifact.objects.exists()


def test_add_refuses_a_user_of_another_tenant(admin_client, alice, carol, in_tenant):
    response = admin_client.post(f"{ADMIN}add/", _form(carol))
    assert response.status_code == 200
    assert "Select a valid choice" in response.text or "does not exist" in response.text
    with in_tenant(carol):
        assert not WorkArtifact.objects.exists()


def test_change_updates_through_the_service(admin_client, alice, in_tenant):
    artifact = WorkArtifactFactory(user=alice, title="Before", extracted_text="Keep")
    form = _form(alice, title="After", artifact_date="2021-02-03")
    del form["user"]
    response = admin_client.post(f"{ADMIN}{artifact.pk}/change/", form)
    assert response.status_code == 302
    with in_tenant(alice):
        stored = WorkArtifact.objects.get(pk=artifact.pk)
    assert (stored.title, stored.artifact_date, stored.extracted_text) == (
        "After",
        datetime.date(2021, 2, 3),
        "Keep",
    )


def test_another_tenants_artifact_is_404_in_the_admin(admin_client, carol):
    foreign = WorkArtifactFactory(user=carol)
    response = admin_client.get(f"{ADMIN}{foreign.pk}/change/")
    # An id the admin cannot see answers like a missing one everywhere: 404, no data.
    assert response.status_code == 404
    assert foreign.title not in response.text


def test_bulk_delete_removes_only_the_selected(admin_client, alice, in_tenant):
    keep, *gone = WorkArtifactFactory.create_batch(3, user=alice)
    response = admin_client.post(
        ADMIN,
        {"action": "delete_selected", "_selected_action": [a.pk for a in gone], "post": "yes"},
    )
    assert response.status_code == 302
    with in_tenant(alice):
        assert list(WorkArtifact.objects.values_list("pk", flat=True)) == [keep.pk]


def test_a_lost_race_for_the_last_slot_is_a_message_not_an_error_page(
    admin_client, alice, artifacts_for, in_tenant, monkeypatch
):
    # The form's early check passes (as when another create lands between it
    # and the save); the service's locked check must still refuse.
    monkeypatch.setattr("portfolio.admin.services.check_limit", lambda **kwargs: None)
    artifacts_for(alice, 50)
    response = admin_client.post(f"{ADMIN}add/", _form(alice), follow=True)
    assert response.status_code == 200
    assert "Maximum 50 artifacts allowed" in response.text
    with in_tenant(alice):
        assert WorkArtifact.objects.filter(user=alice).count() == 50
