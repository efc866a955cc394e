"""Hostile inputs for the services, and the check every fuzzed call must pass."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from crm_artifacts import services as crm
from crm_artifacts.models import CreatorType, Customer, Proposal
from tenancy.context import tenant_context
from tenancy.models import Tenant


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run one example in a savepoint that is always rolled back.

    Whatever it wrote (or a database error it hit) is undone before the next
    example, so one example cannot poison the next, and each starts from the
    same rows the fixtures made.
    """
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


Snapshot = dict[str, list[dict[str, Any]]]


def snapshot(tables: Iterable[type[models.Model]], tenants: Iterable[Tenant]) -> Snapshot:
    """Every row of `tables` in each of `tenants` (row-level security shows one at a time)."""
    rows: Snapshot = {}
    for tenant in tenants:
        with tenant_context(tenant):
            for model in tables:
                key = f"{tenant.pk}:{model._meta.label}"
                rows[key] = list(model._default_manager.order_by("pk").values())
    return rows


# Fixtures are made once per test, not per example; that is safe only because
# every example runs in `rolled_back()`, which resets the database to them.
RESET_PER_EXAMPLE = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

# Every character str.split()/strip() treats as whitespace, and some it does not.
WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u3000"
# Zero-width, byte-order mark, right-to-left override, an emoji with a combining mark.
ODD = "\u200b\ufeff\u202e\U0001f600\u0301"


def _padded(parts: tuple[str, ...]) -> str:
    # Long enough to pass a minimum length, so the odd character reaches the database.
    return "Plain words " + "".join(parts) + " more words"


def texts(max_length: int = 100) -> st.SearchStrategy[str]:
    """Text as a form or a command could hand it over, and worse.

    Any Unicode but surrogates (a form's UTF-8 cannot carry them; see
    `json_texts`), NUL bytes (forms refuse them, PostgreSQL cannot store
    them), whitespace only, lengths around the limit, and a megabyte.
    """
    unicode = st.text(st.characters(codec="utf-8"), max_size=40)
    around_limit = st.integers(max(max_length - 2, 0), max_length + 2)
    return st.one_of(
        unicode,
        st.text(st.sampled_from(WHITESPACE), max_size=8),
        st.tuples(unicode, st.just("\x00"), unicode).map(_padded),
        st.tuples(unicode, st.sampled_from(ODD), unicode).map(_padded),
        around_limit.map(lambda n: "a" * n),
        around_limit.map(lambda n: " " + "é" * n + "\t"),
        st.just(1_000_000).map(lambda n: "x" * n),  # built, so its repr stays short
    )


def json_texts(max_length: int = 100) -> st.SearchStrategy[str]:
    """Text a JSON document can carry: all of `texts`, and lone surrogates ("\\ud800")."""
    lone = st.sampled_from(["\ud800", "\udfff", "a\udc80b"])
    return texts(max_length) | st.tuples(texts(20), lone).map(_padded)


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    json_texts(20),
)
json_values = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=8,
)

numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1, 10**30]),
)

dates = st.one_of(
    st.dates(),
    st.sampled_from([dt.date.min, dt.date.max, dt.date(1970, 1, 1), dt.date(2000, 2, 29)]),
)


def check_refusal_writes_nothing(
    call: Callable[[], Any],
    *,
    tables: Iterable[type[models.Model]],
    tenants: Iterable[Tenant],
    refusals: tuple[type[BaseException], ...] = (),
) -> Any:
    """Call a service once: it succeeds, or refuses with ValidationError (or one of
    `refusals`, the domain errors its views turn into a 4xx) having written nothing.

    Runs in a savepoint that is rolled back either way, so the next example
    starts from the same rows; the "nothing written" comparison happens inside
    it, before the rollback could hide a write.
    """
    tables, tenants = list(tables), list(tenants)
    with rolled_back():
        before = snapshot(tables, tenants)
        try:
            return call()
        except (ValidationError, *refusals):
            assert snapshot(tables, tenants) == before, "refused, but rows changed"
            return None


def propose(
    customer: Customer, *, workflow_trigger: str | None = None, **values: object
) -> list[Proposal]:
    """A pending batch for `customer`, as the assistant makes one."""
    edits = [
        crm.ProfileEditInput(field_key=k, proposed_value=v, source_text=f"{k}: {v}")
        for k, v in values.items()
    ]
    with tenant_context(customer.tenant_id):
        return crm.artifact_create_batch(
            customer=customer,
            edits=edits,
            created_by_type=CreatorType.AGENT,
            created_by_id="fuzz",
            workflow_trigger=workflow_trigger,
        )
