"""Tenant A's world for the isolation matrix (tests/test_isolation_matrix.py).

One of every kind of object a URL can name, made with the factories and the
services inside Acme's tenant, plus the people of tenant B who probe it. Every
text tenant A's objects carry includes "Zanzibar", so a page of tenant B that
shows any of it is caught by looking for the word.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.db import connection, models
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks_db.models import DBTaskResult

from crm_artifacts import services as crm
from crm_artifacts.models import ApiToken, CreatorType, Customer, FollowUp, Proposal
from crm_artifacts.tasks import run_workflows
from messaging.models import SkillMessage
from portfolio.models import PortfolioShare, ProfileSkill, WorkArtifact
from portfolio.services.profile import profile_skill_confirm
from portfolio.services.shares import share_create
from skills.models import Skill
from tenancy import login_throttle
from tenancy.context import tenant_context
from tenancy.demo import tenant_admin_group
from tenancy.invitations import new_token
from tenancy.models import Invitation, LoginThrottle, Tenant, TenantModel, User
from tests.crm_artifacts.factories import CustomerFactory
from tests.factories import SkillFactory, TenantFactory, UserFactory
from tests.messaging.factories import SkillMessageFactory
from tests.portfolio.factories import WorkArtifactFactory
from tests.workshops.factories import ChatMessageFactory
from workshops import services as workshops
from workshops.models import (
    ChatMessage,
    StepArtifact,
    StepDefinition,
    StepSummary,
    StepVersion,
    WorkshopParticipant,
    WorkshopStep,
)

MARK = "Zanzibar"
# What tenant A's objects say, by where it comes from: a failure names the source.
SECRETS = {
    "tenant name": f"Acme {MARK} Ltd",
    "user name": f"Alice {MARK}",
    "user email": "alice@zanzibar-acme.test",
    "skill name": f"{MARK} welding",
    "work artifact title": f"{MARK} ledger",
    "message text": f"{MARK} proposal note",
    "workshop title": f"{MARK} onboarding",
    "chat message": f"{MARK} chat line",
    "step summary": f"{MARK} summary",
    "step artifact": f"{MARK} problem",
    "customer name": f"{MARK} Customer",
    "customer email": "customer@zanzibar.example",
    "proposed value": f"{MARK} Airlines",
    "follow-up title": f"Call {MARK} Customer",
    "group name": f"{MARK} auditors",
    "invitation email": "invitee@zanzibar-acme.test",
    "share label": f"{MARK} recruiter link",
    "api token name": f"{MARK} inbox agent",
}


@dataclass
class TenantB:
    """Globex's people: a member, a tenant admin with the demo's admin group, a superuser."""

    tenant: Tenant
    member: User
    admin: User
    superuser: User
    api_token: str  # a live token of tenant B, every scope (crm_artifacts' agent API)


@dataclass
class TenantA:
    tenant: Tenant
    alice: User  # owns the skill, artifact, workshop; receives the message
    bob: User  # the customer's RM; sends the message
    admin: User  # tenant admin (is_staff, "Tenant admins" group)
    superuser: User
    skill: Skill
    work_artifact: WorkArtifact
    message: SkillMessage
    step: WorkshopStep
    participant: WorkshopParticipant  # bob takes part in alice's workshop
    chat_message: ChatMessage
    step_artifact: StepArtifact
    step_summary: StepSummary
    step_version: StepVersion  # the artifact's first version, kept in the history
    customer: Customer
    proposal: Proposal
    follow_up: FollowUp
    group: Group
    task_result: DBTaskResult
    step_definition: StepDefinition
    login_throttle: LoginThrottle
    invitation: Invitation
    invitation_token: str  # the accept link's token (its secret is stored hashed)
    profile_skill: ProfileSkill
    api_token: ApiToken  # a tenant A token, revoked
    revoked_api_token: str  # its text: must answer 401
    share: PortfolioShare
    share_token: str  # the share link's token (its secret is stored hashed)
    password_reset: dict[str, str]  # uidb64 and token of a reset link for alice
    snapshot: dict[str, str] = field(default_factory=dict)  # see snapshot(), taken last

    @property
    def workshop(self):
        return self.step.workshop


def _person(tenant: Tenant, email: str, name: str, **flags: Any) -> User:
    # An unusable password: sessions come from force_login, and hashing is slow.
    return UserFactory(tenant=tenant, email=email, display_name=name, password=None, **flags)


def build_tenant_b() -> TenantB:
    globex = TenantFactory(name="Globex Matrix", slug="globex-matrix")
    admin = _person(globex, "admin@globex-matrix.test", "Gina Admin", is_staff=True)
    admin.groups.add(tenant_admin_group())
    with tenant_context(globex):
        _, api_token = crm.api_token_create(user=admin, name="B agent", scopes=["propose", "read"])
    return TenantB(
        tenant=globex,
        member=_person(globex, "member@globex-matrix.test", "Gus Member"),
        admin=admin,
        api_token=api_token,
        superuser=_person(
            globex, "root@globex-matrix.test", "Root Globex", is_staff=True, is_superuser=True
        ),
    )


def build_tenant_a() -> TenantA:
    acme = TenantFactory(name=SECRETS["tenant name"], slug="acme-zanzibar")
    alice = _person(acme, SECRETS["user email"], SECRETS["user name"])
    bob = _person(acme, "bob@zanzibar-acme.test", f"Bob {MARK}")
    admin = _person(acme, "admin@zanzibar-acme.test", f"Ada {MARK}", is_staff=True)
    admin.groups.add(tenant_admin_group())
    superuser = _person(
        acme, "root@zanzibar-acme.test", f"Root {MARK}", is_staff=True, is_superuser=True
    )
    skill = SkillFactory(author=alice, name=SECRETS["skill name"])
    work_artifact = WorkArtifactFactory(
        user=alice, title=SECRETS["work artifact title"], suggested_skill_ids=[str(skill.pk)]
    )
    message = SkillMessageFactory(
        subject_skill=SkillFactory(author=alice, name=f"{MARK} riveting"),
        from_user=bob,
        proposed_parent_skill=skill,
        message=SECRETS["message text"],
    )
    customer = CustomerFactory(
        rm=bob,
        profile={"fullName": SECRETS["customer name"], "email": SECRETS["customer email"]},
    )
    with tenant_context(acme):
        workshop = workshops.workshop_create(owner=alice, title=SECRETS["workshop title"])
        step = workshop.steps.select_related("workshop", "step_definition").get(
            step_definition_id="challenge"
        )
        participant = workshops.participant_add(workshop=workshop, user=alice, participant=bob)
        chat_message = ChatMessageFactory(workshop_step=step, content=SECRETS["chat message"])
        step_artifact = workshops.artifact_save(
            workshop_step=step,
            user=alice,
            artifact={"problem_statement": SECRETS["step artifact"], "who_is_affected": "Hires"},
            expected_version=0,
        )
        step_summary = workshops.summary_save(
            workshop_step=step, user=alice, summary=SECRETS["step summary"], expected_version=0
        )
        step_version = StepVersion.objects.get(workshop_step=step, kind="artifact", version=1)
        [proposal] = crm.artifact_create_batch(
            customer=customer,
            edits=[
                crm.ProfileEditInput(
                    field_key="employer",
                    proposed_value=SECRETS["proposed value"],
                    source_text=f"works at {SECRETS['proposed value']}",
                    confidence="high",
                )
            ],
            created_by_type=CreatorType.AGENT,
            created_by_id="matrix",
            workflow_trigger="follow_up",
        )
        follow_up = crm.follow_up_record(
            artifact=proposal,
            workflow="follow_up",
            title=SECRETS["follow-up title"],
            due_on=datetime.date(2030, 1, 1),
        )
        invitation = Invitation(tenant=acme, email=SECRETS["invitation email"], invited_by=admin)
        invitation_token = new_token(invitation)
        profile_skill = profile_skill_confirm(
            user=alice, skill_id=skill.pk, artifact_ids=[work_artifact.pk], level="expert"
        )
        share, share_token = share_create(user=alice, label=SECRETS["share label"])
        api_token, revoked_api_token = crm.api_token_create(
            user=admin, name=SECRETS["api token name"], scopes=["propose", "read"]
        )
        api_token = crm.api_token_revoke(user=admin, token_id=api_token.pk)
    return TenantA(
        tenant=acme,
        alice=alice,
        bob=bob,
        admin=admin,
        superuser=superuser,
        skill=skill,
        work_artifact=work_artifact,
        message=message,
        step=step,
        participant=participant,
        chat_message=chat_message,
        step_artifact=step_artifact,
        step_summary=step_summary,
        step_version=step_version,
        customer=customer,
        proposal=proposal,
        follow_up=follow_up,
        # Platform rows no tenant owns, as an operator or a task worker leaves them.
        group=Group.objects.create(name=SECRETS["group name"]),
        task_result=_task_result(acme, proposal),
        step_definition=StepDefinition.objects.get(pk="challenge"),
        login_throttle=_failed_sign_in(alice),
        invitation=invitation,
        invitation_token=invitation_token,
        profile_skill=profile_skill,
        share=share,
        share_token=share_token,
        api_token=api_token,
        revoked_api_token=revoked_api_token,
        password_reset={
            "uidb64": urlsafe_base64_encode(force_bytes(alice.pk)),
            "token": default_token_generator.make_token(alice),
        },
    )


def _failed_sign_in(user: User) -> LoginThrottle:
    """The row a wrong password for tenant A's user leaves (it names the email)."""
    login_throttle.record_failure(email=user.email, address="203.0.113.9")
    return LoginThrottle.objects.get(scope__startswith=f"email:{user.email}")


def _task_result(tenant: Tenant, proposal: Proposal) -> DBTaskResult:
    """The row the database task backend keeps for a workflow run of tenant A
    (needs a "database" backend in TASKS: see the matrix's `world` fixture)."""
    result = run_workflows.using(backend="database").enqueue(
        tenant_id=tenant.pk, artifact_ids=[proposal.pk]
    )
    return DBTaskResult.objects.get(pk=result.id)


def snapshot(tenant: Tenant) -> dict[str, str]:
    """A fingerprint per table of every row tenant A owns, and of the global rows
    it depends on: one statement, read inside A's tenant (row-level security
    shows exactly A's rows of the tenant tables)."""
    # Built inside A's tenant too: the tenant models' querysets name their
    # tenant when compiled (tenancy.models.ActiveTenant).
    with tenant_context(tenant):
        users = User.objects.filter(tenant=tenant).values("pk")
        scopes: list[tuple[models.QuerySet, str]] = [
            (Tenant.objects.filter(pk=tenant.pk), "tenancy.tenant"),
            (User.objects.filter(tenant=tenant), "tenancy.user"),
            (User.groups.through.objects.filter(user__in=users), "tenancy.user_groups"),
            (Group.objects.all(), "auth.group"),
            (StepDefinition.objects.all(), "workshops.stepdefinition"),
            (DBTaskResult.objects.all(), "django_tasks_database.dbtaskresult"),
            (LoginThrottle.objects.all(), "tenancy.loginthrottle"),
        ] + [
            (model.objects.filter(tenant=tenant), model._meta.label_lower)
            for model in apps.get_models()
            if issubclass(model, TenantModel)
        ]
        parts, params = [], []
        for queryset, label in scopes:
            # md5 of the rows as text, in key order: any change to any column shows.
            sql, sql_params = queryset.order_by().values("pk").query.sql_with_params()
            table = connection.ops.quote_name(queryset.model._meta.db_table)
            pk = connection.ops.quote_name(queryset.model._meta.pk.column)
            parts.append(
                f"SELECT %s, md5(coalesce(string_agg(t::text, ',' ORDER BY t.{pk}), '')) "
                f"FROM {table} t WHERE t.{pk} IN ({sql})"
            )
            params += [label, *sql_params]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            return dict(cursor.fetchall())
