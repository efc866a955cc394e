"""Django's PostgreSQL backend, aware that tenant tables have a two-column primary key.

The database's primary key of a tenant table is (tenant_id, id) (tenancy/keys.py)
while Django's is `id`. Django shortens `GROUP BY` to a model's primary key
when it can, relying on PostgreSQL to see every other column as dependent on
it; PostgreSQL does that only for its own whole primary key, so `GROUP BY
"id"` alone is refused ("must appear in the GROUP BY clause"). For tenant
models Django groups by every selected column instead.
"""

from __future__ import annotations

from functools import cache

from django.db.backends.postgresql import base, features


@cache
def _tenant_tables() -> frozenset[str]:
    from tenancy.rls import tenant_models

    return frozenset(model._meta.db_table for model in tenant_models())


class DatabaseFeatures(features.DatabaseFeatures):
    def allows_group_by_selected_pks_on_model(self, model) -> bool:
        if model._meta.db_table in _tenant_tables():
            return False
        return super().allows_group_by_selected_pks_on_model(model)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
