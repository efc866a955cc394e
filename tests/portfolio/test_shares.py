"""Share links: created once, opened anonymously inside their tenant, counted, revoked."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portfolio.models import MAX_OPEN_SHARES, PortfolioShare
from portfolio.services import profile as profile_services
from portfolio.services import shares as services
from tests.factories import SkillFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


def _share(user, in_tenant, **kwargs):
    with in_tenant(user):
        return services.share_create(user=user, **kwargs)


def _page(response) -> str:
    """The body without its per-request CSRF token."""
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", response.content.decode())


def _url(token: str) -> str:
    return reverse("portfolio:shared", args=[token])


def test_the_token_is_long_random_and_stored_hashed(alice, in_tenant):
    share, token = _share(alice, in_tenant)
    tenant_id, secret = token.split(".")
    assert int(tenant_id) == alice.tenant_id
    assert len(secret) >= 43
    assert share.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in share.secret_hash


def test_an_anonymous_visitor_sees_the_whole_portfolio_and_skills(create, alice, in_tenant):
    artifact = create(alice, title="Budget model", extracted_text="budget forecast")
    skill = SkillFactory(author=alice, name="Budget forecasting")
    with in_tenant(alice):
        profile_services.profile_skill_confirm(
            user=alice, skill_id=skill.pk, artifact_ids=[artifact.pk], level="expert"
        )
    _, token = _share(alice, in_tenant)
    response = Client().get(_url(token))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Budget model" in page
    assert "Budget forecasting" in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert "sessionid" not in response.cookies


def test_a_share_of_chosen_artifacts_shows_nothing_else(create, alice, in_tenant):
    shown = create(alice, title="Shown report")
    hidden = create(alice, title="Hidden ledger")
    skill = SkillFactory(author=alice, name="Ledgerkeeping")
    with in_tenant(alice):
        profile_services.profile_skill_confirm(
            user=alice, skill_id=skill.pk, artifact_ids=[hidden.pk], level="expert"
        )
    _, token = _share(alice, in_tenant, whole_portfolio=False, artifact_ids=[shown.pk])
    page = Client().get(_url(token)).content.decode()
    assert "Shown report" in page
    assert "Hidden ledger" not in page
    assert "Ledgerkeeping" not in page  # its only evidence was not shared


def test_a_token_of_tenant_a_never_shows_tenant_b_rows(create, alice, carol, in_tenant):
    create(carol, title="Globex secret")
    _, token = _share(alice, in_tenant)
    page = Client().get(_url(token)).content.decode()
    assert "Globex secret" not in page
    # The secret of A's link under B's tenant id finds nothing.
    _, secret = token.split(".")
    assert Client().get(_url(f"{carol.tenant_id}.{secret}")).status_code == 404


def test_views_are_counted(alice, in_tenant):
    share, token = _share(alice, in_tenant)
    for _ in range(3):
        Client().get(_url(token))
    with in_tenant(alice):
        share.refresh_from_db()
    assert share.views == 3


@pytest.mark.parametrize("token", ["nope", "1.nope", "99999.abc", "1", ".x", "1." + "a" * 43])
def test_unknown_tokens_answer_404(db, token):
    response = Client().get(_url(token))
    assert response.status_code == 404
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_revoked_and_expired_answer_404_like_an_unknown_one(alice, in_tenant):
    share, token = _share(alice, in_tenant)
    unknown = Client().get(_url(f"{alice.tenant_id}.{'x' * 43}"))
    with in_tenant(alice):
        services.share_revoke(user=alice, share_id=share.pk)
    revoked = Client().get(_url(token))
    later, later_token = _share(alice, in_tenant, expires_at=timezone.now() + dt.timedelta(days=1))
    with in_tenant(alice):
        PortfolioShare.objects.filter(pk=later.pk).update(expires_at=timezone.now())
    expired = Client().get(_url(later_token))
    for response in (revoked, expired):
        assert response.status_code == 404
        assert _page(response) == _page(unknown)


def test_a_signed_in_visitor_is_told_to_open_it_signed_out(alice, bob, client_for, in_tenant):
    _, token = _share(alice, in_tenant)
    response = client_for(bob).get(_url(token))
    assert response.status_code == 404
    assert "private window" in response.content.decode()


def test_create_shows_the_link_once_and_lists_it(alice_client, alice, in_tenant):
    response = alice_client.post(
        reverse("portfolio:shares"), {"label": "For Globex", "scope": "all", "include_skills": "on"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "shown only this once" in page
    with in_tenant(alice):
        share = PortfolioShare.objects.get()
    listing = alice_client.get(reverse("portfolio:shares")).content.decode()
    assert "For Globex" in listing
    assert "/portfolio/shared/" not in listing  # the link itself is never shown again
    assert share.label == "For Globex"


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"scope": "chosen"}, services.ARTIFACTS_REQUIRED),
        ({"scope": "all", "expires_on": "2001-01-01"}, services.EXPIRY_IN_PAST),
        ({"scope": "all", "label": "x" * 101}, "at most 100 characters"),
        ({"scope": "all", "expires_on": "9999-12-31"}, services.EXPIRY_TOO_FAR),
    ],
)
def test_bad_input_is_shown_by_the_field_and_nothing_is_written(
    alice_client, alice, in_tenant, data, field_error
):
    response = alice_client.post(reverse("portfolio:shares"), data)
    assert response.status_code == 200
    assert field_error in response.content.decode()
    with in_tenant(alice):
        assert not PortfolioShare.objects.exists()


def test_sharing_a_teammates_artifact_is_refused(create, alice, bob, in_tenant):
    theirs = create(bob, title="Bob's")
    with pytest.raises(ValidationError) as error:
        _share(alice, in_tenant, whole_portfolio=False, artifact_ids=[theirs.pk])
    assert services.ARTIFACTS_NOT_YOURS in error.value.messages


def test_open_links_are_limited(alice, in_tenant):
    for _ in range(MAX_OPEN_SHARES):
        _share(alice, in_tenant)
    with pytest.raises(ValidationError) as error:
        _share(alice, in_tenant)
    assert services.TOO_MANY_SHARES in error.value.messages


def test_revoke_through_the_page_and_only_my_own(alice_client, alice, bob, client_for, in_tenant):
    share, token = _share(alice, in_tenant)
    url = reverse("portfolio:share_revoke", args=[share.pk])
    assert client_for(bob).post(url).status_code == 404
    assert Client().get(_url(token)).status_code == 200
    assert alice_client.post(url).status_code == 302
    assert Client().get(_url(token)).status_code == 404


def test_the_share_page_runs_constant_queries(create, alice, artifacts_for, in_tenant):
    _, token = _share(alice, in_tenant)

    def grow() -> None:
        for artifact in artifacts_for(alice, 10):
            skill = SkillFactory(author=alice)
            with in_tenant(alice):
                profile_services.profile_skill_confirm(
                    user=alice, skill_id=skill.pk, artifact_ids=[artifact.pk], level="expert"
                )

    grow()
    assert_constant_queries(lambda: Client().get(_url(token)), grow)


def test_my_shares_page_runs_constant_queries(alice_client, alice, in_tenant):
    _share(alice, in_tenant)
    assert_constant_queries(
        lambda: alice_client.get(reverse("portfolio:shares")),
        lambda: [_share(alice, in_tenant) for _ in range(5)],
    )


def test_an_address_trying_unknown_tokens_is_refused_for_a_while(alice, in_tenant, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 3
    _, token = _share(alice, in_tenant)
    for _ in range(3):
        assert Client().get(_url(f"{alice.tenant_id}.{'x' * 43}")).status_code == 404
    assert Client().get(_url(token)).status_code == 429  # the real link waits too
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.get(_url(token)).status_code == 200


def test_a_deactivated_members_links_stop_working(alice, in_tenant):
    _, token = _share(alice, in_tenant)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert Client().get(_url(token)).status_code == 404
