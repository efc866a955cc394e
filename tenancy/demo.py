"""Demo data: tenants and people. Apps add theirs in `<app>/demo.py` (see seed_demo)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission

from tenancy.models import Tenant, User

TENANT_ADMIN_GROUP = "Tenant admins"
# Apps whose models a tenant admin manages in the admin (row-level security
# keeps them to their own tenant's rows); plus users, filtered by tenant.
TENANT_ADMIN_APPS = ["skills", "portfolio", "messaging", "workshops", "crm_artifacts"]

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


def tenant_admin_group() -> Group:
    """The group that gives tenant admins their admin permissions (refreshed each run)."""
    group, _ = Group.objects.get_or_create(name=TENANT_ADMIN_GROUP)
    permissions = Permission.objects.filter(content_type__app_label__in=TENANT_ADMIN_APPS) | (
        Permission.objects.filter(
            content_type__app_label="tenancy", content_type__model__in=["user", "invitation"]
        )
    )
    group.permissions.set(permissions)
    return group


def seed_people() -> Demo:
    demo = Demo()
    admins = tenant_admin_group()
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
        if user.is_staff:
            user.groups.add(admins)
        demo.users[email.split("@")[0]] = user
    return demo
