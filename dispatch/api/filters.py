"""Strict filter building blocks: bad values are a 400, never ignored or a server error."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone
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
