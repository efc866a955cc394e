"""Messages in the admin: find them, and answer them through the services.

Status is never edited as a field: the "accept" and "decline" actions call the
same services as the inbox, on the recipient's behalf, so accepting still moves
the skill and re-checks the tree, and a decided proposal stays decided.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from messaging import services
from messaging.models import SkillMessage
from tenancy.admin import TenantAdminMixin


class ReadFilter(admin.SimpleListFilter):
    title = "read"
    parameter_name = "read"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("unread", "Unread"), ("read", "Read")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("unread", "read"):
            return queryset.filter(read_at__isnull=self.value() == "unread")
        return queryset


@admin.register(SkillMessage)
class SkillMessageAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "from_user", "to_user", "status", "created_at", "read_at"]
    list_filter = ["status", ReadFilter, "created_at"]
    search_fields = [
        "message",
        "subject_skill__name",
        "proposed_parent_skill__name",
        "from_user__email",
        "to_user__email",
    ]
    list_select_related = ["from_user", "to_user", "subject_skill", "proposed_parent_skill"]
    fields = [
        "from_user",
        "to_user",
        "subject_skill",
        "proposed_parent_skill",
        "message",
        "status",
        "created_at",
        "read_at",
    ]
    readonly_fields = fields
    actions = ["accept_selected", "decline_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SkillMessage]:
        return super().get_queryset(request).filter(tenant_id=request.user.tenant_id)

    # Proposals are written from a skill's page and answered by the actions
    # below; nothing is typed into a message here.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SkillMessage | None = None) -> bool:
        return False

    def has_answer_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("messaging.change_skillmessage")

    def _answer(
        self,
        request: HttpRequest,
        queryset: QuerySet[SkillMessage],
        service: Callable[..., SkillMessage],
        verb: str,
    ) -> None:
        done, refused = 0, []
        for message in queryset:
            try:
                service(message=message, user=message.to_user)
            except (ValidationError, PermissionDenied) as error:
                reason = " ".join(getattr(error, "messages", [str(error)]))
                refused.append(f"“{message}”: {reason}")
            else:
                done += 1
        if done:
            self.message_user(request, f"{verb} {done} proposal(s).", messages.SUCCESS)
        for line in refused:
            self.message_user(request, f"Not {verb.lower()}: {line}", messages.WARNING)

    @admin.action(description="Accept for the recipient (moves the skill)", permissions=["answer"])
    def accept_selected(self, request: HttpRequest, queryset: QuerySet[SkillMessage]) -> None:
        self._answer(request, queryset, services.accept, "Accepted")

    @admin.action(description="Decline for the recipient", permissions=["answer"])
    def decline_selected(self, request: HttpRequest, queryset: QuerySet[SkillMessage]) -> None:
        self._answer(request, queryset, services.decline, "Declined")
