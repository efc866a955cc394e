"""The JSON API: the source's endpoints and error answers, the RM rule, CSRF, OpenAPI."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import Resolver404, resolve
from jsonschema import Draft202012Validator

from crm_artifacts import api, services
from crm_artifacts.fields import FIELD_KEYS
from tenancy.context import tenant_context
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


def patch(client: Client, artifact_id, body, **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.patch(
        f"/api/artifacts/{artifact_id}", data, content_type="application/json", **extra
    )


def schema_validator(name: str) -> Draft202012Validator:
    # The whole document as the root, so "#/components/..." references resolve.
    document = api.openapi_document()
    return Draft202012Validator({**document, "$ref": f"#/components/schemas/{name}"})


@pytest.fixture
def batch(customer, make_batch):
    return make_batch(customer, email="jane@new.example", occupation="Pilot", dependents=2)


# --- GET /api/customers/<id>/artifacts -----------------------------------------------


def test_list_returns_the_customers_artifacts_in_the_sources_shape(bob_client, customer, batch):
    response = bob_client.get(f"/api/customers/{customer.pk}/artifacts")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    schema_validator("ArtifactList").validate(body)
    assert [a["id"] for a in body["artifacts"]] == [a.pk for a in reversed(batch)]
    first = body["artifacts"][-1]
    assert first["payload"]["field_key"] == "email"
    assert (first["customerId"], first["batchId"], first["status"]) == (
        customer.pk,
        batch[0].batch_id,
        "pending",
    )


def test_list_filters_by_status_and_pages(bob_client, bob, customer, batch):
    with tenant_context(bob.tenant_id):
        services.artifact_reject(artifact=batch[1], user=bob)
    url = f"/api/customers/{customer.pk}/artifacts"
    rejected = bob_client.get(url, {"status": "rejected"}).json()["artifacts"]
    assert [a["id"] for a in rejected] == [batch[1].pk]
    page = bob_client.get(url, {"limit": 1, "offset": 1}).json()["artifacts"]
    assert [a["id"] for a in page] == [batch[1].pk]
    assert bob_client.get(url, {"offset": 100}).json() == {"artifacts": []}
    assert bob_client.get(url + "/").status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"status": "maybe"},
            "Invalid status. Must be one of: pending, accepted, rejected, edited",
        ),
        ({"limit": "-1"}, "limit must be a whole number from 1 to 200."),
        ({"limit": "0"}, "limit must be"),
        ({"limit": "10000"}, "limit must be"),
        ({"limit": "ten"}, "limit must be"),
        ({"limit": "1e3"}, "limit must be"),
        ({"limit": "9" * 40}, "limit must be"),
        ({"offset": "-5"}, "offset must be a whole number from 0 to 100000."),
        ({"offset": "99999999999"}, "offset must be"),
        ({"offset": "1.5"}, "offset must be"),
    ],
)
def test_list_refuses_bad_parameters_with_400(bob_client, customer, query, message):
    response = bob_client.get(f"/api/customers/{customer.pk}/artifacts", query)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)


@pytest.mark.parametrize("customer_id", ["999999", "abc", "0", "-1", "9" * 30])
def test_list_of_an_unknown_customer_is_404(bob_client, customer_id):
    response = bob_client.get(f"/api/customers/{customer_id}/artifacts")
    assert response.status_code == 404
    assert response.json() == {"error": "Customer not found"}


def test_list_of_another_tenants_customer_is_404(client_for, carol, customer, batch):
    response = client_for(carol).get(f"/api/customers/{customer.pk}/artifacts")
    assert (response.status_code, response.json()) == (404, {"error": "Customer not found"})


def test_list_for_a_teammate_who_is_not_the_rm_is_403(client_for, alice, customer, batch):
    response = client_for(alice).get(f"/api/customers/{customer.pk}/artifacts")
    assert (response.status_code, response.json()) == (403, {"error": services.NOT_ATTACHED_RM})


def test_list_runs_the_same_queries_for_5_and_50_artifacts(bob_client, customer, make_batch):
    def add(count: int) -> None:
        for i in range(count):
            make_batch(customer, occupation=f"Job {len(str(i))}-{i}")

    add(5)
    assert_constant_queries(
        lambda: bob_client.get(f"/api/customers/{customer.pk}/artifacts?limit=200"),
        lambda: add(45),
        # Session, user; the tenant context's four inside a test's transaction
        # (savepoint, setting, release, the outer tenant put back); the customer;
        # the artifacts. No savepoint around the view.
        limit=8,
    )


# --- GET /api/artifacts/<id> ---------------------------------------------------------


def test_get_returns_the_artifact(bob_client, batch):
    response = bob_client.get(f"/api/artifacts/{batch[0].pk}")
    assert response.status_code == 200
    body = response.json()
    schema_validator("ArtifactEnvelope").validate(body)
    assert body["artifact"]["payload"]["proposed_value"] == "jane@new.example"


@pytest.mark.parametrize("artifact_id", ["999999", "x", "0", "9" * 30])
def test_get_unknown_artifact_is_404(bob_client, artifact_id):
    response = bob_client.get(f"/api/artifacts/{artifact_id}")
    assert (response.status_code, response.json()) == (404, {"error": "Artifact not found"})


def test_get_is_404_across_tenants_and_403_for_a_teammate(client_for, alice, carol, batch):
    response = client_for(carol).get(f"/api/artifacts/{batch[0].pk}")
    assert (response.status_code, response.json()) == (404, {"error": "Artifact not found"})
    response = client_for(alice).get(f"/api/artifacts/{batch[0].pk}")
    assert (response.status_code, response.json()) == (403, {"error": services.NOT_ATTACHED_RM})


# --- PATCH /api/artifacts/<id> -------------------------------------------------------


def test_patch_accepts_and_writes_the_profile(bob_client, customer, batch, reload):
    response = patch(bob_client, batch[0].pk, {"status": "accepted"})
    assert response.status_code == 200
    schema_validator("ArtifactEnvelope").validate(response.json())
    assert response.json()["artifact"]["status"] == "accepted"
    assert response.json()["artifact"]["decidedAt"]
    assert reload(customer).profile["email"] == "jane@new.example"


def test_patch_rejects(bob_client, customer, batch, reload):
    response = patch(bob_client, batch[1].pk, {"status": "rejected"})
    assert response.json()["artifact"]["status"] == "rejected"
    assert "occupation" not in reload(customer).profile


def test_patch_edited_stores_and_applies_the_edited_value(bob_client, customer, batch, reload):
    response = patch(bob_client, batch[2].pk, {"status": "edited", "editedValue": 3})
    assert response.status_code == 200
    payload = response.json()["artifact"]["payload"]
    assert (payload["proposed_value"], payload["edited_value"]) == (2, 3)
    assert reload(customer).profile["dependents"] == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "approved"}, "Invalid status. Must be one of: accepted, rejected, edited"),
        ({"status": "pending"}, "Invalid status. Must be one of: accepted, rejected, edited"),
        ({}, "Invalid status. Must be one of"),
        ({"status": 1}, "Invalid status. Must be one of"),
        ({"status": None}, "Invalid status. Must be one of"),
        ({"status": ["accepted"]}, "Invalid status. Must be one of"),
        ({"status": "edited"}, services.EDITED_VALUE_REQUIRED),
        ({"status": "edited", "editedValue": {"a": 1}}, "Enter a whole number."),
        ({"status": "edited", "editedValue": "lots"}, "Enter a whole number."),
        ({"status": "edited", "editedValue": 1.5}, "Enter a whole number."),
        ({"status": "edited", "editedValue": True}, "Enter a whole number."),
        ({"status": "accepted", "editedValue": 3}, services.EDITED_VALUE_ONLY_WHEN_EDITING),
        ({"status": "accepted", "confirmStale": "yes"}, api.CONFIRM_NOT_BOOLEAN),
        ({"status": "accepted", "evil": 1}, "Unknown field(s): evil."),
        ("{not json", api.MALFORMED_JSON),
        ("", api.MALFORMED_JSON),
        ('{"status": NaN}', api.MALFORMED_JSON),
        (b"\xff\xfe", api.MALFORMED_JSON),
        ("[" * 5000 + "]" * 5000, api.MALFORMED_JSON),
        ('["accepted"]', api.BODY_NOT_OBJECT),
        ('"accepted"', api.BODY_NOT_OBJECT),
        ("null", api.BODY_NOT_OBJECT),
        (
            json.dumps({"status": "accepted", "confirmStale": False, "x": "y" * 20_000}),
            api.BODY_TOO_LARGE,
        ),
    ],
)
def test_patch_refuses_bad_bodies_with_400_and_changes_nothing(
    bob_client, customer, batch, reload, body, message
):
    response = patch(bob_client, batch[2].pk, body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert reload(batch[2]).status == "pending"
    assert reload(customer).profile["dependents"] == 1


def test_patch_refuses_a_body_over_the_servers_own_cap_with_400(bob_client, batch):
    response = patch(bob_client, batch[0].pk, "x" * (3 * 1024 * 1024))
    assert (response.status_code, response.json()) == (400, {"error": api.BODY_TOO_LARGE})


def test_patch_on_a_decided_proposal_is_409_with_the_decided_proposal(
    bob_client, bob, batch, reload
):
    decided = patch(bob_client, batch[0].pk, {"status": "rejected"}).json()["artifact"]
    response = patch(bob_client, batch[0].pk, {"status": "accepted"})
    assert (response.status_code, response.json()) == (
        409,
        {"error": "This proposal was already rejected; a decision is final.", "artifact": decided},
    )
    assert (decided["status"], decided["decidedById"]) == ("rejected", bob.pk)
    assert reload(batch[0]).status == "rejected"


def test_patch_on_a_stale_proposal_is_409_with_both_values(
    bob_client, bob, customer, batch, reload
):
    with tenant_context(bob.tenant_id):
        services.customer_set_profile_values(customer=customer, values={"email": "typed@x.example"})
    response = patch(bob_client, batch[0].pk, {"status": "accepted"})
    assert response.status_code == 409
    body = response.json()
    assert "now says “typed@x.example”" in body["error"]
    assert body["stale"] == {
        "artifactId": batch[0].pk,
        "field": "Email",
        "currentValue": "typed@x.example",
        "previousValue": "jane@old.example",
    }
    schema_validator("Error").validate(body)
    assert reload(customer).profile["email"] == "typed@x.example"
    confirmed = patch(bob_client, batch[0].pk, {"status": "accepted", "confirmStale": True})
    assert confirmed.status_code == 200
    assert reload(customer).profile["email"] == "jane@new.example"


def test_patch_is_404_across_tenants_and_403_for_a_teammate(
    client_for, alice, carol, batch, reload
):
    response = patch(client_for(carol), batch[0].pk, {"status": "accepted"})
    assert (response.status_code, response.json()) == (404, {"error": "Artifact not found"})
    response = patch(client_for(alice), batch[0].pk, {"status": "accepted"})
    assert (response.status_code, response.json()) == (403, {"error": services.NOT_ATTACHED_RM})
    assert reload(batch[0]).status == "pending"


def test_patch_of_an_unknown_artifact_is_404(bob_client):
    response = patch(bob_client, 999999, {"status": "accepted"})
    assert (response.status_code, response.json()) == (404, {"error": "Artifact not found"})


# --- authentication, CSRF, methods ---------------------------------------------------


def test_anonymous_callers_get_401_json_not_a_login_redirect(customer, batch):
    client = Client()
    for response in [
        client.get(f"/api/customers/{customer.pk}/artifacts"),
        client.get(f"/api/artifacts/{batch[0].pk}"),
        patch(client, batch[0].pk, {"status": "accepted"}),
    ]:
        assert response.status_code == 401
        assert response.json() == {"error": api.NOT_AUTHENTICATED}


def test_patch_needs_the_csrf_token(bob, batch, reload):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    response = patch(client, batch[0].pk, {"status": "accepted"})
    assert response.status_code == 403
    assert response.json()["error"].startswith("CSRF check failed")
    assert reload(batch[0]).status == "pending"

    client.get("/")  # any page sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    response = patch(client, batch[0].pk, {"status": "accepted"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert reload(batch[0]).status == "accepted"


def test_get_needs_no_csrf_token(bob, customer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    assert client.get(f"/api/customers/{customer.pk}/artifacts").status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_are_405_json(bob_client, customer, batch, method):
    for url, allowed in [
        (f"/api/artifacts/{batch[0].pk}", "GET, PATCH, HEAD"),
        (f"/api/customers/{customer.pk}/artifacts", "GET, HEAD"),
    ]:
        response = getattr(bob_client, method)(url)
        assert response.status_code == 405
        assert response["Allow"] == allowed
        assert "Method not allowed" in response.json()["error"]
    assert bob_client.patch(f"/api/customers/{customer.pk}/artifacts").status_code == 405


# --- OpenAPI ---------------------------------------------------------------------------


def test_openapi_is_served_and_every_route_in_it_exists(client, customer, batch, bob_client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    Draft202012Validator.check_schema(document["components"]["schemas"]["Artifact"])
    examples = {"customerId": customer.pk, "artifactId": batch[0].pk}
    for template, operations in document["paths"].items():
        path = "/api" + template.format(**examples)
        try:
            match = resolve(path)
        except Resolver404:
            pytest.fail(f"{template} in openapi.json has no route")
        assert match.url_name.startswith("crm-api-")
        for method in operations:
            if method == "patch":
                answer = patch(bob_client, batch[0].pk, {"status": "rejected"})
            elif template.endswith("/respond"):
                answer = bob_client.post(path, '{"response": "Thanks"}', "application/json")
            elif method == "post":
                body = {
                    "agentName": "A",
                    "proposals": [{"field": "phone", "proposedValue": "+44 20 7946 0001"}],
                }
                answer = bob_client.post(path, body, "application/json")
            else:
                answer = getattr(bob_client, method)(path)
            assert answer.status_code in (200, 201), (method, template)


def test_every_api_route_is_in_openapi():
    from crm_artifacts.api_urls import urlpatterns

    described = {"/api" + t for t in api.openapi_document()["paths"]} | {"/api/openapi.json"}
    examples = {
        "crm-api-openapi": "/api/openapi.json",
        "crm-api-customer-artifacts": "/api/customers/{customerId}/artifacts",
        "crm-api-artifact": "/api/artifacts/{artifactId}",
        "crm-api-customer-proposals": "/api/customers/{customerId}/proposals",
        "crm-api-artifact-respond": "/api/artifacts/{artifactId}/respond",
    }
    assert {p.name for p in urlpatterns} == set(examples)
    assert set(examples.values()) == described


def test_openapi_field_keys_match_the_registry():
    schema = api.openapi_document()["components"]["schemas"]["ProfileEditPayload"]
    assert tuple(schema["properties"]["field_key"]["enum"]) == FIELD_KEYS
