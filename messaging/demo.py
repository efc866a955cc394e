"""Demo messages: alice and bob each find pending and answered proposals (seed_demo)."""

from __future__ import annotations

from messaging import services
from messaging.models import SkillMessage
from skills.models import Skill
from tenancy.context import tenant_context
from tenancy.demo import Demo

# (sender, skill, proposed parent, message, what the recipient did)
MESSAGES = [
    (
        "bob",
        "Email drafting",
        "Prompt engineering",
        "Drafting emails is mostly prompting the assistant well; group it there?",
        "accepted",
    ),
    (
        "bob",
        "Document summarisation",
        "Template writing",
        "Summaries follow our report templates, maybe they belong together.",
        "declined",
    ),
    (
        "bob",
        "Spreadsheet automation",
        "Python scripting",
        "Most of our spreadsheet automation is small Python scripts now.",
        None,
    ),
    (
        "alice",
        "Customer research",
        "Document summarisation",
        "Research briefs are summaries of what we find.",
        "declined",
    ),
    (
        "alice",
        "Template writing",
        "Email drafting",
        "Templates are drafted the same way as emails.",
        "read",
    ),
    (
        "alice",
        "Python scripting",
        "Prompt engineering",
        "We write the scripts with the assistant; group them under prompting?",
        None,
    ),
    ("dave", "Report writing", "Data analysis", "Reports start from the analysis.", None),
]

ANSWERS = {"accepted": services.accept, "declined": services.decline, "read": services.mark_read}


def seed(demo: Demo) -> None:
    for sender_key, skill_name, parent_name, text, outcome in MESSAGES:
        sender = demo.users[sender_key]
        with tenant_context(sender.tenant_id):
            skills = Skill.objects.for_tenant(sender.tenant_id).select_related("author")
            skill = skills.filter(name=skill_name).first()
            parent = skills.filter(name=parent_name).first()
            if skill is None or parent is None:
                continue  # the demo skills were changed by hand: nothing to propose
            sent_before = SkillMessage.objects.filter(
                from_user=sender, subject_skill=skill, proposed_parent_skill=parent
            ).exists()
            if sent_before:
                continue
            message = services.send_skill_message(
                sender=sender, subject_skill=skill, proposed_parent_skill=parent, message=text
            )
            if outcome:
                ANSWERS[outcome](message=message, user=skill.author)
