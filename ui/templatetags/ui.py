"""`{% icon "name" %}`: a Lucide icon (the `lucide` package) as inline SVG.

A builtin (config/settings.py), so a template uses it without `{% load %}`.
Icons sit beside a visible word, so by default they are decorative: hidden
from assistive technology and never focusable. Give `label` only when the
icon is the control's whole name (an icon-only button), and it becomes an
image with that name instead.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString
from lucide.templatetags.lucide import lucide

register = template.Library()


@register.simple_tag
def icon(name: str, *, size: int = 16, label: str = "", css: str = "") -> SafeString:
    attrs: dict[str, str] = {"class": f"icon icon-{name} {css}".strip(), "focusable": "false"}
    if label:
        attrs.update(role="img", aria_label=label)
    else:
        attrs["aria_hidden"] = "true"
    return lucide(name, size=size, **attrs)
