"""``{% nav_links "page" %}``: the main navigation (``console/_nav.html``) rendered once per
distinct (language, URL settings, current application, page, the user's superuser flag and role),
which is everything it shows; it carries no CSRF token. The first render of each key is the
template's own, so the output is exactly what ``{% include "console/_nav.html" with nav=… %}``
gives."""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace
from typing import NamedTuple

from django import template
from django.template import Context
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from console.templatetags.url_memo import _current_app

register = template.Library()

NAV_TEMPLATE = "console/_nav.html"
NAV_MEMO_SIZE = 256  # pages × roles × languages (a few dozen in practice)


class _NavKey(NamedTuple):
    language: str | None
    script_prefix: str
    urlconf: object
    current_app: str | None
    nav: str
    is_superuser: bool
    role: str


@register.simple_tag(takes_context=True)
def nav_links(context, nav: str) -> SafeString:
    """The navigation for page ``nav`` as the context's user sees it."""
    user = context.get("user")
    key = _NavKey(
        get_language(),
        get_script_prefix(),
        get_urlconf(),
        _current_app(context),
        nav,
        bool(getattr(user, "is_superuser", False)),
        str(getattr(user, "role", "")),
    )
    return _nav_html(key)


@lru_cache(maxsize=NAV_MEMO_SIZE)
def _nav_html(key: _NavKey) -> SafeString:
    """A function of ``key`` alone (its language and URL settings are the active ones)."""
    context = Context(
        {"nav": key.nav, "user": {"is_superuser": key.is_superuser, "role": key.role}},
        autoescape=True,
    )
    context.request = SimpleNamespace(current_app=key.current_app)
    return get_template(NAV_TEMPLATE).template.render(context)
