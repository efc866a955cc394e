"""Tenants, users, and the base classes every tenant-owned model uses.

Tenant and User are global tables: login happens before the tenant is known.
Every domain table inherits `TenantModel`, carries `tenant_id NOT NULL` and is
fenced by row-level security (see tenancy/rls.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac


class Tenant(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=63, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Set by the tenant's admin (tenancy/two_factor.py): everyone signs in with a
    # second factor, and someone without one sets it up before anything else.
    # db_default too: loadtest and bench insert tenants and users with raw SQL.
    two_factor_required = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("Users need an email address.")
        if "tenant" not in extra and "tenant_id" not in extra:
            raise ValueError("Users belong to exactly one tenant.")
        if "tenant" in extra and not isinstance(extra["tenant"], Tenant):
            # `createsuperuser --tenant ID` (tenant is in REQUIRED_FIELDS) passes
            # the id it has checked, not the instance.
            extra["tenant_id"] = extra.pop("tenant")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person; signs in with their email and belongs to one tenant."""

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="users")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Tenant admins: may sign in to the admin for their tenant."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    # Part of the session hash: raising it ends every session of the person at once
    # (tenancy/services.py user_end_sessions), as a password change does.
    session_epoch = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["tenant"]

    class Meta:
        ordering = ["email"]
        constraints = [
            # Email is the login: one account per address, whatever the case.
            models.UniqueConstraint(Lower("email"), name="tenancy_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@")[0]

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django's hash of the password (its sessions end when it changes), plus the
        # epoch. Epoch 0 adds nothing, so sessions from before it existed stay valid.
        # Both get_session_auth_hash and the SECRET_KEY_FALLBACKS check call this.
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "tenancy.models.User.session_epoch"
        value = f"{self.password}:{self.session_epoch}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TenantContextMissing(RuntimeError):
    """A tenant table was queried outside any tenant_context (strict mode only).

    Row-level security would answer such a query with no rows, which hides the
    bug: a page that is silently empty, a task that silently does nothing. In
    development and tests (`TENANCY_STRICT`, on unless DJANGO_ENV=production)
    the query raises this instead, naming the model.
    """


class ActiveTenant(models.Expression):
    """The tenant id of the tenant_context active when the query is compiled.

    A queryset built outside any tenant context (a form's choices at import
    time, a module-level default) is compiled later, usually inside one: the
    filter is resolved then. Compiled outside any context it raises
    TenantContextMissing in strict mode; in production it compiles to NULL,
    which matches no row, as the database's fence would (fail closed).
    """

    output_field = models.BigIntegerField()

    def __init__(self, model_label: str) -> None:
        super().__init__()
        self.model_label = model_label

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [active_tenant_or_fail(self.model_label)]


def active_tenant_or_fail(model_label: str) -> int | None:
    """The active tenant's id for a query of `model_label` about to run; outside any
    tenant context TenantContextMissing in strict mode, else None (NULL: no row)."""
    from django.conf import settings

    from tenancy.context import active_tenant_id

    tenant_id = active_tenant_id()
    if tenant_id is None and getattr(settings, "TENANCY_STRICT", False):
        raise TenantContextMissing(
            f"{model_label} was queried outside any tenant context: wrap the "
            "code in tenancy.context.tenant_context(tenant) (requests get one from "
            "TenantMiddleware once signed in)."
        )
    return tenant_id


class TenantManager(models.Manager):
    """Every query of a tenant model filters by the active tenant (tenant_context).

    It changes no result: row-level security already shows only that tenant's
    rows. It puts `tenant_id = <id>` in the query itself, which the policy's
    expression is not: Citus routes a query to one shard only when it sees the
    distribution column equal to a constant, and refuses FOR UPDATE, correlated
    subqueries and some joins across shards. A queryset made outside any tenant
    context gets the tenant when it runs (ActiveTenant), or a clear error in
    strict mode when it runs outside one too.
    """

    def get_queryset(self) -> models.QuerySet:
        from tenancy.context import active_tenant_id

        queryset = super().get_queryset()
        tenant_id = active_tenant_id()
        if tenant_id is None:
            return queryset.filter(tenant_id=ActiveTenant(self.model._meta.label))
        return queryset.filter(tenant_id=tenant_id)


class TenantQuerySet(models.QuerySet):
    """Base of the tenant models' querysets: `as_manager()` gives a TenantManager."""

    @classmethod
    def as_manager(cls) -> TenantManager:
        manager = TenantManager.from_queryset(cls)()
        manager._built_with_as_manager = True
        return manager

    as_manager.queryset_only = True  # type: ignore[attr-defined]


class TenantModel(models.Model):
    """Base for every tenant-owned table.

    The migration that creates a subclass's table must also run
    `tenancy.rls.EnableTenantRLS` (`manage.py check_rls` fails otherwise) and
    `tenancy.keys.TenantKeys`; references to other tenant models are
    `tenancy.keys.TenantForeignKey`s.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    objects = TenantManager()

    class Meta:
        abstract = True
        # Related-object access and Model.save() use the base manager: they
        # filter by the tenant too.
        base_manager_name = "objects"


class LoginThrottle(models.Model):
    """Failed sign-ins counted per scope, so password guessing stops after a few tries.

    A scope is an email from one client address, or a client address on its own
    (one address trying many accounts). Global, like User: it is written before
    anyone is signed in. Rows are upserted in one statement (tenancy/login_throttle.py),
    so parallel failures are each counted.
    """

    scope = models.CharField(max_length=400, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "login throttle"

    def __str__(self) -> str:
        return self.scope


class Role(models.TextChoices):
    """What a person may do in their tenant, beyond being a member."""

    MEMBER = "member", "Member"
    RELATIONSHIP_MANAGER = "relationship_manager", "Relationship manager"
    TENANT_ADMIN = "tenant_admin", "Tenant admin"


class Invitation(TenantModel, TimestampedModel):
    """An email address a tenant admin asked to join the tenant.

    The link's token is `<tenant id>.<invitation id>.<secret>`: the tenant id lets
    the anonymous accept page read the row inside that tenant's context (row-level
    security), and only a hash of the secret is stored, so the table does not hold
    working links (tenancy/invitations.py).
    """

    email = models.EmailField()
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    secret_hash = models.CharField(max_length=64, editable=False)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per address in a tenant (tenant_id first: a unique
            # check must not reveal another tenant's rows).
            models.UniqueConstraint(
                "tenant",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="tenancy_invitation_open_unique",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "expires_at"])]

    def __str__(self) -> str:
        return self.email

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        return "expired" if self.is_expired else "invited"
