"""Clocks of the work categories of an incident (the rules of ``incidents.sla`` apply:
calendar or business-hours clock, pausing statuses stop the clock).

* АВР: from the work's start, the incident type's SLA minutes and clock (no type → unknown).
* РВР: from the work's start, the chosen РВР priority's SLA minutes and clock (none → unknown).
  Their states are the SLA states (in progress, less than an hour left, expired, closed on time).
* ДГУ, ЭКС: a duration limit, ``WORK_DURATION_LIMIT_DAYS`` of calendar time from the start:
  shorter than ``WORK_SHORT_HOURS`` so far, within the limit, over the limit (open), over the
  limit (closed), closed within the limit.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.conf import settings

from incidents.models import IncidentWork, SlaClock, WorkCategory, WorkState
from incidents.sla import Interval, add_sla_minutes, pause_intervals, sla_state


class WorkClock(NamedTuple):
    deadline: datetime | None
    state: WorkState


def duration_state(work: IncidentWork, pauses: list[Interval], now: datetime) -> WorkClock:
    """The ДГУ/ЭКС clock: the limit and where the work stands against it."""
    limit = settings.WORK_DURATION_LIMIT_DAYS * 24 * 60
    deadline = add_sla_minutes(work.started_at, limit, SlaClock.CALENDAR, pauses)
    if work.ended_at is not None:
        within = deadline is None or work.ended_at <= deadline
        return WorkClock(
            deadline, WorkState.CLOSED_WITHIN_LIMIT if within else WorkState.OVER_LIMIT_CLOSED
        )
    if deadline is not None and now > deadline:
        return WorkClock(deadline, WorkState.OVER_LIMIT_OPEN)
    short = add_sla_minutes(
        work.started_at, settings.WORK_SHORT_HOURS * 60, SlaClock.CALENDAR, pauses
    )
    if short is not None and now < short:
        return WorkClock(deadline, WorkState.SHORT)
    return WorkClock(deadline, WorkState.WITHIN_LIMIT)


def work_clock(work: IncidentWork, history, now: datetime) -> WorkClock:
    """Deadline and state of ``work``; ``history`` is its incident's status history (with
    statuses), oldest first."""
    pauses = pause_intervals(history, until=work.ended_at or now)
    if work.category in (WorkCategory.DGU, WorkCategory.EKS):
        return duration_state(work, pauses, now)
    budget = work.incident.incident_type if work.category == WorkCategory.AVR else work.priority
    if budget is None:
        return WorkClock(None, WorkState.UNKNOWN)
    deadline = add_sla_minutes(work.started_at, budget.sla_minutes, budget.sla_clock, pauses)
    state = sla_state(
        deadline, is_finished=work.ended_at is not None, finished_at=work.ended_at, now=now
    )
    return WorkClock(deadline, WorkState(state.value))
