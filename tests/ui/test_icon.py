"""{% icon %}: Lucide icons, decorative unless they are a control's only name,
and the empty-state component that uses them."""

from __future__ import annotations

import pytest
from django.template import Context, Template, TemplateSyntaxError
from lucide import IconDoesNotExist


def render(source: str, **context: object) -> str:
    return Template(source).render(Context(context))


def test_an_icon_is_decorative_by_default():
    html = render('{% icon "inbox" %}')
    assert html.startswith("<svg")
    assert 'aria-hidden="true"' in html
    assert 'focusable="false"' in html
    assert 'class="icon icon-inbox"' in html
    assert 'width="16" height="16"' in html
    assert "role=" not in html


def test_an_icon_that_is_the_only_label_is_a_named_image():
    html = render('{% icon "trash-2" label="Delete" size=20 %}')
    assert 'role="img"' in html
    assert 'aria-label="Delete"' in html
    assert "aria-hidden" not in html
    assert 'width="20"' in html


def test_a_label_is_escaped():
    html = render('{% icon "x" label=name %}', name='"><script>')
    assert "<script>" not in html


def test_an_unknown_icon_fails_loudly():
    with pytest.raises((IconDoesNotExist, TemplateSyntaxError)):
        render('{% icon "no-such-icon" %}')


def test_the_empty_state_has_an_icon_a_sentence_and_one_button():
    html = render(
        '{% include "components/empty_state.html" with icon="folder-open" title="No artifacts yet"'
        ' text="Add one." url="/portfolio/new/" action="New artifact" action_icon="plus" %}'
    )
    assert "icon-folder-open" in html
    assert "icon-plus" in html
    assert "No artifacts yet" in html
    assert "Add one." in html
    assert html.count("<a ") == 1
    assert '<a class="button primary" href="/portfolio/new/">' in html


def test_an_empty_state_without_an_action_has_no_button():
    html = render('{% include "components/empty_state.html" with text="Nothing here." %}')
    assert "<a " not in html
    assert "icon-inbox" in html  # the default icon
