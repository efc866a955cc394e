"""The same click sent 8 (or 10) times at once, through real requests: exactly one outcome.

Each request goes through the whole stack (middleware, the tenant
transaction, the view, the service) on its own thread and
database connection, released together by a barrier. Each test asserts what
every person is shown (status, message) and what is stored, and counts the
committed writes with a trigger, so "once" means once in the database.
Rounds are repeated: a race that is lost one time in three still fails.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils.html import escape

from crm_artifacts import services as crm_services
from crm_artifacts import views as crm_views
from crm_artifacts.models import Customer, FollowUp, Proposal
from messaging import services as messaging_services
from messaging import views as messaging_views
from messaging.models import SkillMessage
from portfolio import services as portfolio_services
from portfolio.models import WorkArtifact
from skills.models import Skill
from tests.faults.conftest import PARALLEL
from tests.messaging.factories import SkillMessageFactory
from tests.workshops.conftest import get_step
from workshops import services as workshop_services
from workshops.models import StepArtifact, StepVersion

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = range(3)


def shows(response: Any, message: str) -> bool:
    """The page the person ends up on carries `message` (as the template escapes it)."""
    return escape(message) in response.content.decode()


# --- the 50-artifact portfolio limit ---------------------------------------------------

NEW_ARTIFACT = {
    "description": "Done by hand.",
    "category": "document",
    "artifact_date": "2022-03-15",
    "estimated_hours_saved": "4",
}


@pytest.mark.parametrize("round_", ROUNDS)
def test_eight_parallel_creates_at_48_artifacts_add_exactly_two(
    alice, artifacts_for, hammer, in_tenant, round_
):
    artifacts_for(alice, 48)

    def create(n: int):
        data = {**NEW_ARTIFACT, "title": f"Parallel {n}"}
        return lambda client: client.post("/portfolio/new/", data, follow=True)

    responses = hammer(alice, [create(n) for n in range(PARALLEL)])

    created = [r for r in responses if r.redirect_chain]
    refused = [r for r in responses if not r.redirect_chain]
    assert (len(created), len(refused)) == (2, PARALLEL - 2)
    for response in created:  # the detail page of the artifact just added
        assert response.status_code == 200
        assert "added to your portfolio" in response.content.decode()
    for response in refused:  # the form again, with the limit
        assert response.status_code == 200
        assert shows(response, portfolio_services.LIMIT_REACHED)
    with in_tenant(alice):
        assert WorkArtifact.objects.owned_by(alice).count() == 50
        stored = set(
            WorkArtifact.objects.owned_by(alice)
            .filter(title__startswith="Parallel")
            .values_list("pk", flat=True)
        )
    assert {r.redirect_chain[0][0] for r in created} == {f"/portfolio/{pk}/" for pk in stored}


# --- a skill message accepted by its recipient ----------------------------------------

# What the person is told when their answer is the one that counts.
ANSWERED = {
    "accept": ("accepted", messaging_views.ACTIONS["accept"][1]),
    "decline": ("declined", messaging_views.ACTIONS["decline"][1]),
}


def answer(message: SkillMessage, action: str):
    return lambda client: client.post(f"/messages/{message.pk}/{action}/", follow=True)


@pytest.mark.parametrize("round_", ROUNDS)
@pytest.mark.parametrize(
    "actions", [["accept"], ["accept", "decline"]], ids=["accepts", "accepts-and-declines"]
)
def test_parallel_answers_to_one_message_decide_it_once_and_move_the_skill_once(
    alice, bob, bobs_skill, alices_parent, hammer, row_writes, in_tenant, actions, round_
):
    message = SkillMessageFactory(
        subject_skill=bobs_skill, from_user=alice, proposed_parent_skill=alices_parent
    )
    row_writes.watch(Skill)

    calls = [answer(message, action) for action in actions]
    responses = hammer(bob, calls * (PARALLEL // len(calls)))

    assert {r.status_code for r in responses} == {200}  # every one lands on the inbox
    with in_tenant(bob):
        status = SkillMessage.objects.get(pk=message.pk).status
        moved = Skill.objects.get(pk=bobs_skill.pk).parent_id == alices_parent.pk
    (winning_action,) = [a for a in actions if ANSWERED[a][0] == status]
    already = messaging_services.ALREADY_ANSWERED.format(status=status)
    assert sum(shows(r, ANSWERED[winning_action][1]) for r in responses) == 1
    assert sum(shows(r, already) for r in responses) == PARALLEL - 1
    assert moved == (status == "accepted")
    assert row_writes(bobs_skill) == int(moved)


# --- one CRM proposal decided from the page and from the API at once ------------------


def decide(artifact: Proposal, via: str, status: str):
    """A decision from the customer's page (a form post) or from the JSON API."""
    if via == "page":
        action = {"accepted": "accept", "rejected": "reject"}[status]
        return lambda client: client.post(f"/crm/artifacts/{artifact.pk}/{action}/")
    body = json.dumps({"status": status})
    return lambda client: client.patch(
        f"/api/artifacts/{artifact.pk}", body, content_type="application/json"
    )


def assert_one_decision(responses: list[Any], status: str) -> int:
    """One request won (a redirect from the page, 200 from the API); every other one
    was told the proposal was already decided. Returns the winner's index."""
    won = [i for i, r in enumerate(responses) if r.status_code in (200, 302)]
    assert len(won) == 1, [r.status_code for r in responses]
    already = crm_services.ALREADY_DECIDED.format(status=status)
    for i, response in enumerate(responses):
        if i in won:
            continue
        assert response.status_code == 409
        if response["Content-Type"].startswith("application/json"):
            answer = response.json()  # the message and the proposal as decided
            assert (answer["error"], answer["artifact"]["status"]) == (already, status)
        else:  # the customer's page, the refusal next to the proposal
            assert shows(response, already)
    return won[0]


@pytest.mark.parametrize("round_", ROUNDS)
@pytest.mark.parametrize(
    "decisions",
    [
        [("page", "accepted"), ("api", "accepted")],
        [("page", "accepted"), ("api", "rejected"), ("page", "rejected"), ("api", "accepted")],
    ],
    ids=["accepts", "accepts-and-rejects"],
)
def test_parallel_decisions_from_page_and_api_decide_once_and_write_the_profile_once(
    bob, customer, make_batch, hammer, row_writes, deadlocks, reload, in_tenant, decisions, round_
):
    (artifact,) = make_batch(customer, email="jane@new.example", workflow_trigger="follow_up")
    row_writes.watch(Customer)
    row_writes.watch(Proposal)

    calls = [decide(artifact, via, status) for via, status in decisions]
    responses = hammer(bob, calls * (PARALLEL // len(calls)))

    status = reload(artifact).status
    winner = assert_one_decision(responses, status)
    via, decided = decisions[winner % len(decisions)]
    assert status == decided
    if via == "api":
        assert responses[winner].json()["artifact"]["status"] == status
    else:
        location = f"/crm/customers/{customer.pk}/#artifact-{artifact.pk}"
        assert (responses[winner].status_code, responses[winner]["Location"]) == (302, location)
    accepted = status == "accepted"
    assert reload(customer).profile["email"] == (
        "jane@new.example" if accepted else "jane@old.example"
    )
    assert (row_writes(artifact), row_writes(customer)) == (1, int(accepted))
    with in_tenant(bob):
        assert FollowUp.objects.filter(artifact=artifact).count() == int(accepted)
    assert (deadlocks.deadlocks(), deadlocks.logged()) == (0, [])


# --- ten mixed decisions on one proposal that starts a workflow -----------------------

EDITED_EMAIL = "jane@edited.example"
# Ten requests at once, from every path and with every decision: the API's PATCH,
# the page's form posts and htmx's posts, accepting, rejecting and editing.
MIXED = [
    ("api", "accepted"),
    ("page", "rejected"),
    ("htmx", "edited"),
    ("api", "edited"),
    ("page", "accepted"),
    ("htmx", "accepted"),
    ("api", "rejected"),
    ("page", "edited"),
    ("htmx", "rejected"),
    ("api", "accepted"),
]
HTMX = {"HTTP_HX_REQUEST": "true"}


def decide_any(artifact: Proposal, via: str, status: str):
    """Any decision from any path: the JSON API, the page's form or htmx."""
    if via == "api":
        body: dict[str, Any] = {"status": status}
        if status == "edited":
            body["editedValue"] = EDITED_EMAIL
        return lambda client: client.patch(
            f"/api/artifacts/{artifact.pk}", json.dumps(body), content_type="application/json"
        )
    action = {"accepted": "accept", "rejected": "reject", "edited": "edit"}[status]
    data = {f"a{artifact.pk}-value": EDITED_EMAIL} if status == "edited" else {}
    headers = HTMX if via == "htmx" else {}
    return lambda client: client.post(f"/crm/artifacts/{artifact.pk}/{action}/", data, **headers)


@pytest.mark.parametrize("round_", ROUNDS)
@pytest.mark.parametrize("workflow", ["follow_up", "risk_review"])
def test_ten_mixed_decisions_on_a_workflow_proposal_decide_once_and_follow_up_once(
    bob, customer, make_batch, hammer, row_writes, deadlocks, reload, in_tenant, workflow, round_
):
    (artifact,) = make_batch(customer, email="jane@new.example", workflow_trigger=workflow)
    row_writes.watch(Proposal)

    responses = hammer(bob, [decide_any(artifact, via, status) for via, status in MIXED])

    assert all(r.status_code < 500 for r in responses), [r.status_code for r in responses]
    assert (deadlocks.deadlocks(), deadlocks.logged()) == (0, [])
    stored = reload(artifact)
    assert row_writes(stored) == 1  # decided once, in the database
    with in_tenant(bob):
        follow_ups = list(FollowUp.objects.filter(artifact=stored))
    applied = stored.status != "rejected"
    assert [(f.workflow, f.customer_id) for f in follow_ups] == (
        [(workflow, customer.pk)] if applied else []
    )
    won = [
        i
        for i, r in enumerate(responses)
        if (MIXED[i][0], r.status_code) in {("api", 200), ("page", 302), ("htmx", 200)}
    ]
    assert len(won) == 1, [r.status_code for r in responses]
    assert stored.status == MIXED[won[0]][1]
    already = crm_services.ALREADY_DECIDED.format(status=stored.status)
    for i, response in enumerate(responses):
        if i == won[0]:
            continue
        assert response.status_code == 409, (MIXED[i], response.status_code)
        if MIXED[i][0] == "api":  # the message and the state it was decided in
            answer = response.json()
            assert answer["error"] == already
            assert answer["artifact"]["status"] == stored.status
            assert answer["artifact"]["decidedById"] == bob.pk
        else:  # the page or its review fragment, the refusal next to the proposal
            assert shows(response, already)


# --- a whole batch accepted at once ---------------------------------------------------


@pytest.mark.parametrize("round_", ROUNDS)
def test_eight_parallel_batch_accepts_decide_each_proposal_once(
    bob, customer, make_batch, hammer, row_writes, deadlocks, reload, in_tenant, round_
):
    batch = make_batch(
        customer,
        email="jane@new.example",
        occupation="Architect",
        dependents=2,
        workflow_trigger="risk_review",
    )
    row_writes.watch(Customer)
    row_writes.watch(Proposal)
    url = f"/crm/batches/{batch[0].batch_id}/accept/"

    responses = hammer(bob, [lambda client: client.post(url, follow=True)] * PARALLEL)

    # One back on the customer's page, told what it did; the others too, with 409.
    assert sorted(r.status_code for r in responses) == [200] + [409] * (PARALLEL - 1)
    all_three = crm_views.BATCH_ACCEPTED.format(count=3)
    none_left = crm_views.BATCH_ALREADY_DECIDED
    assert [shows(r, all_three) for r in responses if r.status_code == 200] == [True]
    assert all(shows(r, none_left) for r in responses if r.status_code == 409)
    assert {reload(a).status for a in batch} == {"accepted"}
    assert [row_writes(a) for a in batch] == [1, 1, 1]
    assert row_writes(customer) == 1
    profile = reload(customer).profile
    assert (profile["email"], profile["occupation"], profile["dependents"]) == (
        "jane@new.example",
        "Architect",
        2,
    )
    with in_tenant(bob):
        follow_ups = sorted(FollowUp.objects.values_list("artifact_id", "workflow"))
    assert follow_ups == [(a.pk, "risk_review") for a in batch]
    assert (deadlocks.deadlocks(), deadlocks.logged()) == (0, [])


def test_parallel_batch_accepts_and_rejects_decide_the_batch_one_way(
    bob, customer, make_batch, hammer, row_writes, deadlocks, reload, in_tenant
):
    batch = make_batch(
        customer, email="jane@new.example", occupation="Architect", workflow_trigger="follow_up"
    )
    row_writes.watch(Customer)
    row_writes.watch(Proposal)
    batch_id = batch[0].batch_id
    calls = [
        lambda client: client.post(f"/crm/batches/{batch_id}/accept/"),
        lambda client: client.post(f"/crm/batches/{batch_id}/reject/"),
    ]

    responses = hammer(bob, calls * (PARALLEL // 2))

    assert sorted(r.status_code for r in responses) == [302] + [409] * (PARALLEL - 1)
    statuses = {reload(a).status for a in batch}
    assert len(statuses) == 1, statuses
    assert [row_writes(a) for a in batch] == [1, 1]
    accepted = statuses == {"accepted"}
    assert row_writes(customer) == int(accepted)
    with in_tenant(bob):
        assert FollowUp.objects.count() == 2 * accepted
    assert (deadlocks.deadlocks(), deadlocks.logged()) == (0, [])


# --- a workshop step's versioned artifact ---------------------------------------------

CHALLENGE = {"problem_statement": "New hires take six weeks to settle.", "who_is_affected": ""}


def save_artifact(url: str, *, version: int, writer: str):
    data = {"artifact": json.dumps({**CHALLENGE, "who_is_affected": writer}), "version": version}
    return lambda client: client.post(url, data, follow=True)


def test_parallel_saves_from_one_version_make_exactly_one_next_version(
    alice, workshop, hammer, row_writes, in_tenant
):
    step = get_step(workshop, "challenge")
    url = f"/workshops/{workshop.pk}/steps/challenge/artifact/"
    row_writes.watch(StepArtifact)

    for base in ROUNDS:  # 0: the first save creates the row; then compare-and-increment
        writers = [f"Writer {base}.{i}" for i in range(PARALLEL)]
        responses = hammer(alice, [save_artifact(url, version=base, writer=w) for w in writers])

        saved = [i for i, r in enumerate(responses) if r.redirect_chain]
        assert len(saved) == 1, [r.status_code for r in responses]
        assert responses[saved[0]].status_code == 200
        assert shows(responses[saved[0]], f"Artifact saved (version {base + 1}).")
        with in_tenant(alice):
            stored = StepArtifact.objects.get(workshop_step=step)
        assert stored.version == base + 1  # no gap, no duplicate
        assert stored.artifact["who_is_affected"] == writers[saved[0]]
        for i, response in enumerate(responses):
            if i == saved[0]:
                continue
            # Told of the conflict, shown the winner's text, nothing of theirs saved.
            assert response.status_code == 409
            assert shows(response, workshop_services.VERSION_CONFLICT)
            assert shows(response, writers[saved[0]])
            assert f'name="version" value="{base + 1}"' in response.content.decode()
    assert row_writes(stored) == len(ROUNDS) - 1  # one insert, then one update per round


def add_evidence(url: str, *, base: dict, version: int, item: str):
    """The generated form's save: the base artifact with one evidence item added."""
    data = {
        "version": version,
        "action": "save",
        "f.problem_statement": base["problem_statement"],
        "f.who_is_affected": base["who_is_affected"],
        "f.evidence~rows": len(base["evidence"]) + 1,
        **{f"f.evidence.{i}": text for i, text in enumerate([*base["evidence"], item])},
    }
    return lambda client: client.post(url, data, follow=True)


def test_parallel_saves_of_different_items_merge_one_version_each_and_lose_nothing(
    alice, workshop, hammer, row_writes, in_tenant
):
    """Issue 12: the same stale base, each request adding its own item. One save per
    version, every other one merged onto it in turn; every item typed is kept."""
    step = get_step(workshop, "challenge")
    url = f"/workshops/{workshop.pk}/steps/challenge/artifact/"
    base = {**CHALLENGE, "who_is_affected": "Hires", "evidence": ["Exit surveys"]}
    with in_tenant(alice):
        workshop_services.artifact_save(
            workshop_step=step, user=alice, artifact=base, expected_version=0
        )
    row_writes.watch(StepArtifact)
    items = [f"Item {i}" for i in range(PARALLEL)]
    responses = hammer(alice, [add_evidence(url, base=base, version=1, item=i) for i in items])

    assert all(r.redirect_chain and r.status_code == 200 for r in responses)
    merged = [r for r in responses if shows(r, "Merged with your change to evidence")]
    assert len(merged) == PARALLEL - 1  # one saved first, each other merged onto the last
    with in_tenant(alice):
        stored = StepArtifact.objects.get(workshop_step=step)
        versions = list(
            StepVersion.objects.filter(workshop_step=step, kind="artifact")
            .order_by("version")
            .values_list("version", flat=True)
        )
    assert stored.version == 1 + PARALLEL
    assert versions == list(range(1, PARALLEL + 2))  # no gap, no duplicate
    assert stored.artifact["evidence"][0] == "Exit surveys"
    assert sorted(stored.artifact["evidence"][1:]) == items
    assert row_writes(stored) == PARALLEL
