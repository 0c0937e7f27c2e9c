"""Strict filter building blocks: bad values are a 400, never ignored or a server error."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field

MAX_ID = 2**63 - 1
MAX_TEXT = 256
# Dates outside this range are clamped (no overflow when converting to UTC).
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(9000, 12, 31)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A positive database id (bounded, so huge numbers are rejected instead of overflowing)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "boolean"})
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """``true`` or ``false``; anything else is a validation error."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        kwargs.setdefault("empty_value", None)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None or value == "":
            return qs
        return super().filter(qs, value)


@extend_schema_field({"type": "string", "maxLength": MAX_TEXT, "pattern": "^[^\\u0000]*$"})
class TextFilter(django_filters.CharFilter):
    """Free text of at most 256 characters (no NUL: databases refuse it)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", MAX_TEXT)
        super().__init__(*args, **kwargs)


def day_start(day) -> datetime:
    """Midnight of ``day`` in the configured time zone."""
    day = min(max(day, EARLIEST_DAY), LATEST_DAY)
    return timezone.make_aware(datetime.combine(day, time.min))


def next_day_start(day) -> datetime:
    return day_start(min(day, LATEST_DAY) + timedelta(days=1))


def single_ordering(*fields: str, default: str) -> django_filters.ChoiceFilter:
    """``ordering``: one field, ``-`` for descending (a choice, so anything else is a 400)."""
    choices = sorted([*fields, *(f"-{f}" for f in fields)])

    def order(qs, name: str, value: str):
        return qs.order_by(value, "-id" if value.startswith("-") else "id") if value else qs

    return django_filters.ChoiceFilter(
        choices=[(c, c) for c in choices],
        method=order,
        help_text=f"Sort field, `-` for descending. Default: `{default}`.",
    )


class StrictFilterSet(django_filters.FilterSet):
    """Refuses what the schema refuses: a single-valued parameter given several times, and an
    empty value where the schema asks for a number, a boolean, a date or a choice."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        getlist = getattr(self.data, "getlist", None)
        if getlist is None:
            return valid
        for name, flt in self.filters.items():
            values = getlist(name)
            if len(values) > 1 and not isinstance(flt, django_filters.MultipleChoiceFilter):
                self.form.add_error(name, _("Give this parameter once."))
                valid = False
            elif "" in values and not isinstance(flt, TextFilter):
                self.form.add_error(name, _("This parameter cannot be empty."))
                valid = False
        return valid
