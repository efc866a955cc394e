"""Admin for tenants and users, and the mixin every tenant model's admin uses.

Tenant admins (staff users) work inside their own tenant: row-level security
already limits tenant tables to it, and `TenantAdminMixin` fills in the tenant
on new objects. Users are a global table, so their admin filters by tenant
explicitly; only superusers see other tenants' users and the tenant list.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin import widgets
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from tenancy.models import LoginThrottle, Tenant, User
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
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    list_filter = ["created_at"]
    prepopulated_fields = {"slug": ["name"]}

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tenant]:
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(pk=request.user.tenant_id)


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
            readonly += ["is_superuser", "is_staff", "groups", "user_permissions"]
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

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        if db_field.name == "tenant" and not request.user.is_superuser:
            kwargs["queryset"] = Tenant.objects.filter(pk=request.user.tenant_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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
