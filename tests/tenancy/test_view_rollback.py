"""A view that raises writes nothing, and its error page still reads in the tenant.

The request's transaction has no savepoint around the view (ATOMIC_REQUESTS is
off, tenancy/transactions.py): RollbackViewErrorMiddleware rolls the
transaction back to where the request began. Each case runs twice: with the
request beginning the transaction, as on a server, and inside a test's
transaction, where it goes back to the tenant context's savepoint.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

from config.errors import Conflict, show_refusals_with
from skills.models import Skill
from tenancy.models import Tenant
from tests.factories import SkillFactory
from tests.utils import sent_messages

WRITTEN = "Written by the failing view"
commit_callbacks: list[str] = []


def _write(request: HttpRequest) -> None:
    SkillFactory(author=request.user, name=WRITTEN)
    transaction.on_commit(lambda: commit_callbacks.append(request.path))


def refuse_after_writing(request: HttpRequest) -> HttpResponse:
    def renderer(request: HttpRequest, error: Exception) -> HttpResponse:
        # Reads the tenant's skills after the rollback: what the database holds.
        names = sorted(Skill.objects.values_list("name", flat=True))
        return HttpResponse(f"{error} | skills: {', '.join(names)}")

    show_refusals_with(request, renderer)
    _write(request)
    raise Conflict("Someone else changed it first.")


def crash_after_writing(request: HttpRequest) -> HttpResponse:
    _write(request)
    raise RuntimeError("a bug")


def database_error_after_writing(request: HttpRequest) -> HttpResponse:
    _write(request)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 / 0")  # the transaction is now aborted
    return HttpResponse("unreachable")


def anonymous_write_then_crash(request: HttpRequest) -> HttpResponse:
    Tenant.objects.create(name=WRITTEN, slug="written-by-failing-view")
    raise RuntimeError("a bug")


def write_and_answer(request: HttpRequest) -> HttpResponse:
    _write(request)
    return HttpResponse("written")


urlpatterns = [
    path("refuse/", refuse_after_writing),
    path("crash/", crash_after_writing),
    path("database-error/", database_error_after_writing),
    path("anonymous-crash/", anonymous_write_then_crash),
    path("write/", write_and_answer),
    path("", include("config.urls")),
]


SERVER = "request begins the transaction"


@pytest.fixture(
    params=[
        pytest.param(SERVER, marks=pytest.mark.django_db(transaction=True)),
        pytest.param("inside a test's transaction", marks=pytest.mark.django_db),
    ]
)
def database(request):
    """Both places a request's transaction can begin."""
    commit_callbacks.clear()
    with override_settings(ROOT_URLCONF=__name__):
        yield request.param


def _skill_names(in_tenant, user) -> list[str]:
    with in_tenant(user):
        return sorted(Skill.objects.values_list("name", flat=True))


def test_a_refused_view_writes_nothing_and_its_page_reads_the_tenant(database, alice, in_tenant):
    SkillFactory(author=alice, name="Already there")
    client = Client()
    client.force_login(alice)

    response = client.get("/refuse/")

    assert response.status_code == 409
    assert response.text == "Someone else changed it first. | skills: Already there"
    assert _skill_names(in_tenant, alice) == ["Already there"]
    assert commit_callbacks == []


@pytest.mark.parametrize("url", ["/crash/", "/database-error/"])
def test_a_view_that_fails_writes_nothing_and_the_next_request_works(
    database, alice, in_tenant, url
):
    client = Client(raise_request_exception=False)
    client.force_login(alice)

    failed = client.get(url)
    after = client.get("/write/")

    assert failed.status_code == 500
    assert after.status_code == 200
    assert _skill_names(in_tenant, alice) == [WRITTEN]  # the second request's only
    # Inside a test's transaction nothing commits; on a server only the second does.
    assert commit_callbacks == (["/write/"] if database == SERVER else [])


def test_an_anonymous_view_that_fails_writes_nothing(database):
    response = Client(raise_request_exception=False).get("/anonymous-crash/")

    assert response.status_code == 500
    assert not Tenant.objects.filter(name=WRITTEN).exists()


@pytest.mark.django_db(transaction=True)
def test_a_page_that_succeeds_sends_no_savepoint(alice):
    """Two round trips a request saved: the view runs in the request's transaction itself."""
    client = Client()
    client.force_login(alice)

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/skills/")

    assert response.status_code == 200
    statements = [query["sql"] for query in captured.captured_queries]
    assert not [sql for sql in statements if "SAVEPOINT" in sql.upper()], statements


@pytest.mark.django_db(transaction=True)
def test_a_request_begins_its_transaction_with_its_tenant_in_one_query(alice, in_tenant):
    """BEGIN goes with the tenant's SET LOCAL (tenancy.context.begin_in_tenant): one
    wait, not two; the write commits, its callback runs, and afterwards Django and
    psycopg agree that the connection is back in autocommit."""
    commit_callbacks.clear()
    client = Client()
    client.force_login(alice)
    connection.ensure_connection()
    with override_settings(ROOT_URLCONF=__name__):
        sent = sent_messages(lambda: client.get("/write/"))

    queries = [text for kind, text in sent if kind == b"Query"]
    assert f"BEGIN; SET LOCAL app.current_tenant_id = '{alice.tenant_id}'".encode() in b"".join(
        queries
    )
    assert not [text for text in queries if text.strip() == b'"BEGIN"'], queries
    assert _skill_names(in_tenant, alice) == [WRITTEN]
    assert commit_callbacks == ["/write/"]
    assert connection.get_autocommit()
    assert connection.connection.autocommit
