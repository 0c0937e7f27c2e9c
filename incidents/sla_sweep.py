"""Keep the stored ``sla_deadline``/``sla_state`` of incidents current, set-based.

1. Incidents without a type: one UPDATE to (no deadline, Неизвестно).
2. Calendar-clock incidents that never entered a pausing status: one UPDATE computing
   ``incident_date + sla_minutes`` in SQL, touching only rows whose stored deadline differs.
3. The rest (business hours, pauses): recomputed in Python with ``compute_sla`` in batches
   (2 queries per batch, ``bulk_update`` of changed rows only).
Steps 2 and 3 touch open incidents (and finished ones that never got a deadline): a finished
incident keeps the deadline it was finished with, also when its type's SLA changes later — the
rule ``services.apply_type_sla`` states. ``full=True`` recomputes every incident (a repair).
4. States: one conditional UPDATE per state (open: expired / less than an hour / in progress;
   finished: expired / closed on time), each matching only rows whose state must change.
5. Incidents waiting for the requester whose ``auto_close_date`` has passed are closed through
   the workflow, each with a history comment (one query finds them).
6. Work categories (АВР, РВР, ДГУ, ЭКС, ``incidents.work_sla``): the works not ended yet (all
   with ``full=True``; an ended work's clock was settled when it ended) recomputed in batches
   (3 queries per batch, ``bulk_update`` of changed rows only).
Every write also moves ``updated_at`` so the live queue and the tracker push see the change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import (
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from incidents import workflow
from incidents.models import (
    Actor,
    Incident,
    IncidentStatusHistory,
    IncidentType,
    IncidentWork,
    SlaClock,
    SlaState,
    StatusKey,
)
from incidents.sla import compute_sla
from incidents.work_sla import work_clock

logger = logging.getLogger(__name__)

BATCH = 500


@dataclass
class SweepReport:
    untyped: int = 0
    calendar_deadlines: int = 0
    computed_deadlines: int = 0
    states: int = 0
    auto_closed: int = 0
    works: int = 0

    def __str__(self) -> str:
        return (
            f"untyped={self.untyped} calendar_deadlines={self.calendar_deadlines} "
            f"computed_deadlines={self.computed_deadlines} states={self.states} "
            f"auto_closed={self.auto_closed} works={self.works}"
        )


def _ever_paused() -> Exists:
    return Exists(
        IncidentStatusHistory.objects.filter(incident=OuterRef("pk"), status__pauses_sla=True)
    )


class MinutesAsDuration(Func):
    """An integer number of minutes as a duration (PostgreSQL interval / SQLite microseconds)."""

    output_field = DurationField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="make_interval(mins => %(expressions)s)")

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s * 60000000)")


def _calendar_deadline() -> ExpressionWrapper:
    sla = IncidentType.objects.filter(pk=OuterRef("incident_type_id"))
    budget = Subquery(
        sla.annotate(budget=MinutesAsDuration("sla_minutes")).values("budget")[:1],
        output_field=DurationField(),
    )
    return ExpressionWrapper(F("incident_date") + budget, output_field=DateTimeField())


def update_untyped() -> int:
    return (
        Incident.objects.filter(incident_type__isnull=True)
        .exclude(sla_deadline__isnull=True, sla_state=SlaState.UNKNOWN)
        .update(sla_deadline=None, sla_state=SlaState.UNKNOWN, updated_at=Now())
    )


def _in_scope(full: bool) -> Q:
    """Open incidents and finished ones without a deadline; everything with ``full``."""
    return Q() if full else Q(is_finished=False) | Q(sla_deadline__isnull=True)


def update_calendar_deadlines(*, full: bool = False) -> int:
    expected = _calendar_deadline()
    return (
        Incident.objects.filter(_in_scope(full), incident_type__sla_clock=SlaClock.CALENDAR)
        .exclude(_ever_paused())
        .alias(expected=expected)
        .exclude(sla_deadline=F("expected"))
        .update(sla_deadline=expected, updated_at=Now())
    )


def _needs_python(full: bool) -> QuerySet[Incident]:
    return Incident.objects.filter(_in_scope(full), incident_type__isnull=False).filter(
        Q(incident_type__sla_clock=SlaClock.BUSINESS) | _ever_paused()
    )


def update_computed_deadlines(now: datetime, *, full: bool = False) -> int:
    changed = 0
    ids = list(_needs_python(full).order_by("pk").values_list("pk", flat=True))
    for offset in range(0, len(ids), BATCH):
        batch = (
            Incident.objects.filter(pk__in=ids[offset : offset + BATCH])
            .select_related("incident_type")
            .prefetch_related("status_history__status")
        )
        dirty = []
        for incident in batch:
            deadline = compute_sla(incident, now).deadline
            if deadline != incident.sla_deadline:
                incident.sla_deadline = deadline
                incident.updated_at = now
                dirty.append(incident)
        Incident.objects.bulk_update(dirty, ["sla_deadline", "updated_at"])
        changed += len(dirty)
    return changed


def update_states(now: datetime) -> int:
    warn = now + timedelta(minutes=settings.SLA_WARNING_MINUTES)
    typed = Incident.objects.filter(incident_type__isnull=False)
    rules: list[tuple[Q, SlaState]] = [
        (Q(sla_deadline__isnull=True), SlaState.UNKNOWN),
        (Q(is_finished=False, sla_deadline__lt=now), SlaState.EXPIRED),
        (
            Q(is_finished=False, sla_deadline__gte=now, sla_deadline__lte=warn),
            SlaState.LESS_THAN_HOUR,
        ),
        (Q(is_finished=False, sla_deadline__gt=warn), SlaState.IN_PROGRESS),
        (Q(is_finished=True, finished_at__gt=F("sla_deadline")), SlaState.EXPIRED),
        (Q(is_finished=True, finished_at__lte=F("sla_deadline")), SlaState.CLOSED_ON_TIME),
    ]
    return sum(
        typed.filter(condition).exclude(sla_state=state).update(sla_state=state, updated_at=now)
        for condition, state in rules
    )


def close_unanswered(now: datetime) -> int:
    """Close the incidents that waited for the requester past their ``auto_close_date``."""
    closed = 0
    due = Incident.objects.filter(auto_close_date__lte=now, is_finished=False).select_related(
        "status"
    )
    for incident in due.order_by("auto_close_date", "pk")[:BATCH]:
        comment = gettext(
            "Closed automatically: the requester did not answer in status «%(status)s» until "
            "%(date)s."
        ) % {
            "status": incident.status.name,
            "date": date_format(timezone.localtime(incident.auto_close_date), "d.m.Y H:i"),
        }
        try:
            workflow.change_status(incident, StatusKey.CLOSED, actor=Actor.SYSTEM, comment=comment)
        except workflow.TransitionError as exc:
            logger.warning("incident=%s not closed automatically: %s", incident.pk, exc)
            continue
        closed += 1
    return closed


def update_work_clocks(now: datetime, *, full: bool = False) -> int:
    """Recompute the stored deadline and state of the works that can still change."""
    works = IncidentWork.objects.all()
    if not full:
        works = works.filter(ended_at__isnull=True)
    ids = list(works.order_by("pk").values_list("pk", flat=True))
    changed = 0
    for offset in range(0, len(ids), BATCH):
        batch = (
            IncidentWork.objects.filter(pk__in=ids[offset : offset + BATCH])
            .select_related("incident__incident_type", "priority")
            .prefetch_related(
                Prefetch(
                    "incident__status_history",
                    IncidentStatusHistory.objects.select_related("status").order_by(
                        "created_at", "id"
                    ),
                )
            )
        )
        dirty = []
        for work in batch:
            clock = work_clock(work, work.incident.status_history.all(), now)
            if (work.deadline, work.state) != (clock.deadline, clock.state):
                work.deadline, work.state = clock.deadline, clock.state
                dirty.append(work)
        IncidentWork.objects.bulk_update(dirty, ["deadline", "state"])
        changed += len(dirty)
    return changed


def sweep_sla(now: datetime | None = None, *, full: bool = False) -> SweepReport:
    """Bring every incident's stored SLA deadline and state up to date."""
    now = now or timezone.now()
    report = SweepReport()
    with transaction.atomic():
        report.untyped = update_untyped()
        report.calendar_deadlines = update_calendar_deadlines(full=full)
    report.computed_deadlines = update_computed_deadlines(now, full=full)
    report.states = update_states(now)
    report.auto_closed = close_unanswered(now)
    report.works = update_work_clocks(now, full=full)
    return report
