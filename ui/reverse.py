"""`{% url %}` with its answers remembered (a builtin, so every template gets it).

Reversing a URL name walks the URL resolver: about 40 µs each, and a CRM
review page of 60 proposals made 200 of them, a quarter of its time
(docs/performance.md). The answer depends only on the name, the arguments and
the URL configuration in force, so each distinct call is worked out once per
process and then looked up. Only plain arguments (str, int) are remembered: a
model passed as an argument is reversed by its `str()`, which can change
without its identity changing, so such calls are always reversed afresh.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Context, Library
from django.template.base import Parser, Token
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

MAX_ENTRIES = 20_000  # a few MB at most; emptied, not evicted, when full
_answers: dict[tuple, str] = {}
_PLAIN = (str, int)
_ENVIRONMENT = object()  # the render context's key for resolver_environment()


def resolver_environment() -> tuple[str, str]:
    """What else a reversal depends on, besides the language: the script prefix and
    the URL configuration, which Django's handler sets when a request starts and
    nothing changes while a response renders (about 4.5 µs to read, from
    thread-locals)."""
    return get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF


def remembered_reverse(
    view_name: str,
    args: list[Any],
    kwargs: dict[str, Any],
    current_app: str | None,
    environment: tuple[str, str] | None = None,
) -> str:
    if not all(type(a) in _PLAIN for a in args) or not all(
        type(v) in _PLAIN for v in kwargs.values()
    ):
        return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    key = (
        view_name,
        tuple(args),
        tuple(sorted(kwargs.items())),
        current_app,
        environment or resolver_environment(),
        # Read each time: {% language %} changes it in the middle of a template.
        get_language(),
    )
    answer = _answers.get(key)
    if answer is None:
        answer = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        if len(_answers) >= MAX_ENTRIES:
            _answers.clear()
        _answers[key] = answer
    return answer


@receiver(setting_changed)
def _forget(**_: Any) -> None:
    """Tests that swap the URL configuration (override_settings) start afresh."""
    _answers.clear()


class RememberedURLNode(URLNode):
    """Django's URLNode.render, reversing through `remembered_reverse`."""

    def render(self, context: Context) -> str:
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        # Read once per template rendered, not per tag: a page's tabs and rows make
        # dozens of reversals (docs/performance.md, "Sixth round").
        environment = context.render_context.get(_ENVIRONMENT)
        if environment is None:
            environment = context.render_context[_ENVIRONMENT] = resolver_environment()
        url = ""
        try:
            url = remembered_reverse(view_name, args, kwargs, current_app, environment)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


def url(parser: Parser, token: Token) -> RememberedURLNode:
    node = django_url(parser, token)  # Django's own parsing and error messages
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)


def register_url_tag(library: Library) -> None:
    library.tag("url", url)
