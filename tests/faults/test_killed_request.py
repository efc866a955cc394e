"""A batch accept whose connection is killed between its writes leaves all or nothing.

The test parks the request at an exact point: a trigger on the customer
table waits for an advisory lock the test holds, so the request stops after
it has updated the proposals' statuses and before it writes the profile.
The test then terminates that backend from PostgreSQL (pg_terminate_backend,
what an operator, a failover or an OOM kill does) and checks that the person
got an error page at once, that nothing of the batch was kept, and that
trying again decides the whole batch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from crm_artifacts import views as crm_views
from crm_artifacts.models import Customer, Proposal
from tenancy.roles import new_owner_connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.single_node(
        "the gate is an advisory lock held on the coordinator, while on Citus the write's "
        "trigger runs on a worker, whose locks are its own"
    ),
]

# Any number nobody else locks; the trigger waits on it while the test holds it.
GATE = 7_000_006
WAIT_SECONDS = 15


@pytest.fixture
def customer_writes_wait(transactional_db) -> Iterator[None]:
    """Every UPDATE of a customer row waits until the test releases the gate."""
    table = Customer._meta.db_table
    # Triggers are the owner's to create; the serving role may not.
    with new_owner_connection() as owner, owner.cursor() as cursor:
        cursor.execute(
            f"""CREATE FUNCTION faults_gate() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock({GATE});
                RETURN NEW;
            END $$"""
        )
        cursor.execute(
            f"CREATE TRIGGER faults_gate BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION faults_gate()"
        )
    try:
        yield
    finally:
        with new_owner_connection() as owner, owner.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS faults_gate ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS faults_gate()")


def open_gate() -> None:
    with new_owner_connection() as owner, owner.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS faults_gate ON {Customer._meta.db_table}")


def backend_waiting_at_the_gate() -> int:
    """The pid of the request's backend once it waits on the gate (fails after a while)."""
    deadline = time.monotonic() + WAIT_SECONDS
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' "
                "AND wait_event = 'advisory'"
            )
            rows = cursor.fetchall()
            if rows:
                assert len(rows) == 1, rows
                return rows[0][0]
            time.sleep(0.05)
    raise AssertionError("the batch accept never reached the profile write")


def held_locks(pid: int, table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT mode FROM pg_locks WHERE pid = %s AND relation = %s::regclass AND granted",
            [pid, table],
        )
        return {row[0] for row in cursor.fetchall()}


def test_batch_accept_killed_between_its_writes_keeps_nothing_and_a_retry_succeeds(
    bob, customer, make_batch, client_for, reload, customer_writes_wait
):
    batch = make_batch(customer, email="jane@new.example", occupation="Architect", dependents=2)
    profile_before = reload(customer).profile
    url = f"/crm/batches/{batch[0].batch_id}/accept/"
    # The person's browser: errors come back as the page they would see, not a raise.
    client = client_for(bob)
    client.raise_request_exception = False
    outcome: dict[str, Any] = {}
    retry = threading.Event()

    def clicks() -> None:
        # The same thread (so the same Django connection object) clicks again
        # after the failure: the dead connection must not stick.
        try:
            outcome["first"] = client.post(url)
            outcome["answered_at"] = time.monotonic()
            retry.wait(WAIT_SECONDS)
            outcome["retry"] = client.post(url, follow=True)
        finally:
            connection.close()

    # Held on a direct connection of its own: behind a transaction pooler the
    # test's own connection may hand its server session (and a session lock on
    # it) to the very request that should wait.
    gate = new_owner_connection()
    gate.execute("SELECT pg_advisory_lock(%s)", [GATE])
    try:
        thread = threading.Thread(target=clicks)
        thread.start()
        pid = backend_waiting_at_the_gate()
        # It is between its writes: the statuses' UPDATE has run (RowExclusiveLock
        # on the proposals), the profile's is the one waiting.
        assert "RowExclusiveLock" in held_locks(pid, Proposal._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0] is True
        killed_at = time.monotonic()
        deadline = killed_at + WAIT_SECONDS
        while "first" not in outcome and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        gate.execute("SELECT pg_advisory_unlock(%s)", [GATE])
        gate.close()

    # An error page at once, not a hang and not a traceback.
    first = outcome.get("first")
    assert first is not None, "the killed request never answered"
    assert outcome["answered_at"] - killed_at < 5
    assert first.status_code == 500
    assert "Something went wrong" in first.content.decode()
    assert "Traceback" not in first.content.decode()
    # All or nothing: the statuses written before the kill were rolled back with it.
    assert [reload(a).status for a in batch] == ["pending"] * 3
    assert reload(customer).profile == profile_before

    open_gate()
    retry.set()
    thread.join(WAIT_SECONDS)
    assert not thread.is_alive(), "the retry hung"
    again = outcome["retry"]
    assert again.status_code == 200
    assert crm_views.BATCH_ACCEPTED.format(count=3) in again.content.decode()
    assert [reload(a).status for a in batch] == ["accepted"] * 3
    profile = reload(customer).profile
    assert (profile["email"], profile["occupation"], profile["dependents"]) == (
        "jane@new.example",
        "Architect",
        2,
    )
