"""Admin for tenants and users, and the mixin every tenant model's admin uses.

Tenant admins (staff users) work inside their own tenant: row-level security
already limits tenant tables to it, and `TenantAdminMixin` fills in the tenant
on new objects. Users are a global table, so their admin filters by tenant
explicitly; only superusers see other tenants' users and the tenant list.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenancy import invitations, services, two_factor
from tenancy.models import Invitation, LoginThrottle, Role, Tenant, User
from tenancy.services import email_check_available, users_manageable_by, users_of_tenant


class NotFoundAdminMixin:
    """An object id the admin cannot see answers 404, like everywhere else.

    Django's admin answers an id missing from `get_queryset()` with a redirect
    to the index and a "doesn't exist" notice, or with 403 when its permission
    check comes first. A foreign tenant's row is missing from the queryset (row-
    level security, or the tenant filter on global tables), so it must answer
    what the rest of the site answers: 404, the same as an id nobody has.
    """

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is None:
            raise Http404("No such object.")
        return obj


class TenantRawIdWidget(widgets.ForeignKeyRawIdWidget):
    """A raw-id widget that names the row only when it is one of the field's choices.

    Django's looks the id up in the whole table: on a global table (users), an
    id put in the URL (`add/?author=7`) would name another tenant's person.
    """

    def __init__(self, *args: Any, queryset: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queryset = queryset

    def label_and_url_for_value(self, value: Any) -> tuple[str, str]:
        key = self.rel.get_related_field().name
        try:
            visible = self.queryset.filter(**{key: value}).exists()
        except (ValueError, ValidationError):
            visible = False
        return super().label_and_url_for_value(value) if visible else ("", "")


class TenantAdminMixin(NotFoundAdminMixin):
    """For ModelAdmins of tenant models: hide the tenant, set it from the admin user,
    offer only the tenant's people, and answer a foreign tenant's id with 404."""

    exclude: tuple[str, ...] = ("tenant",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change and not obj.tenant_id:
            obj.tenant_id = request.user.tenant_id
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        if db_field.related_model is User:
            # Users are a global table (no row-level security behind the admin).
            kwargs.setdefault("queryset", users_of_tenant(request.user))
        if db_field.name in self.raw_id_fields and "widget" not in kwargs:  # type: ignore[attr-defined]
            kwargs["widget"] = TenantRawIdWidget(
                db_field.remote_field,
                self.admin_site,  # type: ignore[attr-defined]
                queryset=kwargs.get("queryset", db_field.related_model._default_manager.all()),
                using=kwargs.get("using"),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


@admin.register(Tenant)
class TenantAdmin(NotFoundAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "two_factor_required", "created_at"]
    search_fields = ["name", "slug"]
    list_filter = ["created_at"]
    prepopulated_fields = {"slug": ["name"]}

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tenant]:
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(pk=request.user.tenant_id)


def _for_each(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, action: Any, done: str
) -> None:
    """An admin action through a service, one selected row at a time: each refusal is
    reported, the rest go ahead (the service checks who may act on which row)."""
    changed = 0
    for pk in queryset.values_list("pk", flat=True):
        try:
            action(pk)
        except (ValidationError, PermissionDenied, Http404) as error:
            message = "; ".join(getattr(error, "messages", [str(error)]))
            model_admin.message_user(request, message, messages.ERROR)
        else:
            changed += 1
    if changed:
        model_admin.message_user(request, f"{done}: {changed}.", messages.SUCCESS)


class EmailAvailableMixin:
    """The same neutral error whoever has the address (tenancy.services)."""

    def clean_email(self) -> str:
        return email_check_available(email=self.cleaned_data["email"], user=self.instance)  # type: ignore[attr-defined]


class TenantUserCreationForm(EmailAvailableMixin, UserCreationForm):
    class Meta:
        model = User
        fields = ["email", "display_name", "tenant"]


class TenantUserChangeForm(EmailAvailableMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(NotFoundAdminMixin, DjangoUserAdmin):
    form = TenantUserChangeForm
    add_form = TenantUserCreationForm
    ordering = ["email"]
    list_display = ["email", "display_name", "tenant", "is_staff", "is_active", "last_login"]
    list_filter = ["tenant", "is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "display_name"]
    list_select_related = ["tenant"]
    actions = [
        "deactivate",
        "reactivate",
        "make_member",
        "make_relationship_manager",
        "make_tenant_admin",
        "reset_two_factor",
    ]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name", "tenant"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "display_name", "tenant", "password1", "password2"],
            },
        )
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # Every view of a person goes through this: the list, change, password,
        # history, delete and the bulk actions (Django's admin looks objects up
        # in this queryset), so an operator or a stronger account answers 404.
        manageable = users_manageable_by(request.user).values("pk")
        return super().get_queryset(request).filter(pk__in=manageable)

    def get_list_filter(self, request: HttpRequest) -> list[str]:
        # The tenant filter would list every organisation's name.
        filters = list(super().get_list_filter(request))
        return filters if request.user.is_superuser else [f for f in filters if f != "tenant"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # A tenant admin can neither move people between tenants nor hand
            # out powers: admin access, operator status, groups, permissions.
            # Roles and deactivation go through the actions (the People page's
            # services), which also end a deactivated person's sessions.
            readonly += ["is_superuser", "is_staff", "groups", "user_permissions", "is_active"]
            if obj is not None:
                readonly.append("tenant_name")
        return readonly

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        # A read-only foreign key renders as a link to the tenant's admin page,
        # which only superusers may open: show the name as plain text instead.
        return [
            (
                name,
                {
                    **options,
                    "fields": [
                        "tenant_name" if field == "tenant" else field for field in options["fields"]
                    ],
                },
            )
            for name, options in fieldsets
        ]

    @admin.display(description="Tenant")
    def tenant_name(self, obj: User) -> str:
        return obj.tenant.name

    @admin.action(description="Deactivate the selected people (their sessions end)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        _for_each(
            self,
            request,
            queryset,
            lambda pk: services.user_deactivate(actor=request.user, user_id=pk),
            "Deactivated",
        )

    @admin.action(description="Reactivate the selected people")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        _for_each(
            self,
            request,
            queryset,
            lambda pk: services.user_reactivate(actor=request.user, user_id=pk),
            "Reactivated",
        )

    def _set_role(self, request: HttpRequest, queryset: QuerySet[User], role: Role) -> None:
        _for_each(
            self,
            request,
            queryset,
            lambda pk: services.user_set_role(actor=request.user, user_id=pk, role=role),
            f"Now {role.label.lower()}",
        )

    @admin.action(description="Make the selected people members")
    def make_member(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._set_role(request, queryset, Role.MEMBER)

    @admin.action(description="Make the selected people relationship managers")
    def make_relationship_manager(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._set_role(request, queryset, Role.RELATIONSHIP_MANAGER)

    @admin.action(description="Make the selected people tenant admins")
    def make_tenant_admin(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._set_role(request, queryset, Role.TENANT_ADMIN)

    @admin.action(description="Turn off two-factor sign-in (lost phone and codes)")
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        _for_each(
            self,
            request,
            queryset,
            lambda pk: two_factor.two_factor_reset(actor=request.user, user_id=pk),
            "Two-factor sign-in turned off",
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        if db_field.name == "tenant" and not request.user.is_superuser:
            kwargs["queryset"] = Tenant.objects.filter(pk=request.user.tenant_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class InvitationAdminForm(forms.ModelForm):
    """Adding an invitation in the admin is the People page's invitation_create: the
    service runs when the form is cleaned, so its refusals show on the form (the
    neutral answer for an address with an account included)."""

    request: HttpRequest

    class Meta:
        model = Invitation
        fields = ["email", "role"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors or self.instance.pk is not None:
            return cleaned
        self.instance = invitations.invitation_create(
            actor=self.request.user,
            email=cleaned["email"],
            role=cleaned["role"],
            base_url=self.request.build_absolute_uri("/"),
        )
        return cleaned


@admin.register(Invitation)
class InvitationAdmin(TenantAdminMixin, admin.ModelAdmin):
    """Invite, resend and revoke, through tenancy/invitations.py. Rows are read-only:
    the link's secret is never shown (only its hash is stored)."""

    form = InvitationAdminForm
    list_display = ["email", "role", "state", "invited_by", "expires_at", "created_at"]
    list_filter = ["role"]
    search_fields = ["email"]
    list_select_related = ["invited_by"]
    readonly_fields = ["state", "invited_by", "expires_at", "accepted_at", "revoked_at", "user"]
    actions = ["resend", "revoke"]

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["email", "role"] if obj is None else ["email", "role", *self.readonly_fields]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked instead; housekeeping deletes old ones

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        pass  # invitation_create saved it when the form was cleaned

    @admin.action(description="Resend the selected invitations (with new links)")
    def resend(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        base_url = request.build_absolute_uri("/")
        _for_each(
            self,
            request,
            queryset,
            lambda pk: invitations.invitation_resend(actor=request.user, pk=pk, base_url=base_url),
            "Sent again",
        )

    @admin.action(description="Revoke the selected invitations")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        _for_each(
            self,
            request,
            queryset,
            lambda pk: invitations.invitation_revoke(actor=request.user, pk=pk),
            "Revoked",
        )


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin):
    """Operators unlock a sign-in early by deleting its row. Superusers only: the
    rows name emails and addresses from every tenant."""

    list_display = ["scope", "failures", "window_started_at", "locked_until"]
    search_fields = ["scope"]
    readonly_fields = ["scope", "failures", "window_started_at", "locked_until"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


# django-otp's own device admins list every tenant's devices and show their keys:
# operators and tenant admins reset a person's two-factor sign-in with the user
# action above instead (tenancy/two_factor.py two_factor_reset).
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
