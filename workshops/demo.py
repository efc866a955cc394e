"""Demo workshop for alice: two steps done, the third in progress, bob taking part
(seed_demo calls this)."""

from __future__ import annotations

from assistant.offline import OfflineAssistant
from tenancy.context import tenant_context
from tenancy.demo import Demo
from workshops import services
from workshops.models import Workshop, WorkshopParticipant, WorkshopStep

TITLE = "Faster onboarding for new hires"

# step id -> (what alice says, the artifact she saves or None while in progress)
STEPS = {
    "challenge": (
        [
            "New hires take about six weeks to become productive. Managers spend hours "
            "answering the same questions.",
            "- Exit surveys mention confusion in the first month\n"
            "- Support tickets from new hires double in their first weeks",
        ],
        {
            "problem_statement": "New hires take about six weeks to become productive, and "
            "managers spend hours answering the same questions.",
            "who_is_affected": "New hires, their managers and the IT support desk",
            "evidence": [
                "Exit surveys mention confusion in the first month",
                "Support tickets from new hires double in their first weeks",
            ],
            "success_criteria": ["New hires productive within three weeks"],
        },
    ),
    "stakeholder-mapping": (
        [
            "- Hiring managers — want faster starts, high influence\n"
            "- IT support — fewer repeated tickets, medium\n"
            "- New hires — clear first steps, low",
        ],
        {
            "stakeholders": [
                {"name": "Hiring managers", "interest": "Faster starts", "influence": "high"},
                {"name": "IT support", "interest": "Fewer repeated tickets", "influence": "medium"},
                {"name": "New hires", "interest": "Clear first steps", "influence": "low"},
            ]
        },
    ),
    "ideation": (
        [
            "A buddy system could pair each hire with a peer for the first month.",
            "We could also write a self-serve onboarding wiki.",
        ],
        None,
    ),
}


# What bob, the second participant, adds to the step in progress.
BOB_SAYS = "Could the buddy also walk new hires through the support desk in week one?"


def seed(demo: Demo) -> None:
    alice, bob = demo.users["alice"], demo.users["bob"]
    # The offline assistant whatever is configured: demo data must not need a network.
    assistant = OfflineAssistant()
    with tenant_context(alice.tenant_id):
        workshop = Workshop.objects.owned_by(alice).filter(title=TITLE).first()
        if workshop is None:
            workshop = _seed_steps(alice, assistant)
        if not WorkshopParticipant.objects.filter(workshop=workshop, user=bob).exists():
            services.participant_add(workshop=workshop, user=alice, participant=bob)
            ideation = WorkshopStep.objects.select_related("workshop", "step_definition").get(
                workshop=workshop, step_definition_id="ideation"
            )
            services.chat_send(
                workshop_step=ideation, user=bob, content=BOB_SAYS, assistant=assistant
            )


def _seed_steps(alice, assistant: OfflineAssistant) -> Workshop:
    workshop = services.workshop_create(owner=alice, title=TITLE)
    steps = {
        s.step_id: s
        for s in WorkshopStep.objects.filter(workshop=workshop).select_related(
            "workshop", "step_definition"
        )
    }
    for step_id, (messages, artifact) in STEPS.items():
        step = steps[step_id]
        for text in messages:
            services.chat_send(workshop_step=step, user=alice, content=text, assistant=assistant)
        if artifact is None:
            continue
        services.artifact_save(
            workshop_step=step, user=alice, artifact=artifact, expected_version=0
        )
        services.summary_generate(
            workshop_step=step, user=alice, expected_version=0, assistant=assistant
        )
        services.step_mark_done(workshop_step=step, user=alice)
    return workshop
