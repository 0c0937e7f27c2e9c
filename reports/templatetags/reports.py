"""Formatting of report figures: durations in days/hours/minutes, shares in percent."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """``1 д 02 ч 30 мин`` style (the days part only when there are days); ``—`` for None."""
    if value is None:
        return "—"
    minutes = round(value.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)02d h %(m)02d min") % {"d": days, "h": hours, "m": minutes}
    return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}


@register.filter
def percent(value: float | None) -> str:
    """``60,0 %``; ``—`` for None."""
    if value is None:
        return "—"
    return f"{number_format(value * 100, 1)} %"
