"""Prepared reads (tenancy/prepared.py): compiled once per process, run with each call's
values and each call's tenant. The tenant is never a constant of the cached SQL, a
read run in one tenant never shows another's rows, and a read that cannot be
prepared as written is refused at its first call, not run in the wrong shape."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections
from django.db.models import Count, Q, QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from skills.models import Skill
from tenancy.context import tenant_context
from tenancy.models import TenantContextMissing
from tenancy.prepared import PreparedReadError, prepared, stand_in
from tests.factories import SkillFactory, UserFactory
from tests.utils import count_waits

pytestmark = pytest.mark.django_db

builds = []


@prepared(author_id=int)
def skills_by(author_id: int) -> QuerySet[Skill]:
    builds.append(author_id)
    return Skill.objects.filter(author_id=author_id).select_related("author").order_by("name")


def test_rows_are_the_querysets_and_the_read_is_built_once(alice, bob, in_tenant):
    SkillFactory(author=alice, name="Budgets")
    SkillFactory(author=alice, name="Audits")
    SkillFactory(author=bob, name="Contracts")
    with in_tenant(alice):
        for user in (alice, bob, alice):
            rows = skills_by(author_id=user.pk)
            assert rows == list(skills_by.queryset(author_id=user.pk))
            assert all(row.author == user for row in rows)  # select_related kept
        assert [s.name for s in skills_by(author_id=alice.pk)] == ["Audits", "Budgets"]
    assert len([b for b in builds if b > 0]) == 3  # the three .queryset() calls
    assert len([b for b in builds if b < 0]) <= 1  # and one build with placeholders


def test_the_cached_sql_names_no_tenant_and_each_call_runs_in_its_own(alice, carol, in_tenant):
    SkillFactory(author=alice, name="Acme's")
    SkillFactory(author=carol, name="Globex's")
    with in_tenant(alice):
        assert [s.name for s in skills_by(author_id=alice.pk)] == ["Acme's"]
    compiled = skills_by._compiled
    assert alice.tenant_id not in compiled.params
    with in_tenant(carol), CaptureQueriesContext(connection) as queries:
        assert [s.name for s in skills_by(author_id=carol.pk)] == ["Globex's"]
    assert skills_by._compiled is compiled  # not compiled again for the second tenant
    (sql,) = [q["sql"] for q in queries.captured_queries]
    assert f'"skills_skill"."tenant_id" = {carol.tenant_id}' in sql
    assert f"= {alice.tenant_id} " not in sql


def test_an_argument_naming_another_tenants_row_shows_nothing(alice, carol, in_tenant):
    SkillFactory(author=carol)
    with in_tenant(alice):
        assert skills_by(author_id=carol.pk) == []


def test_outside_any_tenant_context_it_raises_as_a_query_would(alice):
    SkillFactory(author=alice)
    with pytest.raises(TenantContextMissing, match=r"skills\.Skill"):
        skills_by(author_id=alice.pk)


def test_in_production_outside_any_context_it_fails_closed(alice, settings):
    SkillFactory(author=alice)
    settings.TENANCY_STRICT = False
    assert skills_by(author_id=alice.pk) == []


@pytest.mark.parametrize("value", [None, True, "1", 1.0, [1]])
def test_a_value_of_another_kind_is_refused_before_any_query(alice, in_tenant, value):
    with (
        in_tenant(alice),
        CaptureQueriesContext(connection) as queries,
        pytest.raises(PreparedReadError, match="author_id must be int"),
    ):
        skills_by(author_id=value)
    assert queries.captured_queries == []


def test_missing_or_extra_arguments_are_refused(alice, in_tenant):
    with in_tenant(alice), pytest.raises(PreparedReadError, match="author_id"):
        skills_by(author=alice.pk)


def test_grouped_counts_read_what_aggregate_would(alice, bob, in_tenant):
    @prepared(tenant_id=int, author_id=int)
    def counts(tenant_id: int, author_id: int) -> QuerySet:
        return (
            Skill.objects.filter(tenant_id=tenant_id)
            .order_by()
            .values("tenant_id")
            .annotate(total=Count("id"), mine=Count("id", filter=Q(author_id=author_id)))
        )

    SkillFactory(author=alice)
    SkillFactory(author=bob)
    with in_tenant(alice):
        (row,) = counts(tenant_id=alice.tenant_id, author_id=alice.pk)
        expected = Skill.objects.for_tenant(alice.tenant_id).aggregate(
            total=Count("id"), mine=Count("id", filter=Q(author=alice))
        )
        assert (row["total"], row["mine"]) == (expected["total"], expected["mine"]) == (2, 1)


def test_reads_that_cannot_be_prepared_are_refused_at_the_first_call(alice, in_tenant):
    @prepared(name=str)
    def transformed(name: str) -> QuerySet:
        return Skill.objects.filter(name__icontains=name)

    @prepared(limit=int)
    def sliced(limit: int) -> QuerySet:
        return Skill.objects.order_by("pk")[:limit]

    @prepared(author_id=int)
    def inlined(author_id: int) -> QuerySet:
        return Skill.objects.extra(where=[f"author_id = {author_id}"])

    @prepared()
    def frozen_now() -> QuerySet:
        return Skill.objects.filter(created_at__lte=timezone.now())

    @prepared(author_id=int)
    def counted(author_id: int) -> int:
        return Skill.objects.filter(author_id=author_id).count()

    @prepared(user_id=int, tenant_id=int)
    def through_a_related_manager(user_id: int, tenant_id: int) -> QuerySet:
        return stand_in(user_id, tenant_id).skills.all()

    with in_tenant(alice):
        with pytest.raises(PreparedReadError, match="not a related manager"):
            through_a_related_manager(user_id=alice.pk, tenant_id=alice.tenant_id)
        with pytest.raises(PreparedReadError, match="do not reach the SQL as bound"):
            transformed(name="budget")
        # A slice is written into the SQL; Django refuses the negative placeholder.
        with pytest.raises(ValueError, match="Negative indexing"):
            sliced(limit=5)
        with pytest.raises(PreparedReadError, match="written into the SQL"):
            inlined(author_id=alice.pk)
        with pytest.raises(PreparedReadError, match="constant of the prepared SQL"):
            frozen_now()
        with pytest.raises(PreparedReadError, match="must return a QuerySet"):
            counted(author_id=alice.pk)


def test_a_time_passed_as_an_argument_is_bound(alice, in_tenant):
    @prepared(before=datetime)
    def made_before(before: datetime) -> QuerySet:
        return Skill.objects.filter(created_at__lt=before).order_by("pk")

    SkillFactory(author=alice)
    with in_tenant(alice):
        assert made_before(before=datetime(2000, 1, 1, tzinfo=UTC)) == []
        assert len(made_before(before=timezone.now())) == 1
        with pytest.raises(PreparedReadError, match="aware"):
            made_before(before=datetime(2000, 1, 1))


@pytest.mark.django_db(transaction=True)
def test_threads_each_run_it_on_their_own_connection_and_tenant(acme, globex):
    """Gunicorn's threads share the compiled read; each runs it in its own request's
    transaction and tenant (the compiler built in one thread holds that thread's
    connection, which must never be used by another)."""
    authors = {acme.pk: UserFactory(tenant=acme), globex.pk: UserFactory(tenant=globex)}
    for tenant_id, author in authors.items():
        with tenant_context(tenant_id):
            SkillFactory.create_batch(3 if tenant_id == acme.pk else 2, author=author)
    seen: dict[int, set[int]] = {acme.pk: set(), globex.pk: set()}
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def run(tenant_id: int) -> None:
        try:
            start.wait()
            for _ in range(20):
                with tenant_context(tenant_id):
                    rows = skills_by(author_id=authors[tenant_id].pk)
                seen[tenant_id].add(len(rows))
                assert {row.tenant_id for row in rows} == {tenant_id}
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(t,)) for t in (acme.pk, globex.pk) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert seen == {acme.pk: {3}, globex.pk: {2}}


def test_every_prepared_read_of_the_apps_takes_its_tenant_per_call(acme):
    """Each app's prepared reads compile with the tenant as a bound parameter (the
    active tenant, or a tenant_id argument), so Citus routes them to one shard and
    no cached statement carries a tenant of its own."""
    import importlib

    from tenancy import prepared as module

    for app in ("portfolio", "skills", "messaging", "workshops", "crm_artifacts"):
        importlib.import_module(f"{app}.selectors")
    reads = [r for r in module.REGISTRY if not r.__module__.startswith("tests.")]
    assert len(reads) >= 12
    for read in reads:
        read._compiled = None  # compiled afresh, as a first call inside a request would be
        with tenant_context(acme):
            compiled = read._compile()
        arguments = {name for _, name in compiled.arguments}
        assert module._TENANT_ARGUMENT in arguments or "tenant_id" in arguments, read
        assert not [p for p in compiled.params if type(p) is int and p == acme.pk], read


@prepared(author_id=int, paged=True)
def skills_page(author_id: int) -> QuerySet[Skill]:
    return Skill.objects.filter(author_id=author_id).order_by("name", "pk")


def test_a_paged_read_binds_its_limit_and_offset(alice, in_tenant):
    for n in range(7):
        SkillFactory(author=alice, name=f"Skill {n}")
    with in_tenant(alice):
        everything = list(skills_page.queryset(author_id=alice.pk))
        for limit, offset in [(3, 0), (3, 3), (3, 6), (10, 0), (2, 9)]:
            rows = skills_page(author_id=alice.pk, limit=limit, offset=offset)
            assert rows == everything[offset : offset + limit]
        with pytest.raises(PreparedReadError, match="limit >= 1"):
            skills_page(author_id=alice.pk, limit=0, offset=0)
        with pytest.raises(PreparedReadError, match="limit"):
            skills_page(author_id=alice.pk)


def test_django_paginates_prepared_pages_as_it_does_a_queryset(alice, in_tenant):
    from django.core.paginator import Paginator

    from tenancy.prepared import PreparedPages

    for n in range(7):
        SkillFactory(author=alice, name=f"Skill {n}")
    with in_tenant(alice):
        prepared_pages = PreparedPages(
            total=lambda: 7,
            rows=lambda limit, offset: skills_page(author_id=alice.pk, limit=limit, offset=offset),
        )
        queryset = skills_page.queryset(author_id=alice.pk)
        for number in (1, 2, 3, 4, "x", None, -1):  # past the end, not a number: as Django
            page = Paginator(prepared_pages, 3).get_page(number)
            expected = Paginator(queryset, 3).get_page(number)
            assert (page.number, list(page)) == (expected.number, list(expected))
            assert page.has_next() == expected.has_next()
        empty = PreparedPages(total=lambda: 0, rows=lambda limit, offset: pytest.fail("read"))
        assert list(Paginator(empty, 3).get_page(1)) == []  # nothing read for an empty list


def test_a_paged_read_must_not_slice_itself(alice, in_tenant):
    @prepared(paged=True)
    def sliced() -> QuerySet:
        return Skill.objects.order_by("pk")[:5]

    with in_tenant(alice), pytest.raises(PreparedReadError, match="not sliced"):
        sliced(limit=5, offset=0)


# Digested reads: known by a digest PostgreSQL computes over the rows, read only when
# iterated, with the digest of exactly the rows read (ui/fragments.FragmentKey).


def test_a_digest_counts_without_reading_and_reading_gives_the_same_rows(alice, in_tenant):
    SkillFactory(author=alice, name="Budgets")
    SkillFactory(author=alice, name="Audits")
    with in_tenant(alice):
        with CaptureQueriesContext(connection) as queries:
            rows = skills_by.digested(author_id=alice.pk)
            assert len(rows) == 2
            assert rows
        assert len(queries) == 1  # the count and the digest, no row sent
        before = rows.digest
        with CaptureQueriesContext(connection) as queries:
            assert [s.name for s in rows] == ["Audits", "Budgets"]
            assert rows[0].author == alice  # select_related kept
        assert len(queries) == 1  # the rows and their digest in one statement
        assert rows.digest == before  # unchanged rows, the same digest
        assert list(rows) == skills_by(author_id=alice.pk)


def test_any_change_to_what_the_rows_show_changes_the_digest(alice, bob, in_tenant):
    budgets = SkillFactory(author=alice, name="Budgets")
    with in_tenant(alice):

        def digest() -> str:
            return skills_by.digested(author_id=alice.pk).digest

        seen = {digest()}
        Skill.objects.filter(pk=budgets.pk).update(name="Budgeting")
        seen.add(digest())
        Skill.objects.filter(pk=budgets.pk).update(name="Budgeting")  # the same again
        assert digest() in seen
        type(alice).objects.filter(pk=alice.pk).update(display_name="Alicia")  # a joined row
        seen.add(digest())
        SkillFactory(author=alice, name="Audits")  # a row more
        seen.add(digest())
        Skill.objects.filter(pk=budgets.pk).delete()  # a row less
        seen.add(digest())
        assert len(seen) == 5
        empty = skills_by.digested(author_id=bob.pk)
        assert not empty
        assert list(empty) == []
        assert empty.digest == skills_by.digested(author_id=bob.pk).digest


def test_rows_changed_after_the_digest_carry_their_own_digest(alice, in_tenant):
    budgets = SkillFactory(author=alice, name="Budgets")
    with in_tenant(alice):
        rows = skills_by.digested(author_id=alice.pk)
        looked_up = rows.digest
        # Another request renames it between the digest and the read.
        Skill.objects.filter(pk=budgets.pk).update(name="Budgeting")
        assert [s.name for s in rows] == ["Budgeting"]
        assert rows.digest != looked_up
        assert rows.digest == skills_by.digested(author_id=alice.pk).digest


def test_a_digested_read_cannot_prefetch(alice, in_tenant):
    @prepared(author_id=int)
    def with_children(author_id: int) -> QuerySet[Skill]:
        return Skill.objects.filter(author_id=author_id).prefetch_related("children")

    with in_tenant(alice):
        assert with_children(author_id=alice.pk) == []  # prefetching is fine undigested
        with pytest.raises(PreparedReadError, match="cannot prefetch"):
            with_children.digested(author_id=alice.pk)


def test_a_digested_page_is_djangos_page_with_its_total_in_the_digest_statement(
    alice, bob, in_tenant
):
    from django.core.paginator import Paginator

    from tenancy.prepared import digested_page

    for n in range(7):
        SkillFactory(author=alice, name=f"Skill {n}")
    with in_tenant(alice):
        queryset = skills_page.queryset(author_id=alice.pk)
        for number in (1, 2, 3, "3", 4, "x", None, -1, 0):  # as Django pages a queryset
            with CaptureQueriesContext(connection) as queries:
                page = digested_page(skills_page, number, 3, author_id=alice.pk)
                assert page.paginator.count == 7
            in_range = number in (1, 2, 3, "3", "x", None)
            assert len(queries) == (1 if in_range else 2)  # past the end: the last page too
            expected = Paginator(queryset, 3).get_page(number)
            assert (page.number, list(page)) == (expected.number, list(expected))
            assert page.has_next() == expected.has_next()
        empty = digested_page(skills_page, 1, 3, author_id=bob.pk)
        assert (empty.number, list(empty), empty.paginator.count) == (1, [], 0)


def test_a_digest_can_count_the_rows_with_a_value_in_the_same_statement(alice, in_tenant):
    SkillFactory(author=alice, name="Budgets")
    SkillFactory(author=alice, name="Audits")
    with in_tenant(alice), CaptureQueriesContext(connection) as queries:
        rows = skills_by.digested(author_id=alice.pk, count_if=("name", "Budgets"))
        assert (rows.counted, len(rows)) == (1, 2)
        assert skills_by.digested(author_id=alice.pk).counted is None
    assert len(queries) == 2  # one statement each, no row read


def test_several_digests_run_as_one_statement(alice, bob, in_tenant):
    from tenancy.prepared import run_digests

    SkillFactory(author=alice, name="Budgets")
    SkillFactory(author=bob, name="Contracts")
    with in_tenant(alice):
        alone = [skills_by.digested(author_id=user.pk) for user in (alice, bob)]
        together = [skills_by.digested(author_id=user.pk, run=False) for user in (alice, bob)]
        with CaptureQueriesContext(connection) as queries:
            run_digests(*together)
        assert len(queries) == 1
        assert [rows.digest for rows in together] == [rows.digest for rows in alone]
        assert [len(rows) for rows in together] == [1, 1]
        assert [s.name for s in together[1]] == ["Contracts"]


class _Failing:
    """A statement that fails when PostgreSQL runs it, in read_together's protocol."""

    db = "default"
    statement = ("SELECT 1 / 0", ())

    def take(self, fetched):  # pragma: no cover - never reached
        return fetched


def test_reads_run_together_give_what_each_gives_alone_in_one_round_trip(
    alice, bob, carol, in_tenant
):
    from tenancy.prepared import read_together

    SkillFactory(author=alice, name="Budgets")
    SkillFactory(author=bob, name="Contracts")
    SkillFactory(author=carol, name="Globex only")
    with in_tenant(alice):
        alone = [skills_by(author_id=alice.pk), skills_by.digested(author_id=bob.pk)]
        connection.ensure_connection()
        together: list = []
        waits = count_waits(
            lambda: together.extend(
                read_together(
                    skills_by.bound(author_id=alice.pk),
                    skills_by.digested(author_id=bob.pk, run=False),
                    skills_by.bound(author_id=carol.pk),  # another tenant's: RLS, no row
                )
            )
        )
        assert waits == 1
        # In turn, each waits at least once (preparing a statement may add one).
        assert count_waits(lambda: [skills_by(author_id=alice.pk) for _ in range(3)]) >= 3
        assert together[0] == alone[0]
        assert together[0][0].author == alice  # select_related rows built too
        assert together[1].digest == alone[1].digest
        assert len(together[1]) == 1
        assert [s.name for s in together[1]] == ["Contracts"]
        assert together[2] == []


def test_a_failing_read_run_together_raises_djangos_error_and_the_connection_goes_on(
    alice, in_tenant
):
    from django.db import DatabaseError, transaction

    from tenancy.prepared import read_together

    SkillFactory(author=alice, name="Budgets")
    with in_tenant(alice):
        with pytest.raises(DatabaseError, match="division by zero"), transaction.atomic():
            read_together(skills_by.bound(author_id=alice.pk), _Failing())
        assert [s.name for s in skills_by(author_id=alice.pk)] == ["Budgets"]
