"""Demo data: tenants and people. Apps add theirs in `<app>/demo.py` (see seed_demo)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tenancy.models import Tenant, User

DEMO_PASSWORD = "demo-password"
TENANTS = {"acme": "Acme", "globex": "Globex"}
PEOPLE = [
    ("alice@acme.test", "Alice Archer", "acme"),
    ("bob@acme.test", "Bob Baker", "acme"),
    ("carol@globex.test", "Carol Chen", "globex"),
    ("dave@globex.test", "Dave Diaz", "globex"),
]


@dataclass
class Demo:
    """What each app's `seed(demo)` receives: the demo tenants and people by short name."""

    tenants: dict[str, Tenant] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)


def seed_people() -> Demo:
    demo = Demo()
    for slug, name in TENANTS.items():
        demo.tenants[slug], _ = Tenant.objects.get_or_create(slug=slug, defaults={"name": name})
    for email, display_name, tenant_slug in PEOPLE:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email,
                DEMO_PASSWORD,
                display_name=display_name,
                tenant=demo.tenants[tenant_slug],
                # alice and carol administer their tenant in the admin.
                is_staff=email.startswith(("alice", "carol")),
            )
        demo.users[email.split("@")[0]] = user
    return demo
