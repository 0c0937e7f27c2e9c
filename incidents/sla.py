"""SLA engine: the deadline and state of an incident, computed from its type and history.

* Start: ``incident_date``. Budget: ``IncidentType.sla_minutes``. No type → no deadline.
* Clock per type: ``calendar`` (default, as the original: every minute counts) or ``business``
  (only ``SLA_BUSINESS_HOURS`` on Monday–Friday in ``TIME_ZONE``, Russian public holidays off,
  from the ``holidays`` package).
* Statuses with ``pauses_sla`` (none by default; e.g. «Ждем подтверждения» when an admin ticks
  it) stop the clock while the incident is in them. An ongoing pause is taken to end now, so the
  deadline moves forward while the incident waits.
* State, evaluated at the finish time for finished incidents and at ``now`` otherwise: no deadline
  → Неизвестно; past the deadline → Просрочен; finished → Закрыт вовремя; less than
  ``SLA_WARNING_MINUTES`` left → Осталось менее часа; otherwise В работе. (Unlike the original,
  an incident finished on time is always "closed on time".)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.utils import timezone

from incidents.models import Incident, IncidentStatusHistory, SlaClock, SlaState

MAX_SLA_DAYS = 3660  # bound on the calendar walk (10 years)

Interval = tuple[datetime, datetime]


class SlaResult(NamedTuple):
    deadline: datetime | None
    state: SlaState


@dataclass(frozen=True)
class BusinessHours:
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> BusinessHours:
        """``"09:00-18:00"`` → BusinessHours; ValueError with the reason otherwise."""
        try:
            raw_start, raw_end = (part.strip() for part in text.split("-", 1))
            start, end = time.fromisoformat(raw_start), time.fromisoformat(raw_end)
        except ValueError as exc:
            raise ValueError(
                f"SLA_BUSINESS_HOURS must look like 09:00-18:00, got {text!r}"
            ) from exc
        if start >= end:
            raise ValueError(f"SLA_BUSINESS_HOURS must end after it starts, got {text!r}")
        return cls(start, end)


def business_hours() -> BusinessHours:
    return BusinessHours.parse(settings.SLA_BUSINESS_HOURS)


@lru_cache(maxsize=1)
def _russian_holidays() -> holidays.HolidayBase:
    return holidays.country_holidays("RU")


def is_working_day(day: date) -> bool:
    """Monday–Friday and not a Russian public holiday."""
    return day.weekday() < 5 and day not in _russian_holidays()


def working_intervals(start: datetime, clock: str) -> Iterator[Interval]:
    """Time that counts towards the SLA from ``start`` on, before pauses are removed."""
    if clock != SlaClock.BUSINESS:
        yield start, start + timedelta(days=MAX_SLA_DAYS)
        return
    zone = ZoneInfo(settings.TIME_ZONE)
    hours = business_hours()
    day = start.astimezone(zone).date()
    for _ in range(MAX_SLA_DAYS):
        if is_working_day(day):
            opens = datetime.combine(day, hours.start, tzinfo=zone)
            closes = datetime.combine(day, hours.end, tzinfo=zone)
            if closes > start:
                yield max(opens, start), closes
        day += timedelta(days=1)


def pause_intervals(history: Iterable[IncidentStatusHistory], until: datetime) -> list[Interval]:
    """Periods spent in pausing statuses; an ongoing pause ends at ``until``."""
    pauses: list[Interval] = []
    paused_since: datetime | None = None
    for row in history:
        if row.status.pauses_sla:
            if paused_since is None:
                paused_since = row.created_at
        elif paused_since is not None:
            pauses.append((paused_since, row.created_at))
            paused_since = None
    if paused_since is not None and until > paused_since:
        pauses.append((paused_since, until))
    return pauses


def _minus(intervals: Iterable[Interval], pauses: list[Interval]) -> Iterator[Interval]:
    """``intervals`` with the (sorted) ``pauses`` cut out."""
    for start, end in intervals:
        cursor = start
        for p_start, p_end in pauses:
            if p_end <= cursor or p_start >= end:
                continue
            if p_start > cursor:
                yield cursor, p_start
            cursor = max(cursor, p_end)
            if cursor >= end:
                break
        if cursor < end:
            yield cursor, end


def add_sla_minutes(
    start: datetime, minutes: int, clock: str, pauses: list[Interval] | None = None
) -> datetime | None:
    """The moment when ``minutes`` of counting time have passed since ``start``."""
    return add_counting_time(start, timedelta(minutes=minutes), clock, pauses)


def counting_time(start: datetime, end: datetime, clock: str) -> timedelta:
    """The time that counts on ``clock`` between ``start`` and ``end`` (no pauses)."""
    total = timedelta()
    for seg_start, seg_end in working_intervals(start, clock):
        if seg_start >= end:
            break
        total += min(seg_end, end) - seg_start
    return total


def add_counting_time(
    start: datetime, remaining: timedelta, clock: str, pauses: list[Interval] | None = None
) -> datetime | None:
    """The moment when ``remaining`` counting time has passed since ``start``."""
    for seg_start, seg_end in _minus(working_intervals(start, clock), sorted(pauses or [])):
        if seg_end - seg_start >= remaining:
            return seg_start + remaining
        remaining -= seg_end - seg_start
    return None


def sla_state(
    deadline: datetime | None, *, is_finished: bool, finished_at: datetime | None, now: datetime
) -> SlaState:
    """The SLA state for a deadline, as seen at the finish time (finished) or ``now``."""
    if deadline is None:
        return SlaState.UNKNOWN
    check = finished_at if is_finished and finished_at else now
    if check > deadline:
        return SlaState.EXPIRED
    if is_finished:
        return SlaState.CLOSED_ON_TIME
    if deadline - check <= timedelta(minutes=settings.SLA_WARNING_MINUTES):
        return SlaState.LESS_THAN_HOUR
    return SlaState.IN_PROGRESS


def compute_sla(
    incident: Incident, now: datetime | None = None, history: list | None = None
) -> SlaResult:
    """Deadline and state of ``incident`` (reads its history unless it was prefetched or
    given: its rows with statuses, oldest first)."""
    now = now or timezone.now()
    incident_type = incident.incident_type
    if incident_type is None:
        return SlaResult(None, SlaState.UNKNOWN)
    check = incident.finished_at if incident.is_finished and incident.finished_at else now
    if history is None:
        history = incident.status_history.all()
        if not _is_prefetched(incident):
            history = history.select_related("status")
    pauses = pause_intervals(history, until=check)
    deadline = add_sla_minutes(
        incident.incident_date, incident_type.sla_minutes, incident_type.sla_clock, pauses
    )
    state = sla_state(
        deadline, is_finished=incident.is_finished, finished_at=incident.finished_at, now=now
    )
    return SlaResult(deadline, state)


def _is_prefetched(incident: Incident) -> bool:
    return "status_history" in getattr(incident, "_prefetched_objects_cache", {})
