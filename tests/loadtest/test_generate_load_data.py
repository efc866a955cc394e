"""generate_load_data: valid rows that every key page renders, still fenced by RLS."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from crm_artifacts.models import Customer, Proposal
from loadtest import samples
from loadtest.generate import PASSWORD, tenant_slug, user_email
from messaging.models import SkillMessage
from portfolio.models import WorkArtifact
from tenancy.context import tenant_context
from tenancy.models import Tenant, User
from workshops.models import StepArtifact, StepSummary, Workshop

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.single_node(
        "generate_load_data writes with INSERT … SELECT generate_series, which Citus runs "
        "as COPY, and Citus refuses COPY under row-level security"
    ),
]

TINY = {
    "users_per_tenant": 2,
    "artifacts_per_user": 3,
    "customers_per_user": 2,
    "proposals_per_customer": 6,
    "messages_per_user": 4,
    "verbosity": 0,
}


def generate(tenants: int = 2, **options) -> None:
    call_command("generate_load_data", tenants=tenants, **{**TINY, **options})


def sign_in(email: str) -> Client:
    client = Client()
    assert client.login(email=email, password=PASSWORD), f"cannot sign in as {email}"
    return client


def counts(tenant: Tenant) -> dict[str, int]:
    with tenant_context(tenant):
        return {
            model.__name__: model.objects.filter(tenant=tenant).count()
            for model in (WorkArtifact, SkillMessage, Workshop, Customer, Proposal)
        }


@pytest.fixture
def generated() -> tuple[Tenant, User]:
    generate()
    user = User.objects.get(email=user_email(1, tenant_slug(1)))
    return user.tenant, user


def test_every_key_page_shows_generated_content(generated):
    tenant, user = generated
    client = sign_in(user.email)
    with tenant_context(tenant):
        workshop = Workshop.objects.owned_by(user).get()
        customer = Customer.objects.of_rm(user).order_by("id").first()
        batch_id = Proposal.objects.filter(customer=customer, status="pending").first().batch_id

    pages = {
        "/": ["CRM proposals", "Portfolio"],
        "/portfolio/": [samples.WORK_ARTIFACTS[0][0], samples.SKILL_NAMES[0]],
        "/skills/": [samples.SKILL_NAMES[0]],
        "/messages/": [samples.MESSAGE_TEXTS[0]],
        "/workshops/": [workshop.title],
        f"/workshops/{workshop.pk}/": ["Stakeholder mapping"],
        f"/workshops/{workshop.pk}/steps/challenge/": [
            samples.ASSISTANT_LINES[0],
            samples.SUMMARY_TEXT[:40],
        ],
        f"/workshops/{workshop.pk}/steps/stakeholder-mapping/": ["Hiring managers"],
        "/crm/customers/": [customer.name],
        f"/crm/customers/{customer.pk}/": [batch_id, "Confirm with"],
        "/crm/proposals/": [customer.name],
    }
    for path, texts in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        for text in texts:
            assert text in response.content.decode(), f"{text!r} missing on {path}"

    api = client.get(f"/api/customers/{customer.pk}/artifacts")
    assert api.status_code == 200
    assert len(api.json()["artifacts"]) == TINY["proposals_per_customer"]


def test_rows_follow_the_apps_rules(generated):
    tenant, user = generated
    with tenant_context(tenant):
        pending = Proposal.objects.filter(tenant=tenant, status="pending")
        decided = Proposal.objects.filter(tenant=tenant).exclude(status="pending")
        assert pending.exists()
        assert decided.exists()
        assert all(a.decided_at and a.decided_by_id == a.rm_id for a in decided)
        # A pending proposal saw the profile as it is: accepting it is never stale.
        for artifact in pending.select_related("customer"):
            key = artifact.payload["field_key"]
            assert artifact.payload["previous_value"] == artifact.customer.profile.get(key)
            assert artifact.payload["proposed_value"] != artifact.customer.profile.get(key)
        assert StepArtifact.objects.filter(tenant=tenant, version=2).exists()
        assert StepSummary.objects.filter(tenant=tenant).exists()
        inbox = SkillMessage.objects.received_by(user)
        assert inbox.filter(status="pending", read_at__isnull=True).exists()
        assert inbox.exclude(status="pending").exists()
        assert all(m.subject_skill.author_id == user.pk for m in inbox)


def test_accepting_a_generated_batch_works(generated, client_for):
    tenant, user = generated
    with tenant_context(tenant):
        batch_id = (
            Proposal.objects.for_rm(user)
            .pending()
            .order_by("id")
            .values_list("batch_id", flat=True)
        )[0]
    response = client_for(user).post(f"/crm/batches/{batch_id}/accept/")
    assert response.status_code == 302
    with tenant_context(tenant):
        assert not Proposal.objects.filter(batch_id=batch_id, status="pending").exists()


def test_another_load_tenants_rows_stay_invisible(generated):
    tenant, user = generated
    other = Tenant.objects.get(slug=tenant_slug(2))
    assert counts(other)["WorkArtifact"] == 2 * 3
    with tenant_context(tenant):
        assert not WorkArtifact.objects.filter(tenant=other).exists()
        assert not Proposal.objects.filter(tenant=other).exists()
        assert not Customer.objects.filter(tenant=other).exists()
    with tenant_context(other):
        foreign_customer = Customer.objects.filter(tenant=other).first()
        foreign_workshop = Workshop.objects.filter(tenant=other).first()
    client = sign_in(user.email)
    assert client.get(f"/crm/customers/{foreign_customer.pk}/").status_code == 404
    assert client.get(f"/workshops/{foreign_workshop.pk}/").status_code == 404
    assert client.get(f"/api/customers/{foreign_customer.pk}/artifacts").status_code == 404


def test_reset_is_idempotent_and_a_rerun_keeps_existing_tenants():
    generate(tenants=2)
    generate(tenants=3)  # adds load-00003 only
    assert Tenant.objects.filter(slug__startswith="load-").count() == 3
    first = Tenant.objects.get(slug=tenant_slug(1))
    before = counts(first)

    generate(tenants=2, reset=True)
    generate(tenants=2, reset=True)
    assert sorted(
        Tenant.objects.filter(slug__startswith="load-").values_list("slug", flat=True)
    ) == [
        tenant_slug(1),
        tenant_slug(2),
    ]
    assert counts(Tenant.objects.get(slug=tenant_slug(1))) == before
    assert User.objects.filter(email__endswith="@load-00001.test").count() == 2

    generate(tenants=0, reset=True)
    assert not Tenant.objects.filter(slug__startswith="load-").exists()
    assert not User.objects.filter(email__contains="@load-").exists()


def test_refuses_a_shape_the_app_would_refuse():
    with pytest.raises(CommandError, match="at most 50"):
        generate(artifacts_per_user=51)
    assert not Tenant.objects.filter(slug__startswith="load-").exists()
