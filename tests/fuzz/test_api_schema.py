"""Schemathesis against the published OpenAPI description of the JSON API.

The schema is loaded from the running app (/api/openapi.json over WSGI, as a
client would read it). Every operation is called as bob, the relationship
manager, with his session cookie and CSRF header, against real customers and
pending and decided proposals; generated ids are mixed with real ones (bob's,
a teammate's customer: 403, another tenant's: 404) so the happy paths run too.
Each example runs in a savepoint that is rolled back, so a PATCH that decides
a proposal leaves it pending for the next example.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client, override_settings
from django.utils.crypto import get_random_string
from hypothesis import event, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from crm_artifacts import services
from tenancy.context import tenant_context
from tenancy.demo import tenant_admin_group
from tenancy.models import User
from tests.crm_artifacts.factories import CustomerFactory
from tests.fuzz.harness import propose, rolled_back

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass
class ApiData:
    customer_ids: list[int]
    artifact_ids: list[int]
    # The ids a valid request succeeds on: bob's customers, his pending proposals.
    own_customer_ids: list[int]
    pending_ids: list[int]


@pytest.fixture
def api_data(bob: User, alice: User, carol: User) -> ApiData:
    """bob's customers with pending and decided proposals, a teammate's and an outsider's."""
    mine = CustomerFactory(rm=bob, profile={"fullName": "Jane Doe", "dependents": 1})
    pending = propose(
        mine,
        workflow_trigger="follow_up",
        email="jane@new.example",
        occupation="Pilot",
        dependents=2,
    )
    decided = propose(mine, employer="Initech", phone="+44 20 7946 0000", address="1 Main St")
    with tenant_context(bob.tenant_id):
        services.artifact_accept(artifact=decided[0], user=bob)
        services.artifact_reject(artifact=decided[1], user=bob)
        services.artifact_accept_with_edits(artifact=decided[2], user=bob, edited_value="2 Elm St")
    empty = CustomerFactory(rm=bob, profile={"fullName": "No Proposals"})
    teammates = CustomerFactory(rm=alice, profile={"fullName": "Alice's Customer"})
    theirs = propose(teammates, occupation="Chef")
    outsider = CustomerFactory(rm=carol, profile={"fullName": "Greta Globex"})
    foreign = propose(outsider, occupation="Baker")
    return ApiData(
        customer_ids=[mine.pk, empty.pk, teammates.pk, outsider.pk],
        artifact_ids=[a.pk for a in pending + decided + theirs + foreign],
        own_customer_ids=[mine.pk, empty.pk],
        pending_ids=[a.pk for a in pending],
    )


@pytest.fixture
def wsgi_app(db) -> Iterator[WSGIHandler]:
    """The app as gunicorn serves it, on the test's connection.

    Django closes the connection after each request (close_old_connections),
    which would end the test's transaction; its test client does the same as
    this to keep it. CSRF is enforced, as in production.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app) -> schemathesis.BaseSchema:
    """The description the app publishes, read from the app itself."""
    # The session cookie and CSRF header are ours to send (bob's): schemathesis
    # should not generate, or leave out, the security scheme's parameters.
    config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
    return schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app, config=config)


@pytest.fixture
def rm_auth(bob: User) -> dict:
    """bob's session cookie and a CSRF cookie with the header that must match it."""
    client = Client()
    client.force_login(bob)
    token = get_random_string(32)
    return {
        "cookies": {
            django_settings.SESSION_COOKIE_NAME: client.cookies[
                django_settings.SESSION_COOKIE_NAME
            ].value,
            django_settings.CSRF_COOKIE_NAME: token,
        },
        "headers": {"X-CSRFToken": token},
    }


PATH_ID = {
    "listCustomerArtifacts": "customerId",
    "getArtifact": "artifactId",
    "decideArtifact": "artifactId",
    "listCustomerProposals": "customerId",
    "proposeToCustomer": "customerId",
    "respondToAgent": "artifactId",
}
# The operations an API token may call (issue 18), fuzzed again with a token below.
TOKEN_OPERATIONS = ["listCustomerProposals", "proposeToCustomer"]
# A body the happy path surely accepts (a generated one is mostly refused).
SURE_BODY = {
    "decideArtifact": {"status": "accepted"},
    "proposeToCustomer": {
        "agentName": "Fuzz agent",
        "proposals": [{"field": "occupation", "proposedValue": "Fuzz pilot", "confidence": "low"}],
    },
    "respondToAgent": {"response": "That email is her assistant's"},
}


def _sure_call(operation, operation_id: str, path: dict, auth: dict) -> int:
    """One valid request, checked like the generated ones: the happy path runs every time
    (a generated body for a write is mostly, and sometimes always, refused)."""
    body = {"body": SURE_BODY[operation_id]} if operation_id in SURE_BODY else {}
    case = operation.Case(path_parameters=path, **body)
    with rolled_back():
        response = case.call(**auth)
        case.validate_response(response, checks=CHECKS, headers=auth["headers"])
    return response.status_code


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("operation_id", list(PATH_ID))
def test_every_operation_answers_as_described(api_schema, api_data, rm_auth, operation_id, mode):
    """bob's requests get no 5xx and only documented statuses, content types and bodies;
    invalid input (negative mode) is refused with a 4xx."""
    operation = api_schema.find_operation_by_id(operation_id)
    name = PATH_ID[operation_id]
    real_ids = api_data.customer_ids if name == "customerId" else api_data.artifact_ids
    happy_ids = api_data.own_customer_ids if name == "customerId" else api_data.pending_ids

    def with_id(ids: list[int], **fixed: object):
        return st.sampled_from(ids).flatmap(
            lambda pk: operation.as_strategy(
                generation_mode=mode, path_parameters={name: pk}, **fixed
            )
        )

    # A generated decision body is mostly refused (an editedValue without
    # "edited", a value of the wrong type for the field…), so one happy draw in
    # two sends a plain decision: the 200 answer is then checked every run.
    sure = (
        with_id(happy_ids, body=SURE_BODY[operation_id])
        if operation_id in SURE_BODY and mode == GenerationMode.POSITIVE
        else with_id(happy_ids)
    )

    checks = [*CHECKS, negative_data_rejection] if mode == GenerationMode.NEGATIVE else CHECKS

    seen: set[int] = set()

    # Three draws in four use a real id, so the refusals (403, 404, 409) run too, and
    # half of all draws one a valid request succeeds on, so the happy path surely runs.
    @given(
        case=st.one_of(
            operation.as_strategy(generation_mode=mode),
            with_id(real_ids),
            with_id(happy_ids),
            sure,
        )
    )
    def check(case) -> None:
        with rolled_back():
            response = case.call(**rm_auth)
            case.validate_response(response, checks=checks, headers=rm_auth["headers"])
        seen.add(response.status_code)
        event(f"HTTP {response.status_code}")  # --hypothesis-show-statistics lists them

    check()
    if mode == GenerationMode.POSITIVE:
        seen.add(_sure_call(operation, operation_id, {name: happy_ids[0]}, rm_auth))
        assert seen & {200, 201}, f"no request succeeded, only {sorted(seen)}"


@pytest.fixture
def token_auth(alice: User) -> dict:
    """An API token of bob's tenant (every scope), made by a tenant admin."""
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    alice.groups.add(tenant_admin_group())
    with tenant_context(alice.tenant_id):
        _, raw = services.api_token_create(user=alice, name="Fuzz", scopes=["propose", "read"])
    return {"headers": {"Authorization": f"Bearer {raw}"}}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("operation_id", TOKEN_OPERATIONS)
@override_settings(API_TOKEN_RATE_LIMIT=100_000)  # the fuzzer is not what the limit is for
def test_every_token_operation_answers_as_described(
    api_schema, api_data, token_auth, operation_id, mode
):
    """With an API token instead of a session (no CSRF): every customer of the tenant,
    the teammate's included; another tenant's is a 404."""
    operation = api_schema.find_operation_by_id(operation_id)
    tenant_ids = api_data.customer_ids[:3]  # bob's two, and the teammate's
    outsider = api_data.customer_ids[3:]

    def with_id(ids: list[int], **fixed: object):
        return st.sampled_from(ids).flatmap(
            lambda pk: operation.as_strategy(
                generation_mode=mode, path_parameters={"customerId": pk}, **fixed
            )
        )

    sure = (
        with_id(tenant_ids, body=SURE_BODY[operation_id])
        if operation_id in SURE_BODY and mode == GenerationMode.POSITIVE
        else with_id(tenant_ids)
    )
    checks = [*CHECKS, negative_data_rejection] if mode == GenerationMode.NEGATIVE else CHECKS
    seen: set[int] = set()

    @given(
        case=st.one_of(
            operation.as_strategy(generation_mode=mode),
            with_id(tenant_ids),
            with_id(outsider),
            sure,
        )
    )
    def check(case) -> None:
        with rolled_back():
            response = case.call(**token_auth)
            case.validate_response(response, checks=checks, headers=token_auth["headers"])
        seen.add(response.status_code)
        event(f"HTTP {response.status_code}")

    check()
    if mode == GenerationMode.POSITIVE:
        seen.add(_sure_call(operation, operation_id, {"customerId": tenant_ids[0]}, token_auth))
        assert seen & {200, 201}, f"no request succeeded, only {sorted(seen)}"


@pytest.mark.parametrize("operation_id", list(PATH_ID))
def test_without_a_session_every_operation_answers_401_as_described(
    api_schema, api_data, rm_auth, operation_id
):
    operation = api_schema.find_operation_by_id(operation_id)
    name = PATH_ID[operation_id]
    real_ids = api_data.customer_ids if name == "customerId" else api_data.artifact_ids

    @given(
        case=st.sampled_from(real_ids).flatmap(
            lambda pk: operation.as_strategy(path_parameters={name: pk})
        )
    )
    def check(case) -> None:
        with rolled_back():
            response = case.call(headers=rm_auth["headers"])  # the CSRF header, no cookies
            case.validate_response(response, checks=CHECKS)
            assert response.status_code == 401, response.text

    check()


def test_a_decision_without_the_csrf_header_answers_403_as_described(api_schema, api_data, rm_auth):
    operation = api_schema.find_operation_by_id("decideArtifact")

    @given(
        case=st.sampled_from(api_data.artifact_ids).flatmap(
            lambda pk: operation.as_strategy(path_parameters={"artifactId": pk})
        )
    )
    def check(case) -> None:
        with rolled_back():
            response = case.call(cookies=rm_auth["cookies"])
            case.validate_response(response, checks=CHECKS)
            assert response.status_code == 403, response.text
            assert "CSRF" in response.json()["error"]

    check()
