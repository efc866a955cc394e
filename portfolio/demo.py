"""Demo artifacts for alice (called by `manage.py seed_demo`, after the skills)."""

from __future__ import annotations

import datetime
import os

from django.urls import reverse

from portfolio.models import Level, PortfolioShare, WorkArtifact
from portfolio.services import artifact_create
from portfolio.services.profile import profile_skill_confirm
from portfolio.services.shares import share_create, share_revoke
from tenancy.context import tenant_context
from tenancy.demo import Demo

D = datetime.date
TXT, DOCX, EML = (
    "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "message/rfc822",
)

# (title, category, date, hours, file name, file type, text, description)
ARTIFACTS = [
    (
        "Quarterly board report summary",
        "document",
        D(2021, 3, 30),
        6,
        "q1-board-summary.docx",
        DOCX,
        "Summary of the quarterly board report: condensed forty pages of reports and "
        "meeting notes into a two-page summary for the directors.",
        "Read the full pack and wrote the summary by hand.",
    ),
    (
        "Customer renewal email",
        "email",
        D(2021, 5, 12),
        1.5,
        "renewal-reminder.eml",
        EML,
        "Subject: Your renewal\n\nDear customer, thank you for another year. This email "
        "drafting took several rounds of edits with the account team.",
        "",
    ),
    (
        "Monthly sales spreadsheet macros",
        "script",
        D(2021, 8, 2),
        12,
        "sales-macros.txt",
        TXT,
        "Spreadsheet formulas and macros that clean the export and build the monthly "
        "sales report automatically.",
        "VBA macros written over two weekends.",
    ),
    (
        "Proposal template",
        "template",
        D(2021, 11, 18),
        8,
        "proposal-template.docx",
        DOCX,
        "Reusable proposal template with sections for scope, pricing and contract terms.",
        "",
    ),
    (
        "Contract summaries for legal",
        "document",
        D(2022, 1, 24),
        10,
        "contract-summaries.docx",
        DOCX,
        "Condensing supplier contracts into one-page summaries: parties, term, renewal "
        "and liability clauses.",
        "",
    ),
    (
        "Internal announcement email",
        "email",
        D(2022, 3, 7),
        2,
        "office-move.eml",
        EML,
        "Subject: Office move\n\nHi all, internal email drafting for the office move, "
        "with dates and what to pack.",
        "",
    ),
    (
        "Meeting notes digest",
        "document",
        D(2022, 6, 15),
        3,
        "weekly-digest.txt",
        TXT,
        "Weekly digest of meeting notes from the product team, summarised into decisions "
        "and actions.",
        "",
    ),
    (
        "Expense report cleanup script",
        "script",
        D(2022, 9, 9),
        5,
        "clean_expenses.txt",
        TXT,
        "Python script that reads the expense spreadsheet, fixes the data and writes a "
        "report for finance.",
        "",
    ),
    (
        "Customer research brief",
        "document",
        D(2022, 12, 1),
        4,
        "",
        "",
        "",
        "Preparing a meeting brief on a customer and its market before the annual review.",
    ),
    (
        "Support reply templates",
        "template",
        D(2023, 2, 20),
        6,
        "support-replies.txt",
        TXT,
        "A set of email templates for common customer support questions: refunds, "
        "delivery delays and account access.",
        "",
    ),
    (
        "Instructions for the new reporting tool",
        "other",
        D(2023, 5, 3),
        2.5,
        "",
        "",
        "",
        "Step-by-step written instructions so colleagues get reliable answers from the tool.",
    ),
    (
        "Year-end summary email to customers",
        "email",
        D(2023, 10, 27),
        3,
        "year-end.eml",
        EML,
        "Subject: Our year\n\nDear customers, a short summary of the year and what comes "
        "next. Drafted the email and summarised the annual report for it.",
        "",
    ),
]


DEMO_SHARE_LABEL = "Demo link"


def seed(demo: Demo) -> str:
    """Alice's artifacts, a few confirmed skills, and a fresh share link (returned to print).

    The link's secret is kept only as a hash, so it can be printed only when it is
    made: each run makes a new one and revokes the previous run's, so the printed
    link always works and open links do not pile up.
    """
    alice = demo.users["alice"]
    with tenant_context(alice.tenant_id):
        existing = set(WorkArtifact.objects.owned_by(alice).values_list("title", flat=True))
        for title, category, day, hours, file_name, file_type, text, description in ARTIFACTS:
            if title in existing:
                continue
            artifact_create(
                user=alice,
                title=title,
                category=category,
                artifact_date=day,
                estimated_hours_saved=hours,
                description=description,
                file_name=file_name,
                file_type=file_type,
                extracted_text=text,
            )
        _confirm_skills(alice)
        for share in PortfolioShare.objects.owned_by(alice).filter(
            label=DEMO_SHARE_LABEL, revoked_at__isnull=True
        ):
            share_revoke(user=alice, share_id=share.pk)
        _, token = share_create(user=alice, label=DEMO_SHARE_LABEL)
    base = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
    link = base + reverse("portfolio:shared", args=[token])
    return f"  alice's shared portfolio (open it signed out): {link}"


def _confirm_skills(alice) -> None:
    """Alice confirms the first suggestion of her first three suggesting artifacts."""
    artifacts = WorkArtifact.objects.owned_by(alice).exclude(suggested_skill_ids=[])
    for artifact in artifacts.order_by("artifact_date")[:3]:
        profile_skill_confirm(
            user=alice,
            skill_id=artifact.suggested_skill_ids[0],
            artifact_ids=[artifact.pk],
            level=Level.PROFICIENT,
        )
