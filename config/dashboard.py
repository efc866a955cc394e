"""What the dashboard shows, read through each app's selectors.

The page leads with the decisions waiting for the signed-in person (a
relationship manager's CRM proposals, skill groupings proposed to them), then
one tile per area, hours saved over time and their workshops' progress. Each
part is a fixed number of queries, whatever the amount of data.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from django.urls import reverse

from messaging.selectors import awaiting_answer_count
from portfolio.chart import Chart, month_bars
from portfolio.selectors import hours_by_month
from tenancy.models import Role, User
from tenancy.prepared import read_together
from tenancy.services import role_of
from workshops.selectors import DASHBOARD_WORKSHOPS, workshop_list

# Each area contributes a tile through `<app>.selectors.dashboard_card(user, rows)`,
# from the one statement `dashboard_read(user)` gives, all areas' in one round trip;
# an area whose app has not landed yet shows as "not available yet".
AREAS = [
    ("portfolio", "Portfolio", "folder-open"),
    ("skills", "Skills", "network"),
    ("messaging", "Messages", "inbox"),
    ("workshops", "Workshops", "presentation"),
    ("crm_artifacts", "CRM proposals", "briefcase"),
]


@dataclass(frozen=True)
class Decision:
    label: str
    count: int
    url: str
    icon: str


@dataclass(frozen=True)
class Dashboard:
    cards: list[dict[str, Any]]
    icons: list[str]
    decisions: list[Decision]
    chart: Chart | None
    workshops: list[Any]
    more_workshops: bool

    @property
    def tiles(self) -> list[tuple[str, dict[str, Any]]]:
        return list(zip(self.icons, self.cards, strict=True))

    @property
    def pending_total(self) -> int:
        return sum(d.count for d in self.decisions)

    @property
    def first_decision(self) -> Decision | None:
        """The biggest pile, which the headline's one button opens."""
        waiting = [d for d in self.decisions if d.count]
        return max(waiting, key=lambda d: d.count) if waiting else None


def _selectors(app: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"{app}.selectors")
    except ModuleNotFoundError:
        return None


def _cards(user: User) -> dict[str, dict[str, Any]]:
    """Every area's tile, their statements run together (tenancy.prepared.read_together)."""
    modules = {app: _selectors(app) for app, _, _ in AREAS}
    reads = {
        app: module.dashboard_read(user)
        for app, module in modules.items()
        if hasattr(module, "dashboard_read")
    }
    fetched = dict(zip(reads, read_together(*reads.values()), strict=True)) if reads else {}
    cards = {}
    for app, title, _ in AREAS:
        card_for = getattr(modules[app], "dashboard_card", None)
        if card_for is None:
            cards[app] = {"title": title, "available": False}
        else:
            cards[app] = {"available": True, **card_for(user, fetched.get(app))}
    return cards


def _decisions(user: User, cards: dict[str, dict[str, Any]]) -> list[Decision]:
    decisions = []
    crm = cards["crm_artifacts"]
    # The CRM card already counted this person's pending proposals; a
    # relationship manager sees the line even at zero ("nothing waits").
    if crm.get("available") and (crm["value"] or role_of(user) == Role.RELATIONSHIP_MANAGER):
        decisions.append(
            Decision("CRM proposals for your customers", crm["value"], crm["url"], "briefcase")
        )
    messages = cards["messaging"]
    # The messages card counted them already; without it, one COUNT.
    waiting = messages["waiting"] if "waiting" in messages else awaiting_answer_count(user=user)
    decisions.append(
        Decision(
            "Skill groupings awaiting your answer",
            waiting,
            reverse("messaging:inbox") + "?status=pending",
            "inbox",
        )
    )
    return decisions


def _months(card: dict[str, Any], user: User) -> list:
    return card["months"] if "months" in card else hours_by_month(user=user)


def _workshops(card: dict[str, Any], user: User) -> tuple[list[Any], bool]:
    if "workshops" in card:  # the Workshops tile read them (one query for both)
        return card["workshops"], card["more_workshops"]
    workshops = list(workshop_list(user=user)[: DASHBOARD_WORKSHOPS + 1])
    return workshops[:DASHBOARD_WORKSHOPS], len(workshops) > DASHBOARD_WORKSHOPS


def dashboard_for(user: User) -> Dashboard:
    by_app = _cards(user)
    workshops, more_workshops = _workshops(by_app["workshops"], user)
    return Dashboard(
        cards=list(by_app.values()),
        icons=[icon for _, _, icon in AREAS],
        decisions=_decisions(user, by_app),
        # The portfolio card read the months already (one query for both).
        chart=month_bars(_months(by_app["portfolio"], user)),
        workshops=workshops,
        more_workshops=more_workshops,
    )
