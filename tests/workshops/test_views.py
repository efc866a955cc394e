from __future__ import annotations

import json

import pytest
from django.utils.html import escape

from tests.utils import assert_constant_queries
from tests.workshops.conftest import make_workshop
from tests.workshops.factories import ChatMessageFactory
from workshops import services
from workshops.forms import ARTIFACT_INVALID_JSON
from workshops.models import ChatMessage, StepArtifact, StepSummary, Workshop, WorkshopStep

pytestmark = pytest.mark.django_db

CHALLENGE = {"problem_statement": "New hires take six weeks to settle.", "who_is_affected": "Hires"}


def url(workshop, step_id="challenge", action=""):
    return f"/workshops/{workshop.pk}/steps/{step_id}/{action + '/' if action else ''}"


def post_artifact(client, workshop, artifact, version, step_id="challenge"):
    text = artifact if isinstance(artifact, str) else json.dumps(artifact)
    return client.post(
        url(workshop, step_id, "artifact"), {"artifact": text, "version": version, "action": "save"}
    )


# --- list, create, detail ----------------------------------------------------------


def test_list_shows_my_workshops_only(alice_client, alice, bob, carol):
    make_workshop(alice, "Alice's onboarding")
    make_workshop(bob, "Bob's pricing")
    make_workshop(carol, "Globex secret")
    response = alice_client.get("/workshops/")
    assert response.status_code == 200
    assert "Alice&#x27;s onboarding" in response.text
    assert "0 of 5" in response.text
    assert "Bob" not in response.text
    assert "Globex" not in response.text


def test_list_runs_the_same_queries_for_5_and_50_workshops(alice_client, alice):
    def add(count: int) -> None:
        for i in range(count):
            make_workshop(alice, f"Workshop {i}")

    add(5)
    assert_constant_queries(lambda: alice_client.get("/workshops/"), lambda: add(45), limit=10)


def test_create_makes_the_steps_and_redirects(alice_client, alice, in_tenant):
    response = alice_client.post("/workshops/new/", {"title": "Faster onboarding"})
    with in_tenant(alice):
        workshop = Workshop.objects.get()
        assert workshop.steps.count() == 5
    assert response.status_code == 302
    assert response["Location"] == f"/workshops/{workshop.pk}/"
    detail = alice_client.get(response["Location"])
    assert "Stakeholder mapping" in detail.text
    assert "Not started" in detail.text


def test_a_blank_title_is_a_form_error(alice_client, alice, in_tenant):
    response = alice_client.post("/workshops/new/", {"title": "   "})
    assert response.status_code == 200
    assert "This field is required" in response.text
    with in_tenant(alice):
        assert not Workshop.objects.exists()


# --- step page, chat -----------------------------------------------------------------


def test_step_page_shows_chat_editor_summary_and_the_offline_notice(alice_client, workshop):
    response = alice_client.get(url(workshop, "ideation"))
    assert response.status_code == 200
    text = response.text
    assert "3. Ideation" in text
    assert 'id="chat-log"' in text
    assert "Artifact (JSON)" in text
    assert "&quot;ideas&quot;" in text  # the editor starts from the schema's shape
    assert "Generate summary" in text
    assert "offline assistant" in text
    assert url(workshop, "prioritisation", "context") in text


def test_an_unknown_step_is_404(alice_client, workshop):
    assert alice_client.get(url(workshop, "retrospective")).status_code == 404


def test_sending_a_message_stores_it_and_the_reply(alice_client, alice, workshop, in_tenant):
    response = alice_client.post(url(workshop, action="messages"), {"content": "Hires wait."})
    assert response.status_code == 302
    assert response["Location"] == url(workshop) + "#chat"
    with in_tenant(alice):
        rows = list(ChatMessage.objects.values_list("role", "step_id"))
        status = WorkshopStep.objects.get(workshop=workshop, step_definition="challenge").status
    assert rows == [("user", "challenge"), ("assistant", "challenge")]
    assert status == "in_progress"
    page = alice_client.get(url(workshop))
    assert "Noted: “Hires wait”." in page.text


def test_htmx_send_returns_only_the_new_messages_and_fresh_form(alice_client, workshop):
    response = alice_client.post(
        url(workshop, action="messages"), {"content": "First idea"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    text = response.text
    assert "<html" not in text
    assert text.count('class="msg ') == 2
    assert "First idea" in text
    assert 'id="chat-form"' in text
    assert 'hx-swap-oob="true"' in text
    assert "Retry" not in text


def test_an_empty_message_is_a_form_error_on_both_paths(alice_client, alice, workshop, in_tenant):
    plain = alice_client.post(url(workshop, action="messages"), {"content": "  "})
    assert plain.status_code == 200
    assert "This field is required" in plain.text
    htmx = alice_client.post(
        url(workshop, action="messages"), {"content": ""}, HTTP_HX_REQUEST="true"
    )
    assert "This field is required" in htmx.text
    with in_tenant(alice):
        assert not ChatMessage.objects.exists()


def test_a_failing_provider_keeps_the_message_and_offers_retry(
    alice_client, alice, workshop, in_tenant, settings
):
    settings.ASSISTANT_BASE_URL = "http://127.0.0.1:9/v1"  # nobody listens there
    settings.ASSISTANT_TIMEOUT_SECONDS = 2
    response = alice_client.post(
        url(workshop, action="messages"), {"content": "Please keep me"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Please keep me" in response.text
    assert services.REPLY_FAILED in response.text  # "The assistant did not answer"
    assert 'value="retry"' in response.text
    with in_tenant(alice):
        assert list(ChatMessage.objects.values_list("role", "content")) == [
            ("user", "Please keep me")
        ]

    # Plain POST: redirected, and the page says so and offers the retry too.
    alice_client.post(url(workshop, action="messages"), {"content": "Me too"})
    page = alice_client.get(url(workshop))
    assert escape(f"{services.REPLY_FAILED}: The assistant could not be reached") in page.text
    assert 'value="retry"' in page.text

    settings.ASSISTANT_BASE_URL = ""  # the provider is back (offline)
    retried = alice_client.post(
        url(workshop, action="messages"), {"action": "retry"}, HTTP_HX_REQUEST="true"
    )
    assert retried.text.count('class="msg msg-assistant"') == 1
    assert 'value="retry"' not in retried.text
    with in_tenant(alice):
        roles = list(ChatMessage.objects.values_list("role", flat=True))
    assert roles == ["user", "user", "assistant"]


def test_step_page_queries_do_not_grow_with_the_messages(alice_client, step):
    ideation = step("ideation")
    ChatMessageFactory.create_batch(5, workshop_step=ideation)
    assert_constant_queries(
        lambda: alice_client.get(url(ideation.workshop, "ideation")),
        lambda: ChatMessageFactory.create_batch(45, workshop_step=ideation),
        # 4 for the page itself (the step with its workshop's steps, the chat, the
        # artifact, the summary), 2 for the session and the user, 4 for the tenant
        # context inside a test's transaction. No savepoint around the view.
        limit=10,
    )


def test_a_step_of_a_workshop_i_am_not_in_is_not_found(client_for, bob, carol, alice, step):
    """The step and its siblings are read in one query that checks membership: a step
    of someone else's workshop, or an unknown step id, is a 404 like any foreign id."""
    ideation = step("ideation")
    assert client_for(bob).get(url(ideation.workshop, "ideation")).status_code == 404
    assert client_for(carol).get(url(ideation.workshop, "ideation")).status_code == 404
    assert client_for(alice).get(url(ideation.workshop, "no-such-step")).status_code == 404


# --- artifact ----------------------------------------------------------------------


def test_saving_the_artifact_records_version_and_schema(alice_client, alice, workshop, in_tenant):
    response = post_artifact(alice_client, workshop, CHALLENGE, 0)
    assert response.status_code == 302
    with in_tenant(alice):
        artifact = StepArtifact.objects.get()
    assert (artifact.artifact, artifact.version, artifact.schema_version) == (CHALLENGE, 1, "1.0")
    page = alice_client.get(url(workshop))
    assert "Artifact saved (version 1)." in page.text
    assert 'name="version" value="1"' in page.text


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('{"problem_statement": ', ARTIFACT_INVALID_JSON.split(":")[0]),
        ('{"problem_statement": "Long enough text"}', "who_is_affected: is required."),
        (json.dumps({**CHALLENGE, "evidence": [1]}), "evidence[0]: must be text."),
        ("[]", services.ARTIFACT_NOT_OBJECT),
    ],
)
def test_invalid_artifacts_are_form_errors_naming_the_field(
    alice_client, alice, workshop, in_tenant, text, error
):
    response = post_artifact(alice_client, workshop, text, 0)
    assert response.status_code == 200
    assert error.replace("'", "&#x27;") in response.text
    assert text.replace('"', "&quot;") in response.text  # the input is kept
    with in_tenant(alice):
        assert not StepArtifact.objects.exists()


def test_a_conflict_shows_both_versions_and_keeps_my_input(alice_client, alice, step, in_tenant):
    challenge = step("challenge")
    with in_tenant(alice):
        services.artifact_save(
            workshop_step=challenge, user=alice, artifact=CHALLENGE, expected_version=0
        )
        theirs = {**CHALLENGE, "who_is_affected": "THEIR-EDIT"}
        services.artifact_save(
            workshop_step=challenge, user=alice, artifact=theirs, expected_version=1
        )
    mine = {**CHALLENGE, "who_is_affected": "MY-EDIT"}
    response = post_artifact(alice_client, challenge.workshop, mine, 1)
    assert response.status_code == 409
    text = response.text
    assert "Version conflict." in text
    assert "Nothing was overwritten" in text
    assert "THEIR-EDIT" in text.split('class="theirs"')[1].split("</pre>")[0]
    assert "MY-EDIT" in text.split('class="yours"')[1].split("</pre>")[0]
    assert "Reload" in text
    assert "Re-apply mine" in text
    assert 'name="version" value="2"' in text
    with in_tenant(alice):
        assert StepArtifact.objects.get().artifact == theirs

    # "Re-apply mine" posts my value with the version I have now seen.
    again = post_artifact(alice_client, challenge.workshop, mine, 2)
    assert again.status_code == 302
    with in_tenant(alice):
        saved = StepArtifact.objects.get()
    assert (saved.artifact, saved.version) == (mine, 3)


def test_extract_proposes_an_artifact_without_saving_it(alice_client, alice, workshop, in_tenant):
    alice_client.post(url(workshop, "ideation", "messages"), {"content": "- Buddy system"})
    response = alice_client.post(url(workshop, "ideation", "artifact"), {"action": "extract"})
    assert response.status_code == 200
    assert "Proposed by the offline assistant" in response.text
    assert "&quot;title&quot;: &quot;Buddy system&quot;" in response.text
    with in_tenant(alice):
        assert not StepArtifact.objects.exists()


def test_extract_with_no_conversation_says_so(alice_client, workshop):
    response = alice_client.post(url(workshop, action="artifact"), {"action": "extract"})
    assert response.status_code == 302
    page = alice_client.get(url(workshop))
    assert services.NOTHING_TO_EXTRACT in page.text


# --- summary, status, context ----------------------------------------------------------


def test_generate_summary_saves_it_and_shows_its_token_count(
    alice_client, alice, workshop, in_tenant
):
    alice_client.post(url(workshop, action="messages"), {"content": "Hires wait weeks."})
    response = alice_client.post(url(workshop, action="summary"), {"version": 0})
    assert response.status_code == 302
    with in_tenant(alice):
        summary = StepSummary.objects.get()
    assert "Hires wait weeks." in summary.summary
    page = alice_client.get(url(workshop))
    assert f"{summary.token_count} tokens" in page.text
    assert "Regenerate summary" in page.text


def test_a_summary_conflict_shows_theirs_and_mine(alice_client, alice, step, in_tenant):
    challenge = step("challenge")
    with in_tenant(alice):
        services.message_post(workshop_step=challenge, user=alice, content="Hires wait weeks.")
        services.summary_save(
            workshop_step=challenge, user=alice, summary="THEIR-SUMMARY", expected_version=0
        )
    response = alice_client.post(url(challenge.workshop, action="summary"), {"version": 0})
    assert response.status_code == 409
    assert "THEIR-SUMMARY" in response.text
    assert "Hires wait weeks." in response.text.split('class="yours"')[1]
    reapply = alice_client.post(
        url(challenge.workshop, action="summary"),
        {"action": "apply", "summary": "MY-SUMMARY", "version": 1},
    )
    assert reapply.status_code == 302
    with in_tenant(alice):
        assert StepSummary.objects.get().summary == "MY-SUMMARY"


def test_mark_done_needs_an_artifact(alice_client, alice, workshop, in_tenant):
    alice_client.post(url(workshop, action="status"), {"action": "done"})
    assert escape(services.DONE_NEEDS_ARTIFACT) in alice_client.get(url(workshop)).text
    post_artifact(alice_client, workshop, CHALLENGE, 0)
    alice_client.post(url(workshop, action="status"), {"action": "done"})
    with in_tenant(alice):
        assert WorkshopStep.objects.get(workshop=workshop, step_definition="challenge").status == (
            "done"
        )
    assert "Reopen step" in alice_client.get(url(workshop)).text


def test_context_preview_shows_the_three_tiers_with_tokens(alice_client, alice, workshop):
    post_artifact(alice_client, workshop, CHALLENGE, 0)
    alice_client.post(url(workshop, action="messages"), {"content": "Hires wait weeks."})
    alice_client.post(url(workshop, action="summary"), {"version": 0})
    alice_client.post(url(workshop, "stakeholder-mapping", "messages"), {"content": "Managers."})
    response = alice_client.get(url(workshop, "stakeholder-mapping", "context"))
    assert response.status_code == 200
    text = response.text
    for tier in ["Persistent", "Long-term", "Short-term"]:
        assert f">{tier} <span" in text
    assert "Challenge artifact" in text
    assert "problem statement: New hires take six weeks to settle." in text
    assert "Challenge summary" in text
    assert "Managers." in text
    assert "tokens of a 6000-token budget" in text


def test_context_preview_with_a_small_budget_lists_the_cuts(alice_client, workshop):
    for i in range(3):
        alice_client.post(url(workshop, action="messages"), {"content": f"Point {i}. " * 30})
    response = alice_client.get(url(workshop, action="context"), {"budget": 60})
    assert "What was cut to fit" in response.text
    assert "oldest messages" in response.text
    unbounded = alice_client.get(url(workshop, action="context"), {"budget": ""})
    assert "no budget" in unbounded.text


# --- access ------------------------------------------------------------------------------

STEP_URLS = ["", "context/"]
POST_URLS = ["messages/", "artifact/", "summary/", "status/"]


@pytest.mark.parametrize("suffix", ["", *[f"steps/challenge/{s}" for s in STEP_URLS]])
def test_get_urls_of_another_tenant_or_teammate_are_404(client_for, bob, carol, suffix):
    foreign = make_workshop(carol, "Globex")
    mine_not_yours = make_workshop(bob, "Bob's")
    for workshop in (foreign, mine_not_yours):
        assert (
            client_for(bob if workshop is foreign else carol)
            .get(f"/workshops/{workshop.pk}/{suffix}")
            .status_code
            == 404
        )


@pytest.mark.parametrize("suffix", POST_URLS)
def test_post_urls_of_another_tenant_are_404_and_write_nothing(
    client_for, alice, carol, in_tenant, suffix
):
    foreign = make_workshop(carol, "Globex")
    response = client_for(alice).post(
        f"/workshops/{foreign.pk}/steps/challenge/{suffix}",
        {"content": "Hijack", "artifact": json.dumps(CHALLENGE), "version": 0},
    )
    assert response.status_code == 404
    with in_tenant(carol):
        assert not ChatMessage.objects.exists()
        assert not StepArtifact.objects.exists()
        assert not StepSummary.objects.exists()


def test_a_teammate_gets_404_on_my_workshop(client_for, bob, workshop):
    client = client_for(bob)
    assert client.get(f"/workshops/{workshop.pk}/").status_code == 404
    assert client.post(url(workshop, action="messages"), {"content": "Hi"}).status_code == 404


@pytest.mark.parametrize("suffix", POST_URLS)
def test_post_only_urls_refuse_get(alice_client, workshop, suffix):
    assert alice_client.get(url(workshop) + suffix).status_code == 405


@pytest.mark.parametrize("path", ["/workshops/", "/workshops/new/", "/workshops/1/"])
def test_pages_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_dashboard_card_counts_my_workshops(alice_client, alice, workshop):
    make_workshop(alice, "Second")
    response = alice_client.get("/")
    assert "0 of 10 steps done" in response.text
