"""Error reports carry the tenant and user ids as tags and no personal data."""

from __future__ import annotations

import json

import pytest

from config.logs import request_context
from config.sentry import scrub_event

SECRETS = ["alice@acme.test", "Alice Archer", "Zanzibar Airlines", "sessionid=abc", "hunter2"]


def event() -> dict:
    """An event as sentry-sdk's Django integration builds it, full of personal data."""
    return {
        "message": "profile of alice@acme.test",
        "logentry": {"message": "profile of %s: %s", "params": ["alice@acme.test", "hunter2"]},
        "user": {"id": "7", "email": "alice@acme.test", "ip_address": "203.0.113.9"},
        "request": {
            "method": "POST",
            "url": "https://skills.example.com/crm/customers/4/notes/?email=alice@acme.test",
            "query_string": "email=alice@acme.test",
            "data": {"notes": "Works at Zanzibar Airlines", "password": "hunter2"},
            "cookies": {"sessionid": "abc"},
            "headers": {"Cookie": "sessionid=abc", "User-Agent": "Alice Archer's laptop"},
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
        "extra": {"profile": {"fullName": "Alice Archer"}},
        "breadcrumbs": {"values": [{"message": "SELECT ... 'alice@acme.test'"}]},
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": "Key (email)=(alice@acme.test) already exists.",
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "customer_update",
                                "vars": {"profile": {"employer": "Zanzibar Airlines"}},
                            }
                        ]
                    },
                }
            ]
        },
        "threads": {"values": [{"stacktrace": {"frames": [{"vars": {"pw": "hunter2"}}]}}]},
    }


@pytest.fixture
def in_request():
    """Inside a request of user 7 of tenant 3, as the logging middleware records it."""
    token = request_context.set({"request_id": "r1", "tenant_id": 3, "user_id": 7})
    yield
    request_context.reset(token)


def test_scrubbing_keeps_no_personal_data_or_profile_values(in_request):
    scrubbed = scrub_event(event(), {})
    text = json.dumps(scrubbed)
    assert not [s for s in SECRETS if s in text], text
    assert "203.0.113.9" not in text


def test_scrubbing_keeps_what_an_operator_needs(in_request):
    scrubbed = scrub_event(event(), {})
    assert scrubbed["tags"] == {"request_id": "r1", "tenant_id": "3", "user_id": "7"}
    assert scrubbed["user"] == {"id": "7"}
    assert scrubbed["request"] == {
        "method": "POST",
        "url": "https://skills.example.com/crm/customers/4/notes/",
    }
    [exception] = scrubbed["exception"]["values"]
    assert exception["type"] == "IntegrityError"
    assert exception["stacktrace"]["frames"][0]["function"] == "customer_update"
    assert scrubbed["logentry"] == {"message": "profile of %s: %s"}


def test_an_event_outside_a_request_has_no_user():
    assert scrub_event(event(), None)["user"] == {}


def test_sentry_is_initialised_with_the_scrubber(monkeypatch):
    import sentry_sdk

    from config.sentry import init_sentry

    seen = {}
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: seen.update(options))
    init_sentry(dsn="https://key@sentry.example.test/1", environment="production")
    assert seen["before_send"] is scrub_event
    assert seen["send_default_pii"] is False
    assert seen["include_local_variables"] is False
