"""No database transaction is open while the assistant works (issue 12 section 5).

Every path that calls the assistant (workshop chat and its retry, summary
generation, artifact extraction, CRM meeting notes) stores what it must, calls
the provider with no transaction open, and stores the outcome in a new short
transaction. Transactional tests: the test itself holds no transaction, so the
provider sees exactly what a request would leave it.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection, connections
from psycopg.pq import TransactionStatus

from assistant import AssistantTimeout
from assistant.offline import OfflineAssistant
from tenancy.context import tenant_context
from tests.assistant.conftest import FakeAPI, fake_api  # noqa: F401 (a fixture)
from tests.crm_artifacts.factories import CustomerFactory
from tests.utils import run_concurrently
from tests.workshops.conftest import get_step, make_workshop
from workshops import services
from workshops.models import ChatMessage, StepSummary, Workshop

pytestmark = pytest.mark.django_db(transaction=True)

NOTES = "Met Ana. She now works at Initech; her new email is ana@initech.example."


def transaction_state() -> tuple[bool, Any]:
    """Django's view (inside an atomic block?) and libpq's (the server's transaction state)."""
    raw = connection.connection
    status = raw.info.transaction_status if raw is not None and not raw.closed else None
    return connection.in_atomic_block, status


def assert_no_transaction() -> None:
    in_atomic, status = transaction_state()
    assert in_atomic is False, "the assistant was called inside an atomic block"
    assert status in (None, TransactionStatus.IDLE), f"PostgreSQL transaction state: {status!r}"


class WatchingAssistant(OfflineAssistant):
    """The offline provider, asserting on every call that no transaction is open."""

    name = "Watching assistant"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def _check(self, kind: str) -> None:
        assert_no_transaction()
        self.calls.append(kind)

    def reply(self, messages, context):
        self._check("reply")
        return super().reply(messages, context)

    def summarize(self, messages):
        self._check("summarize")
        return super().summarize(messages)

    def extract_artifact(self, messages, schema):
        self._check("extract_artifact")
        return super().extract_artifact(messages, schema)

    def extract_profile_edits(self, notes, fields):
        self._check("extract_profile_edits")
        return super().extract_profile_edits(notes, fields)


@pytest.fixture
def watching(monkeypatch) -> WatchingAssistant:
    assistant = WatchingAssistant()
    monkeypatch.setattr("workshops.views.get_assistant", lambda: assistant)
    monkeypatch.setattr("workshops.edit_views.get_assistant", lambda: assistant)
    monkeypatch.setattr("crm_artifacts.services.customers.get_assistant", lambda: assistant)
    return assistant


def url(workshop: Workshop, step_id: str = "challenge", action: str = "") -> str:
    return f"/workshops/{workshop.pk}/steps/{step_id}/{action + '/' if action else ''}"


def test_every_workshop_path_calls_the_assistant_with_no_transaction_open(
    watching, alice, client_for
):
    workshop = make_workshop(alice)
    client = client_for(alice)
    sent = client.post(
        url(workshop, action="messages"), {"content": "Hires wait weeks"}, HTTP_HX_REQUEST="true"
    )
    assert sent.status_code == 200
    assert client.post(url(workshop, action="messages"), {"content": "Plain post"}).status_code == (
        302
    )
    summary = client.post(url(workshop, action="summary"), {"action": "generate", "version": 0})
    assert summary.status_code == 302
    extract = client.post(url(workshop, action="artifact"), {"action": "extract"})
    assert extract.status_code == 200
    assert watching.calls == ["reply", "reply", "summarize", "extract_artifact"]
    with tenant_context(alice.tenant_id):
        roles = list(ChatMessage.objects.values_list("role", flat=True))
        assert roles == ["user", "assistant", "user", "assistant"]
        assert StepSummary.objects.get().version == 1


def test_a_retry_calls_the_assistant_with_no_transaction_open(watching, alice, client_for):
    workshop = make_workshop(alice)
    step = get_step(workshop, "challenge")
    services.message_post(workshop_step=step, user=alice, content="Answer me later")
    retried = client_for(alice).post(
        url(workshop, action="messages"), {"action": "retry"}, HTTP_HX_REQUEST="true"
    )
    assert retried.status_code == 200
    assert watching.calls == ["reply"]


def test_crm_notes_call_the_assistant_with_no_transaction_open(watching, bob, client_for):
    customer = CustomerFactory(rm=bob, profile={"fullName": "Ana Lima"})
    response = client_for(bob).post(f"/crm/customers/{customer.pk}/notes/", {"notes": NOTES})
    assert response.status_code == 200
    assert watching.calls == ["extract_profile_edits"]
    with tenant_context(bob.tenant_id):
        assert customer.artifacts.count() >= 1


def test_a_failed_crm_notes_submission_creates_no_batch(monkeypatch, bob, client_for):
    class Failing(WatchingAssistant):
        def extract_profile_edits(self, notes, fields):
            self._check("extract_profile_edits")
            raise AssistantTimeout("The assistant did not answer in time.")

    monkeypatch.setattr("crm_artifacts.services.customers.get_assistant", Failing)
    customer = CustomerFactory(rm=bob, profile={"fullName": "Ana Lima"})
    response = client_for(bob).post(f"/crm/customers/{customer.pk}/notes/", {"notes": NOTES})
    assert response.status_code == 502
    assert NOTES in response.text  # what the RM typed is still in the form
    with tenant_context(bob.tenant_id):
        assert customer.artifacts.count() == 0


def test_a_failed_reply_keeps_the_message_and_a_resend_or_retry_duplicates_nothing(
    monkeypatch, alice, client_for
):
    class Failing(WatchingAssistant):
        def reply(self, messages, context):
            self._check("reply")
            raise AssistantTimeout("The assistant did not answer in time.")

    monkeypatch.setattr("workshops.views.get_assistant", Failing)
    workshop = make_workshop(alice)
    client = client_for(alice)
    form = {"content": "Keep me", "client_token": "tab-1-send-1"}
    first = client.post(url(workshop, action="messages"), form, HTTP_HX_REQUEST="true")
    assert services.REPLY_FAILED in first.text
    assert 'value="retry"' in first.text
    # The same send again (a resubmit after a lost answer): still one message.
    client.post(url(workshop, action="messages"), form, HTTP_HX_REQUEST="true")
    monkeypatch.setattr("workshops.views.get_assistant", WatchingAssistant)
    client.post(url(workshop, action="messages"), {"action": "retry"}, HTTP_HX_REQUEST="true")
    again = client.post(
        url(workshop, action="messages"), {"action": "retry"}, HTTP_HX_REQUEST="true"
    )
    assert services.NOTHING_TO_ANSWER in again.text
    with tenant_context(alice.tenant_id):
        assert list(ChatMessage.objects.values_list("role", "content")) == [
            ("user", "Keep me"),
            ("assistant", ChatMessage.objects.filter(role="assistant").get().content),
        ]


def test_two_retries_at_once_store_one_reply(alice):
    workshop = make_workshop(alice)
    step = get_step(workshop, "challenge")
    services.message_post(workshop_step=step, user=alice, content="Answer me once")
    both_asked = threading.Barrier(2)

    class Meeting(WatchingAssistant):
        def reply(self, messages, context):
            self._check("reply")
            both_asked.wait(10)  # both have read "awaiting a reply" and asked
            return super().reply(messages, context)

    results = run_concurrently(
        [
            lambda: services.reply_request(workshop_step=step, user=alice, assistant=Meeting())
            for _ in range(2)
        ]
    )
    stored = [r for r in results if isinstance(r, ChatMessage)]
    refused = [r for r in results if not isinstance(r, ChatMessage)]
    assert len(stored) == 1, results
    assert [" ".join(r.messages) for r in refused] == [services.ALREADY_ANSWERED]
    with tenant_context(alice.tenant_id):
        assert ChatMessage.objects.filter(role="assistant").count() == 1


def _idle_in_transaction() -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, coalesce(query, '') FROM pg_stat_activity "
            "WHERE usename = current_user AND state LIKE 'idle in transaction%%'"
        )
        return cursor.fetchall()


def test_a_slow_http_model_holds_no_transaction_while_others_are_served(
    fake_api: FakeAPI,  # noqa: F811
    settings,
    alice,
    client_for,
):
    settings.ASSISTANT_BASE_URL = fake_api.url
    settings.ASSISTANT_TIMEOUT_SECONDS = 20
    asked_slowly = threading.Event()
    answer = json.dumps({"choices": [{"message": {"content": "Who is affected?"}}]}).encode()

    def respond(handler) -> None:
        if "Take your time" in json.dumps(fake_api.requests[-1]["body"]):
            asked_slowly.set()
            fake_api.release.wait(20)
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        handler.wfile.write(answer)

    fake_api.respond = respond
    slow, quick = make_workshop(alice, "Slow one"), make_workshop(alice, "Quick one")
    outcome: dict[str, Any] = {}

    def chat_slowly() -> None:
        try:
            outcome["response"] = client_for(alice).post(
                url(slow, action="messages"), {"content": "Take your time"}, HTTP_HX_REQUEST="true"
            )
        finally:
            connections.close_all()

    thread = threading.Thread(target=chat_slowly)
    thread.start()
    try:
        assert asked_slowly.wait(10), "the slow request never reached the model"
        client = client_for(alice)
        # While the model sleeps: another workshop's chat and a list page are answered...
        other = client.post(
            url(quick, action="messages"), {"content": "Quick question"}, HTTP_HX_REQUEST="true"
        )
        assert other.status_code == 200
        assert "Who is affected?" in other.text
        assert client.get("/workshops/").status_code == 200
        # ...and no session of the app's role sits idle in a transaction.
        assert _idle_in_transaction() == []
        with tenant_context(alice.tenant_id):
            # The slow chat's message is already committed, visible to everyone.
            assert ChatMessage.objects.filter(content="Take your time").exists()
    finally:
        fake_api.release.set()
        thread.join(30)
    assert outcome["response"].status_code == 200
    with tenant_context(alice.tenant_id):
        assert ChatMessage.objects.filter(workshop_step__workshop=slow).count() == 2
