from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import clear_url_caches

import config.urls
from loadtest.views import ADDED_AT_REQUEST_TIME

pytestmark = pytest.mark.django_db

URL = "/loadtest/fortunes/"


def _reload_urls() -> None:
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def baseline_on() -> Iterator[None]:
    """The URLconf as `make bench` sees it (LOADTEST_BASELINE=1), restored afterwards."""
    with override_settings(LOADTEST_BASELINE=True):
        _reload_urls()
        yield
    _reload_urls()


def test_baseline_is_not_served_by_default(client):
    assert client.get(URL).status_code == 404


def test_baseline_renders_the_twelve_fortunes_and_one_more_sorted_in_one_query(baseline_on):
    with CaptureQueriesContext(connection) as captured:
        response = Client().get(URL)  # anonymous, as the load run requests it

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<tr><td>") == 13
    assert ADDED_AT_REQUEST_TIME in page
    # Sorted by message: "A bad random..." comes first, the Japanese line last.
    assert page.index("A bad random number generator") < page.index("fortune: No such file")
    assert page.index("fortune: No such file") < page.index("フレームワークのベンチマーク")
    assert "<script>" not in page  # the hostile fortune is escaped
    assert "&lt;script&gt;alert(" in page
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 1, selects
    assert "loadtest_fortune" in selects[0]
