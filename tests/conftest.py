"""Personas for every test: alice owns things, bob is her teammate at Acme,
carol is the outsider at Globex. Apps add their own fixtures beside their tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import psycopg
import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client

from config.database import OWNER_ALIAS
from tenancy.context import tenant_context
from tenancy.models import Tenant, User
from tenancy.roles import new_owner_connection
from tests.factories import TenantFactory, UserFactory
from tests.mail import Inbox, start_smtp_server

# pytest-playwright's sync API keeps an event loop in the test thread; Django
# refuses ORM calls there unless this is set (browser tests only need it, but
# it must be set before Django first checks it).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On Citus (tools/citus.py sets CITUS=1) skip the few tests that are single-node
    by nature, each with its reason; -ra prints them at the end of the run."""
    if not os.environ.get("CITUS"):
        return
    for item in items:
        marker = item.get_closest_marker("single_node")
        if marker is not None:
            item.add_marker(pytest.mark.skip(reason=f"single node only: {marker.args[0]}"))


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker) -> Iterator[None]:
    """The test database as production has it: made and migrated by the owner role,
    used by the serving role (config/database.py).

    pytest-django's own fixture would create and migrate it as "default", the
    serving role, which may create nothing.
    """
    from django.test.utils import setup_databases, teardown_databases

    verbosity = request.config.option.verbose
    # --reuse-db keeps the test database: `make test-citus` prepares it on every
    # node beforehand (Django could create it on the coordinator only).
    keepdb = request.config.getvalue("reuse_db")
    with django_db_blocker.unblock():
        created = setup_databases(
            verbosity=verbosity,
            interactive=False,
            keepdb=keepdb,
            aliases={OWNER_ALIAS},
            serialized_aliases=set(),
        )
        connections["default"].creation.set_as_test_mirror(connections[OWNER_ALIAS].settings_dict)
        connections["default"].close()
    yield
    with django_db_blocker.unblock():
        connections.close_all()
        teardown_databases(created, verbosity=verbosity, keepdb=keepdb)


@pytest.fixture
def owner_connection(django_db_blocker) -> Iterator[psycopg.Connection]:
    """A psycopg connection of the owner role, for tests that change the schema on
    purpose. Autocommit and outside the test's transaction: undo what you change."""
    with django_db_blocker.unblock():
        owner = new_owner_connection()
        try:
            yield owner
        finally:
            owner.close()


@pytest.fixture
def owner_transaction(owner_connection) -> Iterator[psycopg.Connection]:
    """The owner's connection inside a transaction rolled back at the end: for a
    test that breaks the schema on purpose and audits it on that connection."""
    owner_connection.autocommit = False
    try:
        yield owner_connection
    finally:
        owner_connection.rollback()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def acme(db) -> Tenant:
    return TenantFactory(name="Acme", slug="acme")


@pytest.fixture
def globex(db) -> Tenant:
    return TenantFactory(name="Globex", slug="globex")


@pytest.fixture
def alice(acme) -> User:
    return UserFactory(email="alice@acme.test", display_name="Alice Archer", tenant=acme)


@pytest.fixture
def bob(acme) -> User:
    return UserFactory(email="bob@acme.test", display_name="Bob Baker", tenant=acme)


@pytest.fixture
def carol(globex) -> User:
    return UserFactory(email="carol@globex.test", display_name="Carol Chen", tenant=globex)


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    """A signed-in test client per user: `client_for(alice).get(...)`."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def alice_client(client_for, alice) -> Client:
    return client_for(alice)


@pytest.fixture
def in_tenant() -> Callable[[Tenant | User], object]:
    """`with in_tenant(alice):` reads and writes as alice's tenant in a test body."""

    def enter(who: Tenant | User):
        return tenant_context(who.tenant_id if isinstance(who, User) else who)

    return enter


@pytest.fixture
def demo(settings) -> None:
    """The demo data `make run` loads (seed_demo): the four personas and their pages."""
    settings.DEBUG = True  # seed_demo refuses to run in production
    call_command("seed_demo")
    settings.DEBUG = False


@pytest.fixture
def acme_context(acme) -> Iterator[None]:
    with tenant_context(acme):
        yield


@pytest.fixture
def mailbox(settings) -> Iterator[Inbox]:
    """A local SMTP server the app sends to (settings as EMAIL_URL=smtp://127.0.0.1:PORT
    makes them); the test reads the messages that arrived."""
    controller, inbox = start_smtp_server()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        yield inbox
    finally:
        controller.stop()
