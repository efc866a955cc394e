"""`{% icon "name" %}`, and `{% url %}` with its answers remembered (ui/reverse.py).

`{% icon "name" %}`: a Lucide icon (the `lucide` package) as inline SVG.

A builtin (config/settings.py), so a template uses it without `{% load %}`.
Icons sit beside a visible word, so by default they are decorative: hidden
from assistive technology and never focusable. Give `label` only when the
icon is the control's whole name (an icon-only button), and it becomes an
image with that name instead.
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.utils.safestring import SafeString
from lucide.templatetags.lucide import lucide

from ui.fragments import fingerprint, fragment
from ui.reverse import register_url_tag

register = template.Library()
register_url_tag(register)  # overrides Django's {% url %}: builtins load after its own
register.tag("fragment", fragment)  # {% fragment "name" key %}: ui/fragments.py


@register.simple_tag
def icon(name: str, *, size: int = 16, label: str = "", css: str = "") -> SafeString:
    return _icon(str(name), int(size), str(label), str(css))


# An icon's SVG depends on its arguments only, and lucide builds it by parsing,
# copying and serialising XML (about 0.1 ms each; a page shows 10 to 30): each
# distinct icon is built once per process. Labels are the only free text, and few.
@lru_cache(maxsize=1024)
def _icon(name: str, size: int, label: str, css: str) -> SafeString:
    attrs: dict[str, str] = {"class": f"icon icon-{name} {css}".strip(), "focusable": "false"}
    if label:
        attrs.update(role="img", aria_label=label)
    else:
        attrs["aria_hidden"] = "true"
    return lucide(name, size=size, **attrs)


@register.filter
def nav_section(path: str) -> str:
    """The main nav's section of a path, its first segment ("" for the dashboard): the
    link the header marks as current, and part of the header's fragment key."""
    return str(path).split("/", 2)[1] if str(path).startswith("/") else ""


@register.simple_tag(takes_context=True)
def header_key(context: template.Context, section: str) -> str:
    """The site header's fragment key (base.html): all it shows is this user's name,
    email and staff flag, and which section is current; the rest is constant."""
    user = context.get("user")
    if user is None:
        return ""  # rendered without a request: not cached
    if not user.is_authenticated:
        return str(fingerprint("anonymous"))
    return str(fingerprint(user.pk, user.email, user.get_short_name(), user.is_staff, section))
