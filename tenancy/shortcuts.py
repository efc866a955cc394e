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
