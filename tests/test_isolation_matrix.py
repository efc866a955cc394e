"""The isolation matrix: every URL of the project, probed by tenant B with tenant A's ids.

URLs come from the resolver (admin and includes too), so a new URL is probed
without anyone listing it. A URL that captures an object id needs an entry
below saying how to fill it with tenant A's object; without one,
`test_every_url_with_an_id_has_a_registry_entry` fails and names it. Then,
for every such URL and every method, tenant B's member, tenant admin (the
demo's "Tenant admins" group) and superuser must get 404 or 405, no trace of
A's data in the body, and A's rows unchanged. A positive control proves each
filled URL reaches A's object for A's own user, so a 404 is the fence and not
a mistyped URL. URLs without an id are read by tenant B and must not show
any of A's text.

Methods: GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS. OPTIONS is in
because a function view that does not restrict methods treats it like GET
(a lookup, then a page), and a class-based view answers it by itself: either
way it must not confirm that A's object exists. TRACE and CONNECT are left
out: no client of ours sends them and no view handles them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.contrib.admin.utils import quote as admin_quote
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils.regex_helper import normalize
from django.views.generic import RedirectView

from tenancy.models import LoginThrottle
from tests.isolation import MARK, SECRETS, TenantA, TenantB, build_tenant_a, build_tenant_b
from tests.isolation import snapshot as snapshot_of

pytestmark = pytest.mark.django_db

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
ADMIN_PREFIX = "admin/"

# --- discovery -------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One URL pattern, with the chain of patterns that leads to it."""

    route: str  # as Django's ResolverMatch.route spells it
    name: str | None  # namespaced ("skills:detail"); None for unnamed patterns
    formats: tuple[str, ...]  # each level's pattern as a %-format (Django's reverse does this)
    kwargs: tuple[str, ...]  # what the URL captures
    callback: Callable[..., HttpResponse]

    @property
    def label(self) -> str:
        return self.name or self.route

    @property
    def is_admin(self) -> bool:
        return self.route.startswith(ADMIN_PREFIX)

    @property
    def model_admin(self) -> ModelAdmin | None:
        """The ModelAdmin serving this URL (through the admin's view wrappers)."""
        view: Any = self.callback
        while view is not None:
            for owner in (getattr(view, "model_admin", None), getattr(view, "__self__", None)):
                if isinstance(owner, ModelAdmin):
                    return owner
            view = getattr(view, "__wrapped__", None)
        return None

    def url(self, values: dict[str, Any]) -> str:
        path = "/" + "".join(fmt % {k: str(v) for k, v in values.items()} for fmt in self.formats)
        match = resolve(path)
        # The catch-all under /admin/ would swallow a wrongly filled URL: make sure it did not.
        assert match.route == self.route, f"{path} resolves to {match.route}, not {self.route}"
        return path


def _walk(
    patterns: list[URLPattern | URLResolver],
    route: str = "",
    formats: tuple = (),
    kwargs: tuple = (),
) -> Iterator[Route]:
    for pattern in patterns:
        joined = str(pattern.pattern) if not route else route + str(pattern.pattern).lstrip("^")
        # Django's reverse does the same: the first (shortest) way to write the pattern.
        fmt, params = normalize(pattern.pattern.regex.pattern)[0]
        level = ((*formats, fmt), (*kwargs, *params))
        if isinstance(pattern, URLResolver):
            for leaf in _walk(pattern.url_patterns, joined, *level):
                if pattern.namespace and leaf.name:
                    leaf = replace(leaf, name=f"{pattern.namespace}:{leaf.name}")
                yield leaf
        else:
            yield Route(joined, pattern.name, *level, pattern.callback)


def discover() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


ROUTES = discover()

# --- what fills a URL ------------------------------------------------------------

# Kwargs that name no object get fixed valid values: every admin app, and a
# page the admin's catch-all does not know.
NON_ID_VALUES: dict[str, Callable[[], list[str]]] = {
    "app_label": lambda: sorted({m._meta.app_label for m in admin.site._registry}),
    "url": lambda: ["no-such-page/"],
}


@dataclass(frozen=True)
class Page:
    """How to fill a URL with tenant A's object(s), and who in tenant A may open it."""

    kwargs: Callable[[TenantA], dict[str, Any] | list[dict[str, Any]]]
    owner: str | None  # TenantA attribute; None: nobody can (the control says why not)


def _view_on_site(a: TenantA) -> list[dict[str, Any]]:
    return [
        {"content_type_id": ContentType.objects.get_for_model(obj).pk, "object_id": obj.pk}
        for obj in (entry.obj(a) for entry in ADMIN_OBJECTS.values())
    ]


def _step(a: TenantA) -> dict[str, Any]:
    return {"pk": a.workshop.pk, "step_id": a.step.step_id}


# Pages (and the API) by URL name.
PAGES: dict[str, Page] = {
    "skills:detail": Page(lambda a: {"pk": a.skill.pk}, "alice"),
    "skills:edit": Page(lambda a: {"pk": a.skill.pk}, "alice"),
    "skills:propose": Page(lambda a: {"pk": a.skill.pk}, "bob"),
    "portfolio:detail": Page(lambda a: {"pk": a.work_artifact.pk}, "alice"),
    "portfolio:edit": Page(lambda a: {"pk": a.work_artifact.pk}, "alice"),
    "portfolio:delete": Page(lambda a: {"pk": a.work_artifact.pk}, "alice"),
    "portfolio:dismiss_suggestion": Page(
        lambda a: {"pk": a.work_artifact.pk, "skill_id": a.skill.pk}, "alice"
    ),
    "portfolio:profile_skill": Page(lambda a: {"pk": a.profile_skill.pk}, "alice"),
    "portfolio:share_revoke": Page(lambda a: {"pk": a.share.pk}, "alice"),
    "messaging:read": Page(lambda a: {"pk": a.message.pk}, "alice"),
    "messaging:accept": Page(lambda a: {"pk": a.message.pk}, "alice"),
    "messaging:decline": Page(lambda a: {"pk": a.message.pk}, "alice"),
    # The proposer's own actions on what they sent (bob sent tenant A's message).
    "messaging:withdraw": Page(lambda a: {"pk": a.message.pk}, "bob"),
    "messaging:seen": Page(lambda a: {"pk": a.message.pk}, "bob"),
    "workshops:detail": Page(lambda a: {"pk": a.workshop.pk}, "alice"),
    "workshops:participants": Page(lambda a: {"pk": a.workshop.pk}, "alice"),
    "workshops:export": Page(lambda a: {"pk": a.workshop.pk}, "alice"),
    "workshops:changes": Page(_step, "alice"),
    "workshops:step": Page(_step, "alice"),
    "workshops:messages": Page(_step, "alice"),
    "workshops:artifact": Page(_step, "alice"),
    "workshops:summary": Page(_step, "alice"),
    "workshops:status": Page(_step, "alice"),
    "workshops:context": Page(_step, "alice"),
    "workshops:artifact_history": Page(_step, "alice"),
    "workshops:summary_history": Page(_step, "alice"),
    "workshops:artifact_restore": Page(lambda a: {**_step(a), "version": 1}, "alice"),
    "workshops:summary_restore": Page(lambda a: {**_step(a), "version": 1}, "alice"),
    "crm:customer": Page(lambda a: {"pk": a.customer.pk}, "bob"),
    "crm:notes": Page(lambda a: {"pk": a.customer.pk}, "bob"),
    "crm:accept": Page(lambda a: {"pk": a.proposal.pk}, "bob"),
    "crm:reject": Page(lambda a: {"pk": a.proposal.pk}, "bob"),
    "crm:edit": Page(lambda a: {"pk": a.proposal.pk}, "bob"),
    "crm:revert": Page(lambda a: {"pk": a.proposal.pk}, "bob"),
    "crm:batch-accept": Page(lambda a: {"batch_id": a.proposal.batch_id}, "bob"),
    "crm:batch-reject": Page(lambda a: {"batch_id": a.proposal.batch_id}, "bob"),
    "crm:batch-selected": Page(lambda a: {"batch_id": a.proposal.batch_id}, "bob"),
    "crm:batch-confirm": Page(lambda a: {"batch_id": a.proposal.batch_id}, "bob"),
    "crm:batch-undo": Page(lambda a: {"batch_id": a.proposal.batch_id}, "bob"),
    "crm:follow-up-done": Page(lambda a: {"pk": a.follow_up.pk}, "bob"),
    "crm:follow-up-dismiss": Page(lambda a: {"pk": a.follow_up.pk}, "bob"),
    "crm-api-customer-artifacts": Page(lambda a: {"customer_id": a.customer.pk}, "bob"),
    "crm-api-artifact": Page(lambda a: {"artifact_id": a.proposal.pk}, "bob"),
    "crm-api-customer-proposals": Page(lambda a: {"customer_id": a.customer.pk}, "bob"),
    "crm-api-artifact-respond": Page(lambda a: {"artifact_id": a.proposal.pk}, "bob"),
    "crm:respond": Page(lambda a: {"pk": a.proposal.pk}, "bob"),
    "crm:api-token-revoke": Page(lambda a: {"pk": a.api_token.pk}, "admin"),
    "people:role": Page(lambda a: {"pk": a.bob.pk}, "admin"),
    "people:deactivate": Page(lambda a: {"pk": a.bob.pk}, "admin"),
    "people:reactivate": Page(lambda a: {"pk": a.bob.pk}, "admin"),
    "people:invitation_resend": Page(lambda a: {"pk": a.invitation.pk}, "admin"),
    "people:invitation_revoke": Page(lambda a: {"pk": a.invitation.pk}, "admin"),
    # Links for people who are signed out: every signed-in visitor, tenant A's
    # own included, gets a 404 that shows nothing of the link (tests/tenancy
    # test_invitations and test_password_reset open them signed out).
    "invitation_accept": Page(lambda a: {"token": a.invitation_token}, None),
    "password_reset_confirm": Page(lambda a: a.password_reset, None),
    # A share link: for people who are not signed in (tests/portfolio/test_shares.py
    # opens it signed out, and proves a token shows its own tenant's shared rows only).
    "portfolio:shared": Page(lambda a: {"token": a.share_token}, None),
    # No model has get_absolute_url, so the shortcut answers 404 to everyone;
    # it must not start answering tenant B for A's rows when one does.
    "admin:view_on_site": Page(_view_on_site, None),
}

Kind = Literal["tenant", "tenant-in-global-table", "platform"]


@dataclass(frozen=True)
class AdminObject:
    """Tenant A's object for a model's admin URLs (change, delete, history, password…).

    kind "tenant": a row of a tenant table; every admin of tenant B gets 404.
    "tenant-in-global-table": a global table's row that belongs to tenant A
      (users, the tenant itself): B's tenant admin gets 404; superusers run
      the platform and see every tenant's users and tenants by design
      (tenancy/admin.py), so they are not probed.
    "platform": a row no tenant owns (groups, task results, the shipped step
      definitions, sign-in throttles): B's tenant admin may read what its permissions allow
      (403 otherwise) and never changes it; superusers manage it.
    """

    obj: Callable[[TenantA], models.Model]
    kind: Kind = "tenant"


ADMIN_OBJECTS: dict[str, AdminObject] = {
    "skills.skill": AdminObject(lambda a: a.skill),
    "portfolio.workartifact": AdminObject(lambda a: a.work_artifact),
    "portfolio.profileskill": AdminObject(lambda a: a.profile_skill),
    "portfolio.portfolioshare": AdminObject(lambda a: a.share),
    "messaging.skillmessage": AdminObject(lambda a: a.message),
    "workshops.workshop": AdminObject(lambda a: a.workshop),
    "workshops.workshopstep": AdminObject(lambda a: a.step),
    "workshops.chatmessage": AdminObject(lambda a: a.chat_message),
    "workshops.stepartifact": AdminObject(lambda a: a.step_artifact),
    "workshops.stepsummary": AdminObject(lambda a: a.step_summary),
    "workshops.stepversion": AdminObject(lambda a: a.step_version),
    "workshops.workshopparticipant": AdminObject(lambda a: a.participant),
    "crm_artifacts.customer": AdminObject(lambda a: a.customer),
    "crm_artifacts.proposal": AdminObject(lambda a: a.proposal),
    "crm_artifacts.followup": AdminObject(lambda a: a.follow_up),
    "crm_artifacts.apitoken": AdminObject(lambda a: a.api_token),
    "tenancy.user": AdminObject(lambda a: a.alice, "tenant-in-global-table"),
    "tenancy.tenant": AdminObject(lambda a: a.tenant, "tenant-in-global-table"),
    "auth.group": AdminObject(lambda a: a.group, "platform"),
    "django_tasks_database.dbtaskresult": AdminObject(lambda a: a.task_result, "platform"),
    "workshops.stepdefinition": AdminObject(lambda a: a.step_definition, "platform"),
    "tenancy.loginthrottle": AdminObject(lambda a: a.login_throttle, "platform"),
    "tenancy.invitation": AdminObject(lambda a: a.invitation),
}


def id_kwargs(route: Route) -> list[str]:
    return [k for k in route.kwargs if k not in NON_ID_VALUES]


def entry_for(route: Route) -> Page | AdminObject | None:
    if route.label in PAGES:
        return PAGES[route.label]
    model_admin = route.model_admin
    return model_admin and ADMIN_OBJECTS.get(model_admin.model._meta.label_lower)


def fill(route: Route, a: TenantA) -> list[str]:
    """The route's URL(s) with tenant A's ids (and every fixed value of the other kwargs)."""
    entry = entry_for(route)
    if isinstance(entry, AdminObject):
        # Quoted as the admin's own links are: the admin unquotes "_23" to "#",
        # so a raw "art_23…" key would name another object.
        found: Any = [{k: admin_quote(entry.obj(a).pk) for k in id_kwargs(route)}]
    elif isinstance(entry, Page):
        found = entry.kwargs(a)
        found = found if isinstance(found, list) else [found]
    else:
        found = [{}]
    for kwarg, values in NON_ID_VALUES.items():
        if kwarg in route.kwargs:
            found = [{**kw, kwarg: value} for kw in found for value in values()]
    return [route.url(kw) for kw in found]


ID_ROUTES = [r for r in ROUTES if id_kwargs(r)]
PLAIN_ROUTES = [r for r in ROUTES if not id_kwargs(r)]

# --- tenant A's world, built once for the module ------------------------------------


@dataclass
class World:
    a: TenantA
    b: TenantB
    sessions: dict[int, str]  # user id -> session key, signed in once for the module

    def client(self, user) -> Client:
        """A signed-in client without a login per test: the session row lives in the
        module's transaction, and each test's savepoint undoes what a request wrote."""
        client = Client(raise_request_exception=False)
        client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[user.pk]
        return client


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """Both tenants, made once in a transaction every test runs inside (as a
    savepoint, rolled back after it) and rolled back after the last test."""
    # A database task backend beside the immediate one, so task results exist as
    # they do in production, and the admin can show them.
    tasks = {**settings.TASKS, "database": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with override_settings(TASKS=tasks), django_db_blocker.unblock(), transaction.atomic():
        a, b = build_tenant_a(), build_tenant_b()
        sessions = {}
        for user in (a.alice, a.bob, a.admin, a.superuser, b.member, b.admin, b.superuser):
            client = Client()
            client.force_login(user)
            sessions[user.pk] = client.cookies[settings.SESSION_COOKIE_NAME].value
        a.snapshot = snapshot_of(a.tenant)  # after the logins, which set last_login
        yield World(a, b, sessions)
        transaction.set_rollback(True)


def request(client: Client, method: str, url: str, **extra: Any) -> HttpResponse:
    if method in ("PUT", "PATCH"):  # JSON, as the API takes it
        return client.generic(method, url, '{"status": "accepted"}', "application/json", **extra)
    if method == "POST":  # what a confirmation form posts (admin delete, CRM stale accept)
        return client.post(url, {"post": "yes", "confirm": "1"}, **extra)
    return client.generic(method, url, **extra)


def leaked(response: HttpResponse, *, searched: bool = False) -> list[str]:
    """Which of tenant A's texts the body shows. Every one contains MARK, so a
    fragment (a truncated title, an email's domain) counts too, unless the
    request searched for MARK itself and the page may echo the search term."""
    body = b"".join(response) if response.streaming else response.content
    text = body.decode(errors="replace")
    found = [f"{what} ({secret!r})" for what, secret in SECRETS.items() if secret in text]
    if not found and not searched and MARK.lower() in text.lower():
        found = [f"text containing {MARK!r}"]
    return found


def personas(route: Route, b: TenantB) -> list[tuple[str, Any]]:
    """Who of tenant B probes a URL. The admin: a tenant admin with the demo's
    permissions (filtered querysets) and a superuser (no permission check at
    all), so a refusal there is the tenant fence, not a missing permission.
    Pages: a member, and the superuser, should a page ever trust a flag."""
    if route.is_admin:
        return [("tenant admin", b.admin), ("superuser", b.superuser)]
    return [("member", b.member), ("superuser", b.superuser)]


def _blind_redirect(route: Route) -> bool:
    """Admin's `<id>/` → `<id>/change/`: answers from the URL alone, reads no row."""
    view_class = getattr(route.callback, "view_class", None)
    return isinstance(view_class, type) and issubclass(view_class, RedirectView)


# --- the matrix ------------------------------------------------------------------


def test_every_url_with_an_id_has_a_registry_entry() -> None:
    missing = [
        f"{route.label} ({route.route}) captures {', '.join(id_kwargs(route))}"
        for route in ID_ROUTES
        if entry_for(route) is None
    ]
    assert not missing, (
        "URL patterns with an object id the isolation matrix cannot fill: add an entry to "
        "PAGES (by URL name) or ADMIN_OBJECTS (by model) in tests/test_isolation_matrix.py "
        "saying how to make tenant A's object:\n  " + "\n  ".join(missing)
    )


def test_every_registry_entry_names_a_url() -> None:
    names = {route.label for route in ROUTES}
    models_with_admin = {m._meta.label_lower for m in admin.site._registry}
    assert set(PAGES) <= names, f"stale PAGES entries: {set(PAGES) - names}"
    assert set(ADMIN_OBJECTS) <= models_with_admin, set(ADMIN_OBJECTS) - models_with_admin


@pytest.mark.parametrize("route", [r for r in ID_ROUTES if entry_for(r)], ids=lambda r: r.label)
def test_tenant_a_reaches_its_own_object(route: Route, world) -> None:
    """The control: each filled URL finds A's object for A's own user (not a 404)."""
    a = world.a
    entry = entry_for(route)
    if isinstance(entry, Page):
        if entry.owner is None:
            return
        owner = getattr(a, entry.owner)
    else:
        owner = a.superuser if entry.kind == "platform" else a.admin
    client = world.client(owner)
    for url in fill(route, a):
        answers = {m: request(client, m, url).status_code for m in ("GET", "POST")}
        assert set(answers.values()) != {404}, f"{owner} cannot reach {url}: {answers}"
        assert 500 not in answers.values(), f"{url}: {answers}"


CASES = [
    pytest.param(route, method, id=f"{route.label}-{method}")
    for route in ID_ROUTES
    if entry_for(route)
    for method in METHODS
]


@pytest.mark.parametrize(("route", "method"), CASES)
def test_tenant_b_gets_404_for_tenant_a_objects(route: Route, method: str, world) -> None:
    a, b = world.a, world.b
    entry = entry_for(route)
    kind = entry.kind if isinstance(entry, AdminObject) else "tenant"
    refusals = {404, 405}
    for who, user in personas(route, b):
        if kind != "tenant" and who == "superuser":
            continue  # runs the platform: sees every tenant's users (see AdminObject)
        # A platform row may be readable (the shipped step definitions) or not (403);
        # the admin shows a read-only page for any method but POST. Unchanged rows
        # (checked below) are what matters there.
        allowed = refusals | ({200, 403} if kind == "platform" else set())
        client = world.client(user)
        for url in fill(route, a):
            response = request(client, method, url)
            where = f"{method} {url} ({route.label}) as tenant B's {who}"
            if _blind_redirect(route) and response.status_code == 302:
                response = client.get(response["Location"])
                where += f" → {response.request['PATH_INFO']}"
            assert response.status_code in allowed, (
                f"{where} answered {response.status_code}, expected one of {sorted(allowed)}: "
                "a foreign tenant's object must be indistinguishable from a missing one"
            )
            shown = leaked(response)
            assert not shown, f"{where} shows tenant A's {shown}"
    if method in UNSAFE:
        after = snapshot_of(a.tenant)
        changed = [name for name, rows in a.snapshot.items() if after.get(name) != rows]
        assert not changed, f"{method} {route.label} by tenant B changed tenant A's {changed}"


API_CASES = [case for case in CASES if case.values[0].formats[0].startswith("api/")]


@pytest.mark.parametrize(("route", "method"), API_CASES)
def test_tenant_b_api_token_never_reaches_tenant_a(route: Route, method: str, world) -> None:
    """The agent API with tenant B's token (every scope): A's ids are 404 (or 403/405
    for what no token may call), nothing of A's shows, nothing of A's changes; A's
    own revoked token is a 401."""
    a, b = world.a, world.b
    for url in fill(route, a):
        client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {b.api_token}")
        response = request(client, method, url)
        where = f"{method} {url} ({route.label}) with tenant B's token"
        assert response.status_code in {403, 404, 405}, f"{where}: {response.status_code}"
        assert not leaked(response), f"{where} shows tenant A's {leaked(response)}"
        revoked = Client(HTTP_AUTHORIZATION=f"Bearer {a.revoked_api_token}")
        assert request(revoked, method, url).status_code == 401, f"{url} took a revoked token"
    if method in UNSAFE:
        # B's token counted its own requests (its rate limit): B's row, not A's.
        b_token_id = b.api_token.split(".")[1]
        LoginThrottle.objects.filter(scope=f"api-token-{b_token_id}").delete()
        after = snapshot_of(a.tenant)
        changed = [name for name, rows in a.snapshot.items() if after.get(name) != rows]
        assert not changed, f"{method} {route.label} with B's token changed tenant A's {changed}"


# --- pages without an id -----------------------------------------------------------


def test_the_leak_detector_sees_tenant_a_on_its_own_pages(world) -> None:
    """The control for the checks below: A's people do see A's texts on these pages."""
    a = world.a
    for user, url in [
        (a.alice, reverse("portfolio:list")),
        (a.alice, reverse("messaging:inbox")),
        (a.alice, reverse("workshops:list")),
        (a.bob, reverse("crm:customers")),
        (a.admin, reverse("admin:crm_artifacts_followup_changelist")),
    ]:
        assert leaked(world.client(user).get(url)), f"{user} sees nothing of A's on {url}"


PLATFORM_VIEWS = {
    label for label, entry in ADMIN_OBJECTS.items() if entry.kind != "tenant"
}  # the superuser's own pages on these list every tenant's rows by design


def _queries(route: Route, a: TenantA) -> list[dict[str, Any]]:
    """The page as it opens, searched for A's text, and (admin add forms) prefilled
    with A's ids, which a raw-id or select widget would otherwise label."""
    queries: list[dict[str, Any]] = [{}, {"q": MARK}]
    model_admin = route.model_admin
    if route.name == "admin:autocomplete":
        queries = [
            {
                "app_label": model._meta.app_label,
                "model_name": model._meta.model_name,
                "field_name": name,
                "term": MARK,
            }
            for model, m_admin in admin.site._registry.items()
            for name in m_admin.autocomplete_fields
        ]
    elif model_admin and route.name and route.name.endswith("_add"):
        prefill = {
            field.name: ADMIN_OBJECTS[label].obj(a).pk
            for field in model_admin.model._meta.get_fields()
            if field.is_relation
            and field.concrete
            and (label := field.related_model._meta.label_lower) in ADMIN_OBJECTS
        }
        queries.append(prefill)
    return queries


@pytest.mark.parametrize("route", PLAIN_ROUTES, ids=lambda r: r.label)
def test_pages_without_an_id_show_tenant_b_nothing_of_tenant_a(route: Route, world) -> None:
    a, b = world.a, world.b
    model_admin = route.model_admin
    platform = model_admin is not None and model_admin.model._meta.label_lower in PLATFORM_VIEWS
    for who, user in personas(route, b):
        client = world.client(user)
        for url in fill(route, a):
            for query in _queries(route, a):
                response = client.get(url, query)
                where = f"GET {url} {query or ''} ({route.label}) as tenant B's {who}"
                assert response.status_code < 500, f"{where} answered {response.status_code}"
                if platform and who == "superuser":
                    continue
                shown = leaked(response, searched=MARK in query.values())
                assert not shown, f"{where} shows tenant A's {shown}"


# --- text PostgreSQL cannot store, at every URL ---------------------------------------

# PostgreSQL refuses NUL in text, so a NUL reaching a query was a DataError (a 500).
# The edge refuses it in the path, a query parameter's name or value, and a form
# field (config/middleware.py), for every URL: 400, before any view reads it.
NUL_QUERIES = ["q=%00", "q=a%00b", "%00=x"]
# Django decodes a percent-encoded lone surrogate (or any invalid UTF-8) to U+FFFD,
# which PostgreSQL stores: an ordinary character to search for, so any answer but a 500.
SURROGATE = "%ED%A0%80"


def _insider(route: Route, a: TenantA) -> Any:
    """Tenant A's user who gets furthest into the URL's view (an owner, or the superuser)."""
    entry = entry_for(route)
    if isinstance(entry, Page) and entry.owner:
        return getattr(a, entry.owner)
    if route.is_admin or isinstance(entry, AdminObject):
        return a.superuser
    if route.label.startswith("people"):
        return a.admin  # the people pages are the tenant admin's
    return a.bob if route.label.startswith("crm") else a.alice


def _form_post(client: Client, url: str, body: str) -> HttpResponse:
    # Built by hand: the test client cannot encode a lone surrogate itself.
    return client.generic("POST", url, body, "application/x-www-form-urlencoded")


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.label)
def test_unstorable_text_answers_400_or_is_read_as_text_never_500(route: Route, world) -> None:
    a = world.a
    client = world.client(_insider(route, a))
    for url in fill(route, a):
        for query in NUL_QUERIES:
            response = client.get(f"{url}?{query}")
            assert response.status_code == 400, f"GET {url}?{query}: {response.status_code}"
        response = _form_post(client, url, "post=yes&q=a%00b")
        assert response.status_code == 400, f"POST {url} q=a%00b: {response.status_code}"

        response = client.get(f"{url}?q={SURROGATE}")
        assert response.status_code < 500, f"GET {url}?q={SURROGATE}: {response.status_code}"
        response = _form_post(client, url, f"q={SURROGATE}")
        assert response.status_code < 500, f"POST {url} q={SURROGATE}: {response.status_code}"
