"""Rules about people: who may manage whom, and which email addresses are free.

Users are a global table (no row-level security), so these rules are the fence
between a tenant admin and the platform's operators and other tenants' people.
The admin calls them; so will every later path that manages people.
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from tenancy.models import User

# One answer whether the address is free, taken in this tenant or in another:
# anything more specific would tell a tenant admin who has an account elsewhere.
EMAIL_UNAVAILABLE = (
    "This email address cannot be used for a new account. If the person already has "
    "one, they can sign in with it; otherwise use another address."
)


def _permissions_of(user: User) -> QuerySet[Permission]:
    return Permission.objects.filter(Q(user=user) | Q(group__user=user))


def users_manageable_by(user: User) -> QuerySet[User]:
    """The people `user` may see and change in the admin.

    Superusers manage everyone. Anyone else manages people of their own tenant
    who are not superusers and hold no permission beyond their own: never the
    platform's operators, never someone above them, so a password reset or a
    deactivation can never be used to take over a stronger account.
    """
    if user.is_superuser:
        return User.objects.all()
    beyond = Permission.objects.exclude(pk__in=_permissions_of(user).values("pk"))
    return (
        User.objects.filter(tenant_id=user.tenant_id, is_superuser=False)
        .exclude(user_permissions__in=beyond)
        .exclude(groups__permissions__in=beyond)
    )


def email_check_available(*, email: str, user: User | None = None) -> str:
    """The address normalised, or EMAIL_UNAVAILABLE if any other account has it."""
    email = User.objects.normalize_email(email).lower()
    taken = User.objects.filter(email__iexact=email)
    if user is not None and user.pk:
        taken = taken.exclude(pk=user.pk)
    if taken.exists():
        raise ValidationError(EMAIL_UNAVAILABLE, code="email_unavailable")
    return email


def users_of_tenant(user: User) -> QuerySet[User]:
    """The people `user` may pick in a form (a customer's RM, a skill's author):
    their tenant's, without the platform's operators, whom a tenant admin does not see."""
    people = User.objects.filter(tenant_id=user.tenant_id)
    return people if user.is_superuser else people.filter(is_superuser=False)
