"""Demo skills for both tenants (called by `manage.py seed_demo`)."""

from __future__ import annotations

from skills.models import Skill
from skills.services import skill_create
from tenancy.context import tenant_context
from tenancy.demo import Demo

# (author, name, description, parent name)
SKILLS = [
    (
        "alice",
        "Prompt engineering",
        "Writing instructions that get reliable answers from language models.",
        None,
    ),
    (
        "alice",
        "Document summarisation",
        "Condensing reports, contracts and meeting notes into short summaries.",
        "Prompt engineering",
    ),
    ("alice", "Email drafting", "Drafting customer and internal emails with an assistant.", None),
    (
        "alice",
        "Spreadsheet automation",
        "Formulas, macros and scripts that clean and report on data.",
        None,
    ),
    ("bob", "Customer research", "Preparing meeting briefs on customers and their markets.", None),
    ("bob", "Template writing", "Reusable proposal, contract and report templates.", None),
    ("bob", "Python scripting", "Small scripts that automate repetitive reporting work.", None),
    ("carol", "Data analysis", "Exploring and charting operational data.", None),
    ("carol", "Report writing", "Quarterly and board reports.", None),
    ("dave", "Translation", "Translating documents between English and German.", None),
]


def seed(demo: Demo) -> None:
    for author_key, name, description, parent_name in SKILLS:
        author = demo.users[author_key]
        with tenant_context(author.tenant_id):
            parent = (
                Skill.objects.get(tenant_id=author.tenant_id, name=parent_name)
                if parent_name
                else None
            )
            if not Skill.objects.for_tenant(author.tenant_id).filter(name=name).exists():
                skill_create(author=author, name=name, description=description, parent=parent)
