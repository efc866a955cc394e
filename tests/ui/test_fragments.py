"""The fragment cache never hides a change (ui/fragments.py): each page is read
once to fill the cache, the data is changed by another path than the page's
own (a service, a raw UPDATE that bumps no timestamp, a rename of a related
row), and the next read shows the change."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from messaging.models import SkillMessage
from portfolio.models import WorkArtifact
from skills.models import Skill
from tenancy.models import User
from tests.factories import SkillFactory
from tests.messaging.factories import SkillMessageFactory
from tests.portfolio.factories import WorkArtifactFactory
from ui import fragments
from ui.fragments import CACHE_ALIAS, fingerprint

pytestmark = pytest.mark.django_db


def _cached_entries() -> int:
    return len(caches[CACHE_ALIAS]._cache)  # locmem's store: proves the cache is in use


def test_fingerprint_follows_content_not_identity(alice, in_tenant):
    with in_tenant(alice):
        pk = WorkArtifactFactory(user=alice, title="Board pack").pk
        artifact, again = WorkArtifact.objects.get(pk=pk), WorkArtifact.objects.get(pk=pk)
        assert fingerprint([artifact]) == fingerprint([again])
        again.title = "Board pack v2"
        assert fingerprint([artifact]) != fingerprint([again])


def test_fingerprint_sees_select_related_rows(alice, bob, in_tenant):
    with in_tenant(alice):
        message = SkillMessageFactory(subject_skill=SkillFactory(author=bob), from_user=alice)
        loaded = SkillMessage.objects.select_related("from_user").get(pk=message.pk)
        before = fingerprint([loaded])
        loaded.from_user.display_name = "Alice Renamed"
        assert fingerprint([loaded]) != before


def test_portfolio_rows_show_a_title_changed_behind_the_page(alice_client, alice, in_tenant):
    with in_tenant(alice):
        artifact = WorkArtifactFactory(user=alice, title="Quarterly figures")
    assert "Quarterly figures" in alice_client.get("/portfolio/").content.decode()
    filled = _cached_entries()
    assert alice_client.get("/portfolio/").status_code == 200
    assert _cached_entries() == filled  # the second read was served from the cache
    with in_tenant(alice):  # no service, no updated_at: a raw UPDATE
        WorkArtifact.objects.filter(pk=artifact.pk).update(title="Annual figures")
    page = alice_client.get("/portfolio/").content.decode()
    assert "Annual figures" in page
    assert "Quarterly figures" not in page


def test_portfolio_rows_show_a_renamed_suggested_skill(alice_client, alice, in_tenant):
    with in_tenant(alice):
        skill = SkillFactory(author=alice, name="Spreadsheet modelling")
        WorkArtifactFactory(user=alice, title="Budget", suggested_skill_ids=[str(skill.pk)])
    assert "Spreadsheet modelling" in alice_client.get("/portfolio/").content.decode()
    with in_tenant(alice):
        Skill.objects.filter(pk=skill.pk).update(name="Financial modelling")
    page = alice_client.get("/portfolio/").content.decode()
    assert "Financial modelling" in page
    assert "Spreadsheet modelling" not in page


def test_the_key_moves_on_every_quarter_hour(alice, in_tenant, monkeypatch):
    """ "Today" ends at a quarter hour somewhere (every zone's offset is a multiple of
    15 minutes): a date flag or "3 days ago" is never served from the day before."""
    with in_tenant(alice):
        artifact = WorkArtifactFactory(user=alice)
    monkeypatch.setattr(fragments.time, "time", lambda: 1_000 * fragments.PERIOD_SECONDS + 1)
    first = fingerprint([artifact])
    monkeypatch.setattr(fragments.time, "time", lambda: 1_001 * fragments.PERIOD_SECONDS - 1)
    assert fingerprint([artifact]) == first
    monkeypatch.setattr(fragments.time, "time", lambda: 1_001 * fragments.PERIOD_SECONDS)
    assert fingerprint([artifact]) != first


def test_inbox_rows_show_a_renamed_sender_and_a_new_status(client_for, alice, bob, in_tenant):
    with in_tenant(alice):
        message = SkillMessageFactory(
            subject_skill=SkillFactory(author=bob, name="Python scripting"), from_user=alice
        )
    bob_client = client_for(bob)
    page = bob_client.get("/messages/").content.decode()
    assert "Alice" in page
    assert "Accept" in page
    with in_tenant(alice):
        User.objects.filter(pk=alice.pk).update(display_name="Alice Liddell-Smith")
        SkillMessage.objects.filter(pk=message.pk).update(status="withdrawn")
    page = bob_client.get("/messages/").content.decode()
    assert "Alice Liddell-Smith" in page
    assert "withdrew this proposal" in page


def test_inbox_buttons_post_with_the_pages_one_token(client_for, alice, bob, in_tenant):
    """The rows carry no CSRF token (so they can be cached): every button submits
    the page's one actions form, which does, to its own formaction."""
    with in_tenant(alice):
        message = SkillMessageFactory(subject_skill=SkillFactory(author=bob), from_user=alice)
    page = client_for(bob).get("/messages/").content.decode()
    rows = page[page.index('<ul class="message-list">') :]
    assert "csrfmiddlewaretoken" not in rows[: rows.index("</ul>")]
    assert '<form method="post" id="message-actions"' in page
    assert f'form="message-actions" formaction="/messages/{message.pk}/accept/"' in page


def test_a_cached_fragment_carries_each_requests_own_csrf_token(rf):
    """Cached once, then served to two people: each gets their own token back."""
    import re

    from django.middleware.csrf import _unmask_cipher_token, get_token
    from django.template import engines

    page = engines["django"].from_string(
        '{% fragment "t" key %}<form>{% csrf_token %}</form>{{ n }}{% endfragment %}'
    )
    first, second = rf.get("/"), rf.get("/")
    one = page.render({"key": "k1", "n": 1}, request=first)
    two = page.render({"key": "k1", "n": 2}, request=second)
    assert two.endswith("1")  # the second was served from the cache
    get_token(first), get_token(second)  # each request's own secret
    secrets = [_unmask_cipher_token(re.search(r'value="([^"]+)"', html)[1]) for html in (one, two)]
    assert secrets == [first.META["CSRF_COOKIE"], second.META["CSRF_COOKIE"]]
    assert secrets[0] != secrets[1]
    assert "csrf-" not in one + two  # no placeholder left behind


def test_a_cached_fragment_carries_each_requests_own_fill_value():
    """A named per-request value (a form's idempotency token) is put back like the CSRF token."""
    from django.template import engines

    page = engines["django"].from_string(
        '{% fragment "fill" key token %}<input value="{{ token }}">{{ n }}{% endfragment %}'
    )
    one = page.render({"key": "k1", "token": "tok-A1b2", "n": 1})
    two = page.render({"key": "k1", "token": "tok-C3d4", "n": 2})
    assert one == '<input value="tok-A1b2">1'
    assert two == '<input value="tok-C3d4">1'  # from the cache, with its own token
    # No value to put back: rendered afresh, never cached with an empty one.
    assert page.render({"key": "k2", "token": "", "n": 3}) == '<input value="">3'
    assert page.render({"key": "k2", "token": "tok-E5f6", "n": 4}) == '<input value="tok-E5f6">4'


def test_no_key_renders_without_caching():
    from django.template import engines

    page = engines["django"].from_string('{% fragment "t" key %}{{ n }}{% endfragment %}')
    assert page.render({"key": "", "n": 1}) == "1"
    assert page.render({"key": "", "n": 2}) == "2"


def test_step_panels_show_an_artifact_and_summary_changed_behind_the_page(
    client_for, alice, in_tenant
):
    from tests.workshops.conftest import get_step, make_workshop
    from workshops import services
    from workshops.models import StepArtifact, StepSummary

    workshop = make_workshop(alice)
    step = get_step(workshop, "challenge")
    with in_tenant(alice):
        services.artifact_save(
            workshop_step=step,
            user=alice,
            artifact={"problem_statement": "Slow onboarding", "who_is_affected": "New hires"},
            expected_version=0,
        )
        services.summary_save(
            workshop_step=step, user=alice, summary="First take.", expected_version=0
        )
    client = client_for(alice)
    page_url = f"/workshops/{workshop.pk}/steps/challenge/"
    page = client.get(page_url).content.decode()
    assert "Slow onboarding" in page
    assert "First take." in page
    with in_tenant(alice):  # raw UPDATEs: no version bump, no timestamps
        StepArtifact.objects.filter(workshop_step=step).update(
            artifact={"problem_statement": "Onboarding takes six weeks", "who_is_affected": "HR"}
        )
        StepSummary.objects.filter(workshop_step=step).update(summary="Second take.")
    page = client.get(page_url).content.decode()
    assert "Onboarding takes six weeks" in page
    assert "Second take." in page
    assert "First take." not in page


def test_a_fragment_of_rows_changed_after_its_lookup_is_kept_under_their_own_digest(
    alice, in_tenant
):
    """A digested read's key is looked up before the rows are read; if another request
    renames a row in between, the fragment shows the new name and is stored under the
    new rows' digest, so the old key, should its rows come back, never serves it."""
    from django.template import engines

    from tests.tenancy.test_prepared import skills_by

    page = engines["django"].from_string(
        '{% fragment "skills" key %}{% for s in rows %}{{ s.name }}{% endfor %}{% endfragment %}'
    )
    with in_tenant(alice):
        skill = SkillFactory(author=alice, name="Budgets")
        rows = skills_by.digested(author_id=alice.pk)
        key = fingerprint(rows)
        looked_up = str(key)
        Skill.objects.filter(pk=skill.pk).update(name="Budgeting")  # between lookup and read
        assert page.render({"key": key, "rows": rows}) == "Budgeting"
        assert str(key) != looked_up
        Skill.objects.filter(pk=skill.pk).update(name="Budgets")  # and back
        rows = skills_by.digested(author_id=alice.pk)
        assert str(fingerprint(rows)) == looked_up  # the first lookup's key again
        assert page.render({"key": fingerprint(rows), "rows": rows}) == "Budgets"
        # Served from the cache now, without reading the rows.
        again = skills_by.digested(author_id=alice.pk)
        assert page.render({"key": fingerprint(again), "rows": again}) == "Budgets"
        assert again._rows is None


def test_the_cached_header_marks_each_sections_link_and_shows_a_renamed_user(alice_client, alice):
    import re

    def current(page: str) -> list[str]:
        return re.findall(r'<a href="([^"]+)" aria-current="page"', page)

    for path in ("/portfolio/", "/skills/", "/portfolio/", "/"):
        assert current(alice_client.get(path).content.decode()) == [path]
    User.objects.filter(pk=alice.pk).update(display_name="Alicia Q", is_staff=True)
    page = alice_client.get("/portfolio/").content.decode()
    assert '<span class="user-name">Alicia' in page
    assert 'href="/people/"' in page  # staff see the People link
    assert current(page) == ["/portfolio/"]


def test_pages_served_from_the_cache_read_no_row(client_for, alice, bob, in_tenant):
    """The second view of an unchanged portfolio or inbox reads the rows' digest, not
    the rows (which come with their digest in one statement: `SELECT digested.*`)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with in_tenant(alice):
        WorkArtifactFactory(user=alice, title="Board pack")
    SkillMessageFactory(subject_skill=SkillFactory(author=bob), from_user=alice)
    for client, url in ((client_for(alice), "/portfolio/"), (client_for(bob), "/messages/")):
        reads = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            reads.append([q["sql"].startswith("SELECT digested.*") for q in queries])
        assert any(reads[0]), url  # the first view fills the cache
        assert not any(reads[1]), url


def test_the_cached_chat_log_shows_a_message_or_an_author_changed_behind_the_page(
    client_for, alice, bob, in_tenant
):
    from tests.workshops.conftest import get_step, make_workshop
    from workshops.models import ChatMessage

    workshop = make_workshop(alice)
    step = get_step(workshop, "challenge")
    with in_tenant(alice):
        workshop.participants.create(tenant_id=alice.tenant_id, user=bob)
        said = ChatMessage.objects.create(
            tenant_id=alice.tenant_id, workshop_step=step, role="user", author=bob, content="Hi"
        )
        ChatMessage.objects.create(  # no author: the facilitator's words
            tenant_id=alice.tenant_id, workshop_step=step, role="user", content="Welcome"
        )
    url = f"/workshops/{workshop.pk}/steps/challenge/"
    alices, bobs = client_for(alice), client_for(bob)
    assert bobs.get(url).text.count('<span class="msg-role">You</span>') == 1  # his own
    assert alices.get(url).text.count('<span class="msg-role">You</span>') == 1  # hers
    with in_tenant(alice):  # behind the page: no service, no timestamp
        ChatMessage.objects.filter(pk=said.pk).update(content="Hello there")
        User.objects.filter(pk=bob.pk).update(display_name="Robert Q")
        User.objects.filter(pk=alice.pk).update(display_name="Alicia Q")
    text = alices.get(url).text
    assert "Hello there" in text
    assert '<span class="msg-role">Robert Q</span>' in text
    assert '<span class="msg-role">Alicia Q</span>' in bobs.get(url).text  # the facilitator


def test_the_cached_sort_headers_follow_each_query_string(alice_client, alice, in_tenant):
    """The headers come from the cache by query string: each sort and filter gets its own."""
    with in_tenant(alice):
        WorkArtifactFactory(user=alice, category="email")

    def title_header(params: dict[str, str]) -> str:
        page = alice_client.get("/portfolio/", params).content.decode()
        return page.split('class="sort-link"')[1].split("</th>")[0]

    for _ in range(2):  # the second time from the cache
        assert 'href="?sort=title"' in title_header({})
        assert 'href="?sort=-title"' in title_header({"sort": "title"})
        assert "▲" in title_header({"sort": "title"})
        assert "▼" in title_header({"sort": "-title"})
        assert "category=email" in title_header({"category": "email"})


def test_each_view_of_a_step_gets_its_own_chat_token_from_the_cached_form(alice_client, alice):
    """The chat form's fields come from the cache; its idempotency token is each page's
    own, so two open tabs never have their sends taken for one."""
    import re

    from tests.workshops.conftest import make_workshop

    url = f"/workshops/{make_workshop(alice).pk}/steps/ideation/"
    tokens = []
    for view in range(3):
        if view == 1:
            filled = _cached_entries()
        elif view == 2:
            assert _cached_entries() == filled  # the third view served from the cache
        page = alice_client.get(url).content.decode()
        tokens.append(re.search(r'name="client_token" value="([^"]+)"', page)[1])
        assert 'name="content"' in page
        assert "fill-" not in page  # no placeholder left behind
    assert len(set(tokens)) == 3
