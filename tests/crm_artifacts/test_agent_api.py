"""Issue 18 section 3: API tokens, agents proposing through them, the reviewer's answer.

Every request is a real one through the middleware stack (Django's test
client, CSRF enforced where it matters); RLS is never bypassed.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from crm_artifacts import api, services
from crm_artifacts.models import ApiToken, Proposal
from crm_artifacts.services import agents as agent_services
from crm_artifacts.services import api_tokens as token_services
from tenancy import middleware
from tenancy.context import tenant_context
from tenancy.demo import tenant_admin_group
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_admin(alice):
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    alice.groups.add(tenant_admin_group())
    return alice


def make_token(user, scopes=("propose", "read"), name="Inbox agent") -> str:
    with tenant_context(user.tenant_id):
        _, raw = services.api_token_create(user=user, name=name, scopes=list(scopes))
    return raw


def agent_client(raw: str) -> Client:
    # CSRF enforced: a token request must not need it.
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")


def post_batch(client: Client, customer_id, body) -> object:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(
        f"/api/customers/{customer_id}/proposals", data, content_type="application/json"
    )


GOOD = {
    "agentName": "Inbox agent",
    "proposals": [
        {
            "field": "email",
            "proposedValue": "Jane@Work.Example",
            "confidence": "high",
            "sourceExcerpt": "Jane wrote from jane@work.example",
        },
        {"field": "occupation", "proposedValue": "Pilot"},
    ],
}


def count(customer) -> int:
    with tenant_context(customer.tenant_id):
        return Proposal.objects.filter(customer=customer).count()


# --- the tokens page ------------------------------------------------------------------


def test_a_tenant_admin_creates_a_token_shown_once_and_stored_hashed(client_for, acme_admin):
    client = client_for(acme_admin)
    response = client.post("/crm/api-tokens/", {"name": "Inbox agent", "scopes": ["propose"]})
    assert response.status_code == 200
    raw = response.context["created"][1]
    assert raw in response.content.decode()
    with tenant_context(acme_admin.tenant_id):
        token = ApiToken.objects.get()
    assert raw.startswith(f"{acme_admin.tenant_id}.{token.pk}.")
    assert token.scopes == ["propose"]
    assert raw.split(".")[2] not in token.secret_hash  # only the hash is kept
    assert token.secret_hash == token_services.secret_hash(raw.split(".", 2)[2])
    listing = client.get("/crm/api-tokens/").content.decode()
    assert "Inbox agent" in listing
    assert raw not in listing
    assert "never" in listing


def test_the_token_form_says_what_is_wrong_and_keeps_the_name(client_for, acme_admin):
    client = client_for(acme_admin)
    response = client.post("/crm/api-tokens/", {"name": "Inbox agent"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert 'value="Inbox agent"' in response.content.decode()
    with tenant_context(acme_admin.tenant_id):
        assert not ApiToken.objects.exists()


def test_only_tenant_admins_manage_tokens(client_for, bob, acme_admin):
    raw = make_token(acme_admin)
    token_id = raw.split(".")[1]
    client = client_for(bob)
    assert client.get("/crm/api-tokens/").status_code == 403
    assert client.post("/crm/api-tokens/", {"name": "x", "scopes": ["read"]}).status_code == 403
    assert client.post(f"/crm/api-tokens/{token_id}/revoke/").status_code == 403
    with tenant_context(acme_admin.tenant_id):
        assert ApiToken.objects.get().revoked_at is None


def test_a_revoked_token_answers_401(client_for, acme_admin, customer):
    raw = make_token(acme_admin)
    agent = agent_client(raw)
    assert agent.get(f"/api/customers/{customer.pk}/proposals").status_code == 200
    response = client_for(acme_admin).post(f"/crm/api-tokens/{raw.split('.')[1]}/revoke/")
    assert response.status_code == 302
    answer = agent.get(f"/api/customers/{customer.pk}/proposals")
    assert answer.status_code == 401
    assert answer.json() == {"error": middleware.TOKEN_INVALID}
    assert "Revoked" in client_for(acme_admin).get("/crm/api-tokens/").content.decode()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer nonsense",
        "Bearer 1.2.wrong",
        "Bearer 99999999999999999999.1.x",
        "bearer ",
    ],
)
def test_unknown_tokens_answer_401(header, customer):
    client = Client(HTTP_AUTHORIZATION=header)
    response = client.get(f"/api/customers/{customer.pk}/proposals")
    assert response.status_code == 401
    assert "error" in response.json()


def test_a_right_secret_under_another_id_is_refused(acme_admin, customer):
    first = make_token(acme_admin, name="one")
    second = make_token(acme_admin, name="two")
    tenant, first_id, _ = first.split(".")
    forged = f"{tenant}.{first_id}.{second.split('.')[2]}"
    assert agent_client(forged).get(f"/api/customers/{customer.pk}/proposals").status_code == 401


# --- proposing -------------------------------------------------------------------------


def test_an_agent_proposes_a_batch_the_rm_reviews_labelled_with_the_agent(
    acme_admin, customer, bob_client
):
    raw = make_token(acme_admin, scopes=["propose"])
    response = post_batch(agent_client(raw), customer.pk, GOOD)
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["artifacts"]) == 2
    first = body["artifacts"][0]
    assert first["createdByType"] == "agent"
    assert first["createdById"] == "Inbox agent"
    # The registry normalised the value; the previous value came from the profile.
    assert first["payload"]["proposed_value"] == "jane@work.example"
    assert first["payload"]["previous_value"] == "jane@old.example"
    assert first["payload"]["confidence"] == "high"
    assert {a["batchId"] for a in body["artifacts"]} == {body["batchId"]}
    page = bob_client.get(f"/crm/customers/{customer.pk}/").content.decode()
    assert "Proposed by agent" in page
    assert "Inbox agent" in page
    assert "jane@work.example" in page


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**GOOD, "agentName": ""}, agent_services.AGENT_NAME_REQUIRED),
        ({"proposals": GOOD["proposals"]}, agent_services.AGENT_NAME_REQUIRED),
        ({**GOOD, "agentName": "x" * 101}, agent_services.AGENT_NAME_TOO_LONG),
        ({**GOOD, "proposals": []}, services.EMPTY_BATCH),
        ({**GOOD, "proposals": "email"}, api.PROPOSALS_NOT_LIST),
        ({**GOOD, "proposals": [1]}, "proposals[0] must be an object."),
        ({**GOOD, "proposals": [{"field": "email"}]}, "proposals[0]: proposedValue is required."),
        ({**GOOD, "proposals": [{"field": "shoeSize", "proposedValue": 9}]}, "shoeSize"),
        ({**GOOD, "proposals": [{"field": "email", "proposedValue": "nope"}]}, "Email"),
        (
            {**GOOD, "proposals": [{"field": "email", "proposedValue": "jane@old.example"}]},
            "already has this value",
        ),
        (
            {**GOOD, "proposals": [GOOD["proposals"][1], GOOD["proposals"][1]]},
            "proposed twice",
        ),
        (
            {**GOOD, "proposals": [{**GOOD["proposals"][1], "confidence": "sure"}]},
            services.INVALID_CONFIDENCE,
        ),
        (
            {**GOOD, "proposals": [{**GOOD["proposals"][1], "sourceExcerpt": "x" * 1001}]},
            "at most 1000",
        ),
        (
            {**GOOD, "proposals": [{**GOOD["proposals"][1], "extra": 1}]},
            "unknown field(s): extra",
        ),
        ({**GOOD, "proposals": [GOOD["proposals"][1]] * 51}, "at most 50"),
        ({**GOOD, "token": "x"}, "Unknown field(s): token"),
        ("[1, 2", api.MALFORMED_JSON),
        ("[]", api.BODY_NOT_OBJECT),
    ],
)
def test_bad_batches_answer_400_and_write_nothing(acme_admin, customer, body, message):
    raw = make_token(acme_admin, scopes=["propose"])
    response = post_batch(agent_client(raw), customer.pk, body)
    assert response.status_code == 400, response.content
    assert message in response.json()["error"]
    assert count(customer) == 0


def test_scopes_are_enforced(acme_admin, customer, make_batch):
    batch = make_batch(customer, occupation="Pilot")
    reader = agent_client(make_token(acme_admin, scopes=["read"]))
    proposer = agent_client(make_token(acme_admin, scopes=["propose"]))
    assert post_batch(reader, customer.pk, GOOD).status_code == 403
    assert proposer.get(f"/api/customers/{customer.pk}/proposals").status_code == 403
    # The person-only operations refuse every token.
    for response in [
        reader.get(f"/api/customers/{customer.pk}/artifacts"),
        reader.get(f"/api/artifacts/{batch[0].pk}"),
        reader.patch(f"/api/artifacts/{batch[0].pk}", '{"status": "accepted"}', "application/json"),
        reader.post(
            f"/api/artifacts/{batch[0].pk}/respond", '{"response": "x"}', "application/json"
        ),
    ]:
        assert response.status_code == 403
        assert response.json() == {"error": api.TOKEN_NOT_ACCEPTED}
    assert count(customer) == 1


def test_a_token_never_reaches_another_tenants_customer(acme_admin, globex_customer, customer):
    agent = agent_client(make_token(acme_admin))
    assert post_batch(agent, globex_customer.pk, GOOD).status_code == 404
    assert agent.get(f"/api/customers/{globex_customer.pk}/proposals").status_code == 404
    assert count(globex_customer) == 0


def test_a_session_still_works_and_needs_csrf(bob, customer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    assert post_batch(client, customer.pk, GOOD).status_code == 403  # no CSRF token
    client.get("/")
    response = client.post(
        f"/api/customers/{customer.pk}/proposals",
        json.dumps(GOOD),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert response.status_code == 201


def test_a_stale_agent_proposal_is_refused_on_accept_like_any_other(
    acme_admin, customer, bob_client, bob
):
    raw = make_token(acme_admin, scopes=["propose"])
    created = post_batch(agent_client(raw), customer.pk, GOOD).json()["artifacts"][0]
    with tenant_context(customer.tenant_id):
        services.customer_set_profile_values(
            customer=customer, values={"email": "jane@elsewhere.example"}, user=bob
        )
    response = bob_client.patch(
        f"/api/artifacts/{created['id']}", '{"status": "accepted"}', "application/json"
    )
    assert response.status_code == 409
    assert response.json()["stale"]["currentValue"] == "jane@elsewhere.example"


# --- reading back, responding ------------------------------------------------------------


def test_the_agent_reads_decisions_and_responses_filtered(acme_admin, customer, bob_client):
    agent = agent_client(make_token(acme_admin))
    first = post_batch(agent, customer.pk, GOOD).json()
    second = post_batch(
        agent,
        customer.pk,
        {"agentName": "Other", "proposals": [{"field": "dependents", "proposedValue": 3}]},
    ).json()
    email_id = first["artifacts"][0]["id"]
    before = timezone.now()
    assert (
        bob_client.patch(
            f"/api/artifacts/{email_id}",
            '{"status": "rejected", "rejectionReason": "Wrong person"}',
            "application/json",
        ).status_code
        == 200
    )
    answer = bob_client.post(
        f"/crm/artifacts/{email_id}/respond/", {"response": "That email is her assistant's"}
    )
    assert answer.status_code == 302

    url = f"/api/customers/{customer.pk}/proposals"
    by_batch = agent.get(url, {"batch": first["batchId"]}).json()["artifacts"]
    assert {a["id"] for a in by_batch} == {a["id"] for a in first["artifacts"]}
    rejected = agent.get(url, {"status": "rejected"}).json()["artifacts"]
    assert [a["id"] for a in rejected] == [email_id]
    assert rejected[0]["response"] == "That email is her assistant's"
    assert rejected[0]["rejectionReason"] == "Wrong person"
    since = agent.get(url, {"since": before.isoformat()}).json()["artifacts"]
    assert [a["id"] for a in since] == [email_id]
    everything = agent.get(url).json()["artifacts"]
    assert len(everything) == 3
    assert everything[0]["id"] == second["artifacts"][0]["id"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"status": "maybe"}, "Invalid status"),
        ({"since": "yesterday"}, api.INVALID_SINCE),
        ({"since": "2026-01-01T10:00:00"}, api.INVALID_SINCE),
        ({"batch": "no spaces"}, api.INVALID_BATCH_FILTER),
    ],
)
def test_bad_filters_answer_400(acme_admin, customer, query, message):
    response = agent_client(make_token(acme_admin)).get(
        f"/api/customers/{customer.pk}/proposals", query
    )
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_respond_through_the_api_is_the_rms_only(
    bob_client, client_for, alice, customer, make_batch
):
    batch = make_batch(customer, occupation="Pilot")
    url = f"/api/artifacts/{batch[0].pk}/respond"
    assert client_for(alice).post(url, '{"response": "x"}', "application/json").status_code == 403
    assert bob_client.post(url, '{"response": "  "}', "application/json").status_code == 400
    assert (
        bob_client.post(url, json.dumps({"response": "x" * 1001}), "application/json").status_code
        == 400
    )
    response = bob_client.post(url, '{"response": "Thanks"}', "application/json")
    assert response.status_code == 200
    assert response.json()["artifact"]["response"] == "Thanks"


def test_a_bad_note_on_the_page_comes_back_with_its_error(bob_client, customer, make_batch):
    batch = make_batch(customer, occupation="Pilot")
    response = bob_client.post(f"/crm/artifacts/{batch[0].pk}/respond/", {"response": "x" * 1001})
    assert response.status_code == 400
    page = response.content.decode()
    assert agent_services.RESPONSE_TOO_LONG in page
    assert "x" * 1001 in page


def test_the_review_page_offers_an_answer_to_agents(bob_client, customer, make_batch):
    make_batch(customer, occupation="Pilot")
    page = bob_client.get(f"/crm/customers/{customer.pk}/").content.decode()
    assert "Answer the agent" in page


# --- last use, rate limit, queries ------------------------------------------------------


def test_last_use_is_written_at_most_once_a_minute(acme_admin, customer):
    raw = make_token(acme_admin)
    agent = agent_client(raw)
    agent.get(f"/api/customers/{customer.pk}/proposals")
    with tenant_context(acme_admin.tenant_id):
        first = ApiToken.objects.get().last_used_at
        assert first is not None
        assert token_services.authenticate(raw).last_used_at == first  # no UPDATE
        ApiToken.objects.update(last_used_at=first - dt.timedelta(minutes=2))
        assert token_services.authenticate(raw).last_used_at > first


@override_settings(API_TOKEN_RATE_LIMIT=3, API_TOKEN_RATE_WINDOW_SECONDS=60)
def test_token_requests_are_rate_limited_per_token(acme_admin, customer):
    url = f"/api/customers/{customer.pk}/proposals"
    agent = agent_client(make_token(acme_admin, name="one"))
    assert [agent.get(url).status_code for _ in range(3)] == [200, 200, 200]
    refused = agent.get(url)
    assert refused.status_code == 429
    assert "Too many requests" in refused.json()["error"]
    assert int(refused["Retry-After"]) > 0
    # Another token of the same tenant has its own count.
    assert agent_client(make_token(acme_admin, name="two")).get(url).status_code == 200


def test_the_agents_list_runs_the_same_queries_for_5_and_50(acme_admin, customer):
    agent = agent_client(make_token(acme_admin))
    url = f"/api/customers/{customer.pk}/proposals"
    fields = ["occupation", "employer", "phone", "address", "fullName"]

    def grow() -> None:
        for index in range(9):
            post_batch(
                agent,
                customer.pk,
                {
                    "agentName": f"a{index}",
                    "proposals": [
                        {
                            "field": f,
                            "proposedValue": f"+44 20 7946 00{index}{n}"
                            if f == "phone"
                            else f"{f} {index}",
                        }
                        for n, f in enumerate(fields)
                    ],
                },
            )

    post_batch(
        agent,
        customer.pk,
        {"agentName": "a", "proposals": [{"field": "occupation", "proposedValue": "Chef"}]},
    )
    assert_constant_queries(lambda: agent.get(url), grow)
    assert count(customer) == 46
