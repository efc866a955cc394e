"""Demo customers and proposals (called by `manage.py seed_demo`, idempotent).

bob is the relationship manager of several Acme customers with pending
batches made from meeting notes by the offline assistant, some of them stale
(the profile changed after the proposal), plus some decided history; carol
looks after Globex's customers. Everything is written through the services.
One more customer of bob's, Ada Lovelace, carries ten weeks of decided agent
proposals for the insights page (`_history_plan`): decided through the services, then
dated back (the only rows the demo writes directly: a decision is always "now").
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from django.utils import timezone

from crm_artifacts import services
from crm_artifacts.models import ApiToken, CreatorType, Customer, Proposal
from tenancy.context import tenant_context
from tenancy.demo import Demo

# (rm, profile, meeting notes, profile values changed afterwards (stale), decisions)
CUSTOMERS: list[tuple[str, dict[str, Any], str, dict[str, Any], dict[str, str]]] = [
    (
        "bob",
        {
            "fullName": "Jane Doe",
            "email": "jane.doe@oldmail.example",
            "phone": "020 7946 0000",
            "employer": "Globodyne",
            "occupation": "Analyst",
            "maritalStatus": "single",
            "dependents": 0,
            "riskTolerance": "moderate",
        },
        "Coffee with Jane. Her new email is jane@doe.example and her mobile is 07700 900123. "
        "She now works as a product manager at Initech. She earns about £85k a year. "
        "Jane got married in June and they have two children. "
        "She is cautious about investment risk these days.",
        {"email": "jane.d@work.example"},
        {},
    ),
    (
        "bob",
        {
            "fullName": "Omar Haddad",
            "email": "omar@haddad.example",
            "employer": "Haddad Joinery",
            "occupation": "Carpenter",
            "incomeBandAnnual": "25k-50k",
            "preferredContact": "phone",
        },
        "Omar sold part of the business. Income band is now between 50k and 100k. "
        "He prefers to be contacted by email from now on. New address: 14 Canal Street, "
        "Manchester M1 3HE. Born on 4 February 1971.",
        {"preferredContact": "text"},
        {},
    ),
    (
        "bob",
        {
            "fullName": "Li Wei",
            "email": "li.wei@example.net",
            "occupation": "Teacher",
            "dependents": 1,
        },
        "Li has retired from teaching. Dependents: 2. Happy with a balanced attitude to risk. "
        "Best reached by phone on +44 161 496 0000.",
        {},
        {"occupation": "accept", "dependents": "reject"},
    ),
    (
        "bob",
        {"fullName": "Priya Natarajan", "email": "priya@natarajan.example", "dependents": 0},
        "Priya is divorced since last year, no children. Salary of $240,000 plus bonus. "
        "She works as a surgeon at St Mary's Hospital.",
        {},
        {},
    ),
    (
        "carol",
        {"fullName": "Greta Schmidt", "email": "greta@schmidt.example", "occupation": "Engineer"},
        "Greta joined Globex Research as a lead engineer. Her email is now greta@globex.example. "
        "Aggressive about risk: wants a high-risk portfolio.",
        {},
        {},
    ),
    (
        "carol",
        {"fullName": "Hans Becker", "email": "hans@becker.example", "maritalStatus": "married"},
        "Hans lost his wife last spring. He has three children. Prefers post.",
        {},
        {},
    ),
]


DEMO_TOKEN_NAME = "Demo agent"


def seed(demo: Demo) -> str:
    """The customers (once) and a fresh API token for Acme's agent (returned to print)."""
    for rm_key, profile, notes, stale_changes, decisions in CUSTOMERS:
        rm = demo.users[rm_key]
        with tenant_context(rm.tenant_id):
            if Customer.objects.filter(
                tenant_id=rm.tenant_id, profile__fullName=profile["fullName"]
            ).exists():
                continue
            customer = services.customer_create(tenant_id=rm.tenant_id, rm=rm, profile=profile)
            outcome = services.notes_propose(
                customer=customer, user=rm, notes=notes, workflow_trigger="follow_up"
            )
            by_field = {a.payload["field_key"]: a for a in outcome.artifacts}
            for key, decision in decisions.items():
                if decision == "accept":
                    services.artifact_accept(artifact=by_field[key], user=rm)
                else:
                    services.artifact_reject(artifact=by_field[key], user=rm)
            if stale_changes:
                # Someone updated the profile after the proposals were made.
                services.customer_set_profile_values(customer=customer, values=stale_changes)
    _seed_history(demo)
    return _demo_token(demo)


HISTORY_CUSTOMER = {"fullName": "Ada Lovelace", "email": "ada@lovelace.example"}
HISTORY_WEEKS = 10
HISTORY_AGENTS = ("Inbox agent", "CRM sync agent")
HISTORY_REASONS = (
    services.REJECTION_REASONS[0],
    services.REJECTION_REASONS[1],
    "That is her assistant's number",
    "",
)


def _history_plan() -> list[dict[str, Any]]:
    """Four proposals a week for HISTORY_WEEKS weeks, always the same: the agents
    get better week by week (fewer rejections), one in five was stale when decided."""
    plan = []
    for week in range(HISTORY_WEEKS):
        for n in range(4):
            i = week * 4 + n
            # (field, proposed, the RM's edit, what someone typed meanwhile when stale)
            key, value, edited, typed = [
                ("email", f"ada.{i}@lovelace.example", f"ada{i}@le.example", f"t{i}@le.example"),
                ("phone", f"020 7946 {i:04d}", f"020 7946 9{i:03d}", f"020 7000 {i:04d}"),
                ("occupation", f"Analyst grade {i}", f"Analyst ({i})", f"Typed {i}"),
                ("employer", f"Analytical Engines {i}", f"AE {i}", f"Typed {i}"),
            ][n]
            # Older weeks reject more: rejections where (i * 7) % 10 < weeks left.
            if (i * 7) % 10 < (HISTORY_WEEKS - week) // 2:
                decision = "reject"
            else:
                decision = "edit" if i % 5 == 2 else "accept"
            plan.append(
                {
                    "weeks_ago": HISTORY_WEEKS - 1 - week,
                    "key": key,
                    "value": value,
                    "decision": decision,
                    "agent": HISTORY_AGENTS[i % 2],
                    "reason": HISTORY_REASONS[i % 4] if decision == "reject" else "",
                    "edited": edited,
                    "typed": typed if i % 5 == 0 else None,
                    "age_hours": [0.5, 3, 20, 60, 200][i % 5],
                }
            )
    return plan


def _seed_history(demo: Demo) -> None:
    bob = demo.users["bob"]
    with tenant_context(bob.tenant_id):
        if Customer.objects.filter(
            tenant_id=bob.tenant_id, profile__fullName=HISTORY_CUSTOMER["fullName"]
        ).exists():
            return
        ada = services.customer_create(tenant_id=bob.tenant_id, rm=bob, profile=HISTORY_CUSTOMER)
        monday = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
        monday -= dt.timedelta(days=monday.weekday())
        for step in _history_plan():
            [proposal] = services.artifact_create_batch(
                customer=ada,
                edits=[
                    services.ProfileEditInput(
                        field_key=step["key"],
                        proposed_value=step["value"],
                        source_text=f"Ada's {step['key']} is {step['value']}",
                        confidence="high",
                    )
                ],
                created_by_type=CreatorType.AGENT,
                created_by_id=step["agent"],
            )
            if step["typed"]:  # someone typed another value before bob decided: stale
                services.customer_set_profile_values(
                    customer=ada, values={step["key"]: step["typed"]}
                )
            services.proposal_decide(
                user=bob,
                proposal_id=proposal.pk,
                decision=step["decision"],
                reason=step["reason"],
                confirm_stale=True,
                **({"edited_value": step["edited"]} if step["decision"] == "edit" else {}),
            )
            decided = monday - dt.timedelta(weeks=step["weeks_ago"])
            Proposal.objects.filter(pk=proposal.pk).update(
                decided_at=decided, created_at=decided - dt.timedelta(hours=step["age_hours"])
            )


def _demo_token(demo: Demo) -> str:
    """Alice (Acme's tenant admin) revokes the previous run's demo token and makes a new
    one: only its hash is stored, so it can be printed only when made."""
    alice = demo.users["alice"]
    customer_name = CUSTOMERS[0][1]["fullName"]
    with tenant_context(alice.tenant_id):
        for token in ApiToken.objects.filter(
            tenant_id=alice.tenant_id, name=DEMO_TOKEN_NAME, revoked_at__isnull=True
        ):
            services.api_token_revoke(user=alice, token_id=token.pk)
        _, raw = services.api_token_create(
            user=alice, name=DEMO_TOKEN_NAME, scopes=["propose", "read"]
        )
        customer = Customer.objects.get(tenant_id=alice.tenant_id, profile__fullName=customer_name)
    base = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
    return (
        f"  Acme's API token (agents; the previous one is revoked): {raw}\n"
        f"    curl -H 'Authorization: Bearer {raw}' {base}/api/customers/{customer.pk}/proposals"
    )
