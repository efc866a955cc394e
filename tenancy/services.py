"""Rules about people: who may manage whom, and which email addresses are free.

Users are a global table (no row-level security), so these rules are the fence
between a tenant admin and the platform's operators and other tenants' people.
The admin calls them; so will every later path that manages people.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404

from tenancy.demo import TENANT_ADMIN_GROUP, tenant_admin_group
from tenancy.models import Role, User

RELATIONSHIP_MANAGER_GROUP = "Relationship managers"

NOT_TENANT_ADMIN = "Only your organisation's admins can manage people."
PERSON_NOT_FOUND = "No such person in your organisation."
NOT_YOURSELF = "You cannot change your own access here: ask another admin."

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


def is_tenant_admin(user: User) -> bool:
    """A tenant admin: staff in the "Tenant admins" group (or an operator)."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    # Asked several times per request (the page, then each service): once is enough.
    if not hasattr(user, "_is_tenant_admin"):
        user._is_tenant_admin = user.groups.filter(name=TENANT_ADMIN_GROUP).exists()
    return user._is_tenant_admin


def check_tenant_admin(user: User) -> None:
    if not is_tenant_admin(user):
        raise PermissionDenied(NOT_TENANT_ADMIN)


def role_of(user: User) -> Role:
    """The person's role, read from prefetched groups when the caller has them."""
    names = {group.name for group in user.groups.all()}
    if user.is_staff and TENANT_ADMIN_GROUP in names:
        return Role.TENANT_ADMIN
    if RELATIONSHIP_MANAGER_GROUP in names:
        return Role.RELATIONSHIP_MANAGER
    return Role.MEMBER


def people_of_tenant(actor: User) -> QuerySet[User]:
    """The people of the actor's tenant that the actor manages, groups prefetched
    (the People page; a superuser sees their own tenant's there, like anyone)."""
    check_tenant_admin(actor)
    return (
        users_manageable_by(actor)
        .filter(tenant_id=actor.tenant_id)
        .prefetch_related(Prefetch("groups", queryset=Group.objects.only("name")))
        .order_by(F("last_login").desc(nulls_last=True), "email")
    )


def person_get(*, actor: User, pk: object) -> User:
    """One person the actor manages in their tenant; 404 otherwise (another
    tenant's, an operator, someone above the actor, or no one)."""
    people = users_manageable_by(actor).filter(tenant_id=actor.tenant_id)
    try:
        user = people.get(pk=pk)
    except (User.DoesNotExist, ValueError, ValidationError):
        raise Http404(PERSON_NOT_FOUND) from None
    # After the lookup: another tenant's id is a 404 for anyone, as everywhere.
    check_tenant_admin(actor)
    return user


def _check_not_self(*, actor: User, user: User) -> None:
    if actor.pk == user.pk:
        raise ValidationError(NOT_YOURSELF, code="self")


def role_grant(*, user: User, role: str) -> None:
    """Give `user` exactly `role` (no checks: callers check who may ask)."""
    role = Role(role)
    admins, managers = tenant_admin_group(), _relationship_manager_group()
    user.groups.remove(admins, managers)
    if role == Role.TENANT_ADMIN:
        user.groups.add(admins)
    elif role == Role.RELATIONSHIP_MANAGER:
        user.groups.add(managers)
    is_staff = role == Role.TENANT_ADMIN
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])


def _relationship_manager_group() -> Group:
    # A label without permissions: relationship managers act through the CRM
    # pages, which check the customer's RM, not a permission.
    return Group.objects.get_or_create(name=RELATIONSHIP_MANAGER_GROUP)[0]


@transaction.atomic
def user_set_role(*, actor: User, user_id: object, role: str) -> User:
    """Make a person of the actor's tenant a member, relationship manager or tenant
    admin. Never oneself (an admin cannot lock the tenant out by accident), never
    someone the actor does not manage (person_get), never an operator."""
    user = person_get(actor=actor, pk=user_id)
    _check_not_self(actor=actor, user=user)
    if role not in Role.values:
        raise ValidationError({"role": "Choose a role from the list."})
    role_grant(user=user, role=role)
    return user


def user_end_sessions(*, user: User) -> None:
    """End every session of `user` at once: the session hash changes (tenancy.models)."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


@transaction.atomic
def user_deactivate(*, actor: User, user_id: object) -> User:
    """Stop a person signing in; their open sessions end with the next request."""
    user = person_get(actor=actor, pk=user_id)
    _check_not_self(actor=actor, user=user)
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
        # An inactive user's session already fails authentication (ModelBackend);
        # ending them too keeps a later reactivation from reviving old sessions.
        user_end_sessions(user=user)
    return user


@transaction.atomic
def user_reactivate(*, actor: User, user_id: object) -> User:
    user = person_get(actor=actor, pk=user_id)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user
