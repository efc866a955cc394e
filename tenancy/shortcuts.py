from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

M = TypeVar("M", bound=Model)


def get_tenant_object_or_404(
    queryset: type[M] | QuerySet[M], request: HttpRequest, **lookup: Any
) -> M:
    """The object of the signed-in user's tenant, or 404.

    Row-level security would hide a foreign tenant's row anyway; filtering on
    the tenant here keeps the meaning explicit and lets the planner use the
    (tenant, ...) indexes. Either way a foreign id answers 404, never 403.
    """
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    return get_object_or_404(qs.filter(tenant_id=request.user.tenant_id), **lookup)


# What a row shows of a person it names (`str(user)`: the display name, else the email).
USER_NAME_FIELDS = ("email", "display_name")


def only_names_of(queryset: QuerySet[M], *people: str, **others: tuple[str, ...]) -> QuerySet[M]:
    """`queryset` with all of its own columns, but of each related row it joins
    (select_related) only what a list shows of it: a person's name fields, or the
    fields named in `others` (`subject_skill=("name",)`).

    A list row names its author or decider: loading that user's password hash,
    timestamps and flags too, for every row, was a good part of the page's time
    (docs/performance.md, "Page speed"). A field left out is still read if some
    code asks for it, one query per row: the constant-query tests catch that.
    """
    related = {person: USER_NAME_FIELDS for person in people} | others
    return queryset.only(
        *(field.name for field in queryset.model._meta.concrete_fields),
        *(f"{relation}__{field}" for relation, fields in related.items() for field in fields),
    )
