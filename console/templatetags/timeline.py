"""Template tags for parts of the incident page repeated once per row: the e-mails of its
timeline, its links, related incidents, comments.

``{% timeline_entries timeline can_work %}`` draws the timeline's entries in Python
(``console.timeline_html``), ``{% related_incidents mass_outage %}`` the related open incidents
(``console.mass_outage_html``).

``{% url %}`` resolves the pattern on every call and an ``{% include %}`` renders its template
node by node: per e-mail that is most of the timeline's cost. These produce the same HTML by
string substitution:

* ``{% id_url "console:email_eml" email.pk %}`` — the URL, built from one reversed pattern;
* ``{% per_email "console/_move.html" email.pk %}`` — the include rendered once per page with a
  placeholder e-mail and the e-mail's id put in (the template may use ``email.pk`` only).
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe

from console.mass_outage_html import related_rows
from console.timeline import TimelineEntry
from console.timeline_html import render_entries

register = template.Library()

# Stands for an id while a URL or an include is built once; no table reaches this id.
PLACEHOLDER = 9_100_000_000_000_000_017
_MARK = str(PLACEHOLDER)


@lru_cache(maxsize=256)
def _pattern(name: str, prefix: str, fixed: tuple) -> tuple[str, str]:
    """The URL of ``name`` with ``fixed`` arguments and the placeholder last, split at it."""
    head, _, tail = reverse(name, args=[*fixed, PLACEHOLDER]).partition(_MARK)
    return head, tail


@register.simple_tag
def id_url(name: str, *args: int) -> str:
    """``{% url name *args %}`` for integer arguments (``int`` path converters)."""
    *fixed, last = (int(arg) for arg in args)
    head, tail = _pattern(name, get_script_prefix(), tuple(fixed))
    return f"{head}{last}{tail}"


class _Placeholder:
    pk = PLACEHOLDER


@register.simple_tag(takes_context=True)
def per_email(context, template_name: str, email_pk: int) -> SafeString:
    """``{% include template_name %}`` for the e-mail ``email_pk`` (see the module)."""
    memo = context.render_context.setdefault("per_email", {})
    html = memo.get(template_name)
    if html is None:
        with context.push(email=_Placeholder()):
            html = context.template.engine.get_template(template_name).render(context)
        memo[template_name] = html
    return mark_safe(html.replace(_MARK, str(int(email_pk))))  # noqa: S308 (our own template)


@register.simple_tag(takes_context=True)
def timeline_entries(context, entries: list[TimelineEntry], can_work: bool) -> SafeString:
    """The timeline's entries (see ``console.timeline_html``), with the per-e-mail forms for
    those who may act on the incident."""

    def forms(template_name: str, email_pk: int) -> SafeString:
        return per_email(context, template_name, email_pk)

    return render_entries(entries, url=id_url, per_email=forms if can_work else None)


@register.simple_tag
def related_incidents(mass_outage: dict) -> SafeString:
    """The mass-outage section's related open incidents (see ``console.mass_outage_html``)."""
    return related_rows(mass_outage["related"], can_group=mass_outage["can_group"], url=id_url)
