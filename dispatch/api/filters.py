"""Strict filter building blocks: bad values are a 400, never ignored or a server error."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone

MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """A positive database id (bounded, so huge numbers are rejected instead of overflowing)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


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


def day_start(day) -> datetime:
    """Midnight of ``day`` in the configured time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def next_day_start(day) -> datetime:
    return day_start(day + timedelta(days=1))
