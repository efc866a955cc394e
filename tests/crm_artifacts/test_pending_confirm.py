"""The all-pending screen's "Accept all" / "Reject all" ask first, as on the
customer's page (issue 13 §2): the confirmation page without JavaScript, a
<dialog> with it, and the answer comes back to the screen it was asked from."""

from __future__ import annotations

import pytest

from crm_artifacts.models import Proposal
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db

URL = "/crm/proposals/"


def test_accept_all_links_to_the_confirmation_and_holds_its_dialog(
    bob_client, customer, make_batch
):
    first, _ = make_batch(customer, email="jane@new.example", employer="Initech")
    page = bob_client.get(URL).text
    confirm = f"/crm/batches/{first.batch_id}/confirm/"
    assert f'href="{confirm}?decision=accept&amp;next=/crm/proposals/"' in page
    assert f'href="{confirm}?decision=reject&amp;next=/crm/proposals/"' in page
    assert f'<dialog id="confirm-accept-{first.batch_id}"' in page
    # Nothing posts straight from the screen any more: the dialog's form answers.
    assert page.count(f'action="/crm/batches/{first.batch_id}/accept/"') == 1
    assert 'name="next" value="/crm/proposals/"' in page


def test_nothing_is_decided_until_the_answer(bob_client, bob, customer, make_batch):
    first, _ = make_batch(customer, email="jane@new.example", employer="Initech")
    confirm = bob_client.get(
        f"/crm/batches/{first.batch_id}/confirm/", {"decision": "accept", "next": URL}
    )
    assert confirm.status_code == 200
    assert "Accept all 2 pending proposals of this batch?" in confirm.text
    assert f'<a class="button" href="{URL}">Cancel</a>' in confirm.text
    with tenant_context(bob.tenant_id):
        assert Proposal.objects.filter(status="pending").count() == 2

    answer = bob_client.post(f"/crm/batches/{first.batch_id}/accept/", {"next": URL})
    assert answer.status_code == 302
    assert answer["Location"].startswith(URL)
    assert "undo=" in answer["Location"]  # the screen offers Undo for what was just decided
    with tenant_context(bob.tenant_id):
        assert set(Proposal.objects.values_list("status", flat=True)) == {"accepted"}
    back = bob_client.get(answer["Location"])
    assert "Undo" in back.text


def test_a_foreign_next_is_ignored(bob_client, customer, make_batch):
    first, _ = make_batch(customer, email="jane@new.example", employer="Initech")
    confirm = bob_client.get(
        f"/crm/batches/{first.batch_id}/confirm/",
        {"decision": "reject", "next": "https://evil.example/"},
    )
    assert "evil.example" not in confirm.text
    assert f'href="/crm/customers/{customer.pk}/#batch-{first.batch_id}">Cancel' in confirm.text
