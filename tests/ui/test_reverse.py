"""`{% url %}` remembers its answers (ui/reverse.py) without ever giving a wrong one."""

from __future__ import annotations

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import override_settings
from django.urls import NoReverseMatch, path

from ui import reverse as remembered


def _render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_the_same_call_is_reversed_once(monkeypatch):
    calls = []
    real = remembered.reverse

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(remembered, "reverse", counting)
    remembered._answers.clear()
    first = _render("{% url 'skills:detail' pk %}", pk=7)
    second = _render("{% url 'skills:detail' pk %}", pk=7)
    other = _render("{% url 'skills:detail' pk %}", pk=8)
    assert (first, second, other) == ("/skills/7/", "/skills/7/", "/skills/8/")
    assert len(calls) == 2


def test_as_variable_and_escaping_behave_as_djangos():
    assert _render("{% url 'portfolio:list' as u %}[{{ u }}]") == "[/portfolio/]"
    assert _render("{% url 'no-such-name' as u %}[{{ u }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        _render("{% url 'no-such-name' %}")
    with pytest.raises(TemplateSyntaxError):
        Template("{% url %}")


def test_a_model_argument_is_never_remembered(monkeypatch):
    """A model reverses by str(), which can change while the object stays the same."""

    class Named:
        def __init__(self, name: str) -> None:
            self.name = name

        def __str__(self) -> str:
            return self.name

    remembered._answers.clear()
    item = Named("7")
    assert _render("{% url 'skills:detail' item %}", item=item) == "/skills/7/"
    item.name = "8"
    assert _render("{% url 'skills:detail' item %}", item=item) == "/skills/8/"


urlpatterns = [path("elsewhere/<int:pk>/", lambda request, pk: None, name="moved")]


def test_another_url_configuration_is_never_answered_from_memory():
    assert _render("{% url 'portfolio:list' %}") == "/portfolio/"
    with override_settings(ROOT_URLCONF=__name__):
        assert _render("{% url 'moved' 3 %}") == "/elsewhere/3/"
        with pytest.raises(NoReverseMatch):
            _render("{% url 'portfolio:list' %}")
    assert _render("{% url 'portfolio:list' %}") == "/portfolio/"


def test_a_render_reads_the_prefix_and_configuration_once_and_the_next_its_own(monkeypatch):
    from django.urls import get_script_prefix, set_script_prefix

    reads = []
    real = remembered.resolver_environment

    def counting():
        reads.append(1)
        return real()

    monkeypatch.setattr(remembered, "resolver_environment", counting)
    source = "{% for pk in pks %}{% url 'skills:detail' pk %} {% endfor %}"
    assert _render(source, pks=[1, 2, 3]) == "/skills/1/ /skills/2/ /skills/3/ "
    assert len(reads) == 1
    # The next request is served under a script prefix (a sub-path deployment).
    before = get_script_prefix()
    set_script_prefix("/app/")
    try:
        assert _render(source, pks=[1]) == "/app/skills/1/ "
    finally:
        set_script_prefix(before)
    assert _render(source, pks=[1]) == "/skills/1/ "
