"""Report periods: a day, an ISO week, a month, a quarter or custom days, in ``TIME_ZONE``.

A period is half-open, ``[start, end)``, between local midnights (aware datetimes), so an
incident at 00:00 on the first day of the next period belongs to the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_CUSTOM_DAYS = 366 * 2


class PeriodKind(TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    CUSTOM = "custom", _("Custom")


@dataclass(frozen=True)
class Period:
    kind: str
    first_day: date
    last_day: date  # inclusive

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last_day + timedelta(days=1))

    def days(self) -> list[date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=n) for n in range(count)]


def local_midnight(day: date) -> datetime:
    """00:00 of ``day`` in the current time zone (DST-safe: ``make_aware`` picks the offset)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def period_for(kind: str, anchor: date, last_day: date | None = None) -> Period:
    """The period of ``kind`` containing ``anchor`` (``custom``: ``anchor``..``last_day``)."""
    if kind == PeriodKind.DAY:
        return Period(kind, anchor, anchor)
    if kind == PeriodKind.WEEK:
        monday = anchor - timedelta(days=anchor.weekday())
        return Period(kind, monday, monday + timedelta(days=6))
    if kind == PeriodKind.MONTH:
        first = anchor.replace(day=1)
        return Period(kind, first, _next_month(first) - timedelta(days=1))
    if kind == PeriodKind.QUARTER:
        first = anchor.replace(month=(anchor.month - 1) // 3 * 3 + 1, day=1)
        after = _next_month(_next_month(_next_month(first)))
        return Period(kind, first, after - timedelta(days=1))
    if kind == PeriodKind.CUSTOM:
        if last_day is None or last_day < anchor:
            raise ValueError("a custom period needs a last day on or after its first day")
        if (last_day - anchor).days >= MAX_CUSTOM_DAYS:
            raise ValueError("a custom period is at most two years long")
        return Period(kind, anchor, last_day)
    raise ValueError(f"unknown period kind {kind!r}")


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
