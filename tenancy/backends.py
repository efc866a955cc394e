"""Django's ModelBackend, reading the signed-in user and their tenant in one statement.

Every signed-in request loads its user from the session, and pages that name
the organisation (the dashboard, the admin) then read `user.tenant`: two ORM
queries, about 0.7 ms of Python before the database sees anything. Here it is
one SELECT with the join, written once from the models' own fields (so a field
added to either model is read too), and the rows become model instances the
way the ORM makes them (`Model.from_db`), the tenant cached on the user as
`select_related` would (docs/performance.md, "Fixed cost").
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth.backends import ModelBackend
from django.db import connections, router

from tenancy.models import Tenant, User


@cache
def _statement(alias: str) -> tuple[str, list[str], list[str]]:
    quote = connections[alias].ops.quote_name
    user_fields = [f.attname for f in User._meta.concrete_fields]
    tenant_fields = [f.attname for f in Tenant._meta.concrete_fields]
    columns = [f"u.{quote(f.column)}" for f in User._meta.concrete_fields]
    columns += [f"t.{quote(f.column)}" for f in Tenant._meta.concrete_fields]
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(User._meta.db_table)} u "
        f"JOIN {quote(Tenant._meta.db_table)} t ON t.{quote(Tenant._meta.pk.column)} = "
        f"u.{quote(User._meta.get_field('tenant').column)} "
        f"WHERE u.{quote(User._meta.pk.column)} = %s"
    )
    return sql, user_fields, tenant_fields


class TenantUserBackend(ModelBackend):
    def get_user(self, user_id: int) -> User | None:
        alias = router.db_for_read(User)
        sql, user_fields, tenant_fields = _statement(alias)
        try:
            pk = User._meta.pk.to_python(user_id)
        except Exception:  # a session naming no valid id is no user, as in ModelBackend
            return None
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        user = User.from_db(alias, user_fields, row[: len(user_fields)])
        tenant = Tenant.from_db(alias, tenant_fields, row[len(user_fields) :])
        User._meta.get_field("tenant").set_cached_value(user, tenant)
        return user if self.user_can_authenticate(user) else None
