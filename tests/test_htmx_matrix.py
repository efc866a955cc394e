"""htmx that never breaks the page, checked at every URL of the project (issue 14).

The URLs and the objects that fill them come from the isolation matrix
(tests/test_isolation_matrix.py: the resolver walk, its registry of tenant A's
objects, the user who gets furthest into each view), so a new endpoint is
checked here without anyone listing it. For every URL:

- every answer, page or fragment, GET or POST, htmx or not, says
  `Vary: HX-Request, HX-History-Restore-Request`, so Back and caches never show
  a fragment as a page;
- an htmx history restore gets what a plain visit gets (the whole page);
- a signed-out htmx request (the session ended in another tab) answers
  `HX-Redirect` to the sign-in page with `next` = the page the user was on,
  never a sign-in page to swap into a panel; a signed-out plain POST goes to
  sign-in with `next` = the page its form was on, never the POST-only URL;
- a GET of a POST-only URL (a refresh, a bookmark, an old `next`) answers 405
  with its Allow header and a real page leading to a page the user can open.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from config.htmx import SESSION_ENDED_EVENT
from tests import test_isolation_matrix as matrix
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

world = matrix.world  # the matrix's tenant A, built once for this module too

HTMX = {"HTTP_HX_REQUEST": "true"}
HISTORY_RESTORE = {**HTMX, "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}
LOGIN = "/accounts/login/"
# The page the user was on when the session ended, as htmx reports it.
CURRENT_PAGE = "/portfolio/?q=ledger"
CURRENT_URL = {"HTTP_HX_CURRENT_URL": f"http://testserver{CURRENT_PAGE}"}

# URLs that are not behind sign-in, with why they need no signed-out answer.
PUBLIC = {
    "login": "the sign-in page itself",
    "logout": "signing out needs no session",
    "healthz": "the load balancer's probe",
    "favicon.ico": "a redirect to a static file",
    # Polled every minute from the nav: a 204 keeps the page as it is rather
    # than taking the user away from what they are typing (messaging/views.py).
    "messaging:unread_count": "a background poll answers 204",
    # Loaded by the nav on every page, like the unread badge (crm_artifacts/views.py).
    "crm:nav": "a background load answers 204",
    # Accounts (tenancy/urls.py): pages for people who are not signed in, by design.
    "two_factor_verify": "the second step of signing in, before the session is signed in",
    "invitation_accept": "an invitee has no account yet",
    "password_reset": "someone who forgot their password is signed out",
    "password_reset_done": "someone who forgot their password is signed out",
    "password_reset_confirm": "someone who forgot their password is signed out",
    "password_reset_complete": "someone who forgot their password is signed out",
    "portfolio:shared": "a shared portfolio is for people without an account",
}

SITE_ROUTES = [r for r in matrix.ROUTES if not r.is_admin and not r.route.startswith("api/")]
SIGNED_IN_ROUTES = [r for r in SITE_ROUTES if r.label not in PUBLIC]


def _urls(route: matrix.Route, world) -> list[str]:
    return matrix.fill(route, world.a)


def _varies(response: HttpResponse) -> bool:
    vary = {v.strip().lower() for v in response.get("Vary", "").split(",")}
    return {"hx-request", "hx-history-restore-request"} <= vary


# Answered by HealthCheckMiddleware before sessions, the same JSON for every caller.
SAME_FOR_EVERY_REQUEST = {"healthz"}


@pytest.mark.parametrize(
    "route",
    [r for r in matrix.ROUTES if r.label not in SAME_FOR_EVERY_REQUEST],
    ids=lambda r: r.label,
)
def test_every_answer_varies_by_hx_request(route: matrix.Route, world) -> None:
    signed_in = world.client(matrix._insider(route, world.a))
    for client in (signed_in, Client()):
        for url in _urls(route, world):
            for method in ("GET", "POST"):
                for headers in ({}, HTMX):
                    response = matrix.request(client, method, url, **headers)
                    assert _varies(response), (
                        f"{method} {url} {headers or ''} answered {response.status_code} "
                        f"with Vary: {response.get('Vary')!r}"
                    )


@pytest.mark.parametrize("route", SITE_ROUTES, ids=lambda r: r.label)
def test_a_history_restore_gets_the_whole_page(route: matrix.Route, world) -> None:
    client = world.client(matrix._insider(route, world.a))
    for url in _urls(route, world):
        page = client.get(url)
        restored = client.get(url, **HISTORY_RESTORE)
        assert restored.status_code == page.status_code, url
        if "<html" in page.content.decode(errors="replace"):
            assert "<html" in restored.content.decode(errors="replace"), (
                f"the history restore of {url} got a fragment, not the page"
            )


def _sign_in_redirect(response: HttpResponse) -> str | None:
    """The `next` of an HX-Redirect to the sign-in page ("" when it has none)."""
    target = response.get("HX-Redirect")
    if target is None or urlsplit(target).path != LOGIN:
        return None
    return parse_qs(urlsplit(target).query).get("next", [""])[0]


@pytest.mark.parametrize("route", SIGNED_IN_ROUTES, ids=lambda r: r.label)
def test_a_signed_out_htmx_request_is_sent_to_sign_in_and_back(route: matrix.Route, world) -> None:
    client = Client()
    for url in _urls(route, world):
        answered = []
        for method in ("GET", "POST"):
            response = matrix.request(client, method, url, **HTMX, **CURRENT_URL)
            if response.status_code == 405:  # not a method this endpoint takes
                continue
            where = f"signed-out htmx {method} {url} answered {response.status_code}"
            assert response.status_code == 200, where
            assert _sign_in_redirect(response) == CURRENT_PAGE, (
                f"{where} with HX-Redirect {response.get('HX-Redirect')!r}"
            )
            assert SESSION_ENDED_EVENT in response.get("HX-Trigger", ""), where
            assert not response.content, f"{where} with a body htmx would swap in"
            answered.append(method)
        assert answered, f"{url} took neither GET nor POST"


@pytest.mark.parametrize("route", SIGNED_IN_ROUTES, ids=lambda r: r.label)
def test_a_signed_out_plain_post_comes_back_to_the_form_page(route: matrix.Route, world) -> None:
    client = Client()
    form_page = "/crm/customers/"
    for url in _urls(route, world):
        response = matrix.request(client, "POST", url, HTTP_REFERER=f"http://testserver{form_page}")
        if response.status_code == 405:
            continue
        assert response.status_code == 302, f"POST {url}: {response.status_code}"
        target = urlsplit(response["Location"])
        assert target.path == LOGIN, f"POST {url} went to {response['Location']}"
        assert parse_qs(target.query).get("next") == [form_page], (
            f"POST {url} sends the user back to {response['Location']} after signing in"
        )


NON_API_ROUTES = [r for r in matrix.ROUTES if not r.route.startswith("api/")]


@pytest.mark.parametrize("route", NON_API_ROUTES, ids=lambda r: r.label)
def test_a_get_of_a_post_only_url_is_a_page_that_leads_back(route: matrix.Route, world) -> None:
    client = world.client(matrix._insider(route, world.a))
    for url in _urls(route, world):
        response = client.get(url)
        if response.status_code != 405:
            continue
        assert "POST" in response["Allow"], f"GET {url}: Allow {response['Allow']!r}"
        text = response.content.decode()
        assert "needs a button press" in text, f"GET {url}: a bare 405"
        back = re.search(r'<a class="button primary" href="([^"]+)"', text)
        assert back, f"GET {url}: the 405 page links nowhere"
        landing = client.get(back.group(1))
        assert landing.status_code == 200, (
            f"GET {url} leads to {back.group(1)}, which answers {landing.status_code}"
        )


# --- the same promises, spelled out once -------------------------------------------


def test_the_sign_in_page_takes_the_user_back_to_the_page_they_were_on(alice) -> None:
    client = Client()
    page = "/workshops/?tab=mine"
    response = client.post(
        f"{LOGIN}?{urlencode({'next': page})}",
        {"username": alice.email, "password": PASSWORD, "next": page},
    )
    assert response.status_code == 302
    assert response["Location"] == page


def test_a_signed_out_htmx_request_from_another_site_gets_no_next(db) -> None:
    response = Client().post(
        "/crm/customers/1/notes/", **HTMX, HTTP_HX_CURRENT_URL="https://evil.example/phish/"
    )
    assert response["HX-Redirect"] == LOGIN


def test_a_signed_out_htmx_request_from_the_sign_in_page_gets_no_next(db) -> None:
    response = Client().get(
        "/portfolio/", **HTMX, HTTP_HX_CURRENT_URL=f"http://testserver{LOGIN}?next=/x/"
    )
    assert response["HX-Redirect"] == LOGIN


def test_the_sign_in_page_says_the_session_ended(db) -> None:
    client = Client()
    response = client.post("/crm/customers/1/notes/", {"notes": "x"}, **HTMX, **CURRENT_URL)
    page = client.get(response["HX-Redirect"])
    assert "Your session has ended" in page.content.decode()


def test_a_plain_post_after_the_session_ended_says_nothing_was_saved(db) -> None:
    client = Client()
    response = client.post("/crm/customers/1/notes/", {"notes": "x"}, follow=True)
    assert "was not saved" in response.content.decode()
    assert response.redirect_chain[-1][0] == LOGIN  # no Referer: no page to go back to


def test_signing_out_is_not_mistaken_for_an_ended_session(alice_client) -> None:
    response = alice_client.post(reverse("logout"), follow=True)
    assert "not saved" not in response.content.decode()
    assert "session has ended" not in response.content.decode()


def test_a_get_of_an_action_leads_to_the_page_it_belongs_to(world) -> None:
    """The control for the crawl above: POST-only URLs answer the page, and its link
    is the action's own page (or its app's first page when the action has none)."""
    a = world.a
    step = reverse("workshops:step", args=[a.workshop.pk, a.step.step_id])
    cases = [
        (a.alice, reverse("workshops:messages", args=[a.workshop.pk, a.step.step_id]), step),
        (a.bob, reverse("crm:accept", args=[a.proposal.pk]), reverse("crm:customers")),
        (a.alice, reverse("messaging:accept", args=[a.message.pk]), reverse("messaging:inbox")),
        (a.bob, reverse("skills:propose", args=[a.skill.pk]), f"/skills/{a.skill.pk}/"),
    ]
    for user, url, back in cases:
        response = world.client(user).get(url)
        assert response.status_code == 405, url
        assert response["Allow"] == "POST"
        assert f'href="{back}"' in response.content.decode(), url


def test_an_out_of_date_csrf_token_reloads_an_htmx_page_and_keeps_its_text(alice) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/workshops/", {"title": "x"}, **HTMX, **CURRENT_URL)
    assert response.status_code == 403
    assert response["HX-Refresh"] == "true"
    assert SESSION_ENDED_EVENT in response["HX-Trigger"]
    plain = client.post("/workshops/new/", {"title": "x"})
    assert plain.status_code == 403
    assert "This form has expired" in plain.content.decode()
