"""Keep the stored ``sla_deadline``/``sla_state`` of incidents current, set-based, in a number
of queries that does not depend on the number of incidents.

1. Incidents without a type: one UPDATE to (no deadline, Неизвестно).
2. Calendar-clock incidents that never entered a pausing status: one UPDATE computing
   ``incident_date + sla_minutes`` in SQL, touching only rows whose stored deadline differs.
3. The deadlines SQL cannot compute (business hours, pauses) in Python, in one pass (one query
   for the incidents, one for their history, one UPDATE of the changed rows), for the
   incidents whose deadline can move without a write: those waiting in a pausing status now
   (an ongoing pause is taken to end now) and those with no deadline stored yet — except the
   waiting ones on the calendar clock that this process's previous sweep wrote (their
   ``sla_swept_at`` is that sweep's moment and nothing wrote them since — ``updated_at`` still
   equals ``sla_swept_version`` — so their deadline was exact then): their remaining
   time is frozen, so one UPDATE moves their deadlines by the time passed since; and the
   waiting ones on the business-hours clock that a sweep of this process wrote last (within
   ``MOMENTS_KEPT``): their deadlines move by the business time passed since that sweep
   (``incidents.sla.counting_time``), computed without their history (one query, one UPDATE of
   the moved; at night nothing moves). Any other
   change of such a deadline comes with a write that stores it at once (a status —
   ``services.record_status``, a type — ``update_incident``, the type's SLA —
   ``apply_type_sla``); ``full=True`` recomputes every incident (a repair, e.g. after a
   status's «pauses SLA» was changed).
Steps 2 and 3 touch open incidents (and finished ones that never got a deadline): a finished
incident keeps the deadline it was finished with, also when its type's SLA changes later — the
rule ``services.apply_type_sla`` states.
4. States: one conditional UPDATE per state (open: expired / less than an hour / in progress;
   finished: expired / closed on time), each matching only rows whose state must change.
5. Incidents waiting for the requester whose ``auto_close_date`` has passed are closed through
   the workflow, each with a history comment (one query finds them, at most ``BATCH`` a sweep).
6. (Run first.) Work categories (АВР, РВР, ДГУ, ЭКС, ``incidents.work_sla``) not ended yet:
   the works of incidents waiting in a pausing status now (their deadlines move) and the
   «short» ДГУ/ЭКС works of incidents that were ever paused are recomputed in Python in one
   pass (3 queries), but the calendar-clock works of waiting incidents the previous sweep
   wrote move by one UPDATE, as in step 3, and their business-hours works (АВР, РВР) by the
   business time passed, without their history (2 queries; this step runs first, before the
   incidents' SLA columns are written);
   the other open works' states follow their stored deadlines in one conditional UPDATE per
   state (the deadline itself is stored with every write that moves it: ``work.set_work``,
   ``refresh_works`` on a status or type change, ``apply_type_sla``). ``full=True`` recomputes
   every work.
What a dispatcher sees as a change moves ``updated_at`` (the live queue and stream, the
«recently changed» order, the tracker push's extras): a new state (step 4), a deadline stored
for the first time or repaired (steps 1–3 outside a pause, ``full``). The deadline of an
incident waiting in a pausing status moving with the clock is no change (its remaining time is
frozen): those writes leave ``updated_at`` alone and mark the row with ``sla_swept_at`` /
``sla_swept_version`` only.
Before the steps, the sets they share are read once (``read_sets``: the pausing statuses, the
calendar-clock types and РВР priorities, the shiftable waiting incidents — on PostgreSQL as one
array), so every UPDATE filters one table by plain values: no join and no
correlated subquery, which PostgreSQL planned as a rescan per row on tables not analysed yet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from dispatch.statements.update import update_rows
from incidents import workflow
from incidents.models import (
    Actor,
    Incident,
    IncidentStatus,
    IncidentStatusHistory,
    IncidentType,
    IncidentWork,
    RvrPriority,
    SlaClock,
    SlaState,
    StatusKey,
    WorkCategory,
    WorkState,
)
from incidents.sla import add_counting_time, compute_sla, counting_time, sla_state
from incidents.work_sla import work_clock

logger = logging.getLogger(__name__)

BATCH = 500
# The moments of this process's sweeps (``now``: the previous one, ``moments``: those of the
# last ``MOMENTS_KEPT``): rows a sweep wrote (``sla_swept_at`` equal to its moment, ``updated_at``
# unchanged since: ``sla_swept_version``) are known exact as of that moment, which lets waiting
# ones move without their history (steps 3 and 6).
_previous: dict[str, Any] = {}
MOMENTS_KEPT = timedelta(days=4)  # a long weekend without a business minute
SLA_CATEGORIES = (WorkCategory.AVR, WorkCategory.RVR)
DURATION_CATEGORIES = (WorkCategory.DGU, WorkCategory.EKS)


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


class Sets(NamedTuple):
    """What the steps share, read once a sweep before any write (a fixed number of queries),
    so that their UPDATEs filter one table by plain values — no join, no correlated subquery
    (PostgreSQL re-ran those per row, for minutes, on tables not analysed yet)."""

    pausing: list[int]  # pausing statuses
    calendar: dict[int, int]  # incident types on the calendar clock: their SLA minutes
    priorities: dict[int, str]  # РВР priorities: their clock
    # waiting incidents a sweep of this process wrote (``_trusted_ids``) …
    # (on PostgreSQL id lists, checked as ``= ANY(array)``; elsewhere subqueries — ``_among``)
    trusted_business: QuerySet | list[int]  # … on the business-hours clock
    shiftable: QuerySet | list[int]  # … the previous sweep (at ``since``), any clock
    shiftable_calendar: QuerySet | list[int]  # … the previous sweep, on the calendar clock
    shiftable_business: QuerySet | list[int]  # … the previous sweep, on the business-hours clock

    def priorities_on(self, clock: str) -> list[int]:
        return [pk for pk, on in self.priorities.items() if on == clock]


def read_sets(since: datetime | None, moments: list[datetime]) -> Sets:
    pausing = list(IncidentStatus.objects.filter(pauses_sla=True).values_list("pk", flat=True))
    calendar = dict(
        IncidentType.objects.filter(sla_clock=SlaClock.CALENDAR).values_list("pk", "sla_minutes")
    )
    priorities = dict(RvrPriority.objects.values_list("pk", "sla_clock"))
    trusted = _trusted_ids(pausing, moments)
    if connection.vendor != "postgresql":
        business = Q(incident_type__isnull=False) & ~Q(incident_type_id__in=calendar)
        shiftable = trusted.filter(sla_swept_at=since)
        return Sets(
            pausing, calendar, priorities, trusted.filter(business), shiftable,
            shiftable.filter(incident_type_id__in=calendar), shiftable.filter(business),
        )  # fmt: skip
    rows = list(trusted.values_list("pk", "incident_type_id", "sla_swept_at"))
    business = [(pk, at) for pk, kind, at in rows if kind is not None and kind not in calendar]
    return Sets(
        pausing, calendar, priorities,
        [pk for pk, _ in business],
        [pk for pk, _, at in rows if at == since],
        [pk for pk, kind, at in rows if at == since and kind in calendar],
        [pk for pk, at in business if at == since],
    )  # fmt: skip


class _AnyOf(Func):
    """``field = ANY(ids)``: one array parameter, checked per row by hash or through an
    index (``IN (SELECT unnest(…))`` was planned as a nested loop over the whole table per id
    on tables with stale statistics)."""

    output_field = BooleanField()

    def __init__(self, field: str, values: list, kind: str) -> None:
        super().__init__(F(field))
        self.values, self.kind = values, kind

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{sql} = ANY(%s::{self.kind}[])", (*params, self.values)


def _among(field: str, values: QuerySet | list, kind: str = "bigint") -> Q:
    """``field`` is one of ``values`` (a subquery, or a list: on PostgreSQL one array of
    ``kind``)."""
    if isinstance(values, QuerySet) or connection.vendor != "postgresql":
        return Q(**{f"{field}__in": values})
    return Q(_AnyOf(field, values, kind))


def _ever_paused(pausing: list[int], field: str = "pk") -> Q:
    """Incidents (``field``: their id) with a history row in a pausing status: an uncorrelated
    subquery, hashed once by PostgreSQL."""
    rows = IncidentStatusHistory.objects.filter(status_id__in=pausing).values("incident_id")
    return Q(**{f"{field}__in": rows})


class MinutesAsDuration(Func):
    """An integer number of minutes as a duration (PostgreSQL interval / SQLite microseconds)."""

    output_field = DurationField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="make_interval(mins => %(expressions)s)")

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s * 60000000)")


def _calendar_deadline(calendar: dict[int, int]) -> ExpressionWrapper:
    """``incident_date`` + the SLA minutes of the incident's (calendar-clock) type."""
    minutes = Case(
        *(When(incident_type_id=pk, then=Value(sla)) for pk, sla in calendar.items()),
        default=Value(None),
        output_field=IntegerField(),
    )
    return ExpressionWrapper(
        F("incident_date") + MinutesAsDuration(minutes), output_field=DateTimeField()
    )


def update_untyped() -> int:
    return (
        Incident.objects.filter(incident_type__isnull=True)
        .exclude(sla_deadline__isnull=True, sla_state=SlaState.UNKNOWN)
        .update(sla_deadline=None, sla_state=SlaState.UNKNOWN, updated_at=Now())
    )


def _in_scope(full: bool) -> Q:
    """Open incidents and finished ones without a deadline; everything with ``full``."""
    return Q() if full else Q(is_finished=False) | Q(sla_deadline__isnull=True)


def update_calendar_deadlines(sets: Sets, *, full: bool = False) -> int:
    expected = _calendar_deadline(sets.calendar)
    return (
        Incident.objects.filter(_in_scope(full), incident_type_id__in=sets.calendar)
        .exclude(_ever_paused(sets.pausing))
        .alias(expected=expected)
        .exclude(sla_deadline=F("expected"))
        .update(sla_deadline=expected, updated_at=Now())
    )


def _needs_python(full: bool, sets: Sets) -> QuerySet[Incident]:
    """Business-hours or paused incidents in scope; without ``full`` only those waiting now
    (but the shiftable ones on the calendar clock) and those without a deadline."""
    kinds = Incident.objects.filter(_in_scope(full), incident_type__isnull=False)
    clocked = Q(incident_type__sla_clock=SlaClock.BUSINESS) | _ever_paused(sets.pausing)
    if full:
        return kinds.filter(clocked)
    waiting = (
        Q(status_id__in=sets.pausing)
        & ~_among("pk", sets.shiftable_calendar)
        & ~_among("pk", sets.trusted_business)
    )
    return kinds.filter(waiting | (Q(sla_deadline__isnull=True) & clocked))


def _trusted_ids(pausing: list[int], moments: list[datetime]) -> QuerySet[Incident]:
    """Waiting incidents a sweep of this process wrote last (``sla_swept_at`` is one of its
    ``moments`` and ``updated_at`` is still the ``sla_swept_version`` it wrote: nothing changed
    them since, and every waiting row's deadline and works
    were exact at the end of that sweep) whose newest history row (by time) is the pausing
    status (a status recorded with an earlier time than the rows after it is no ongoing
    pause): their remaining time is frozen, so the deadline moves with the clock. The history
    is read only for the rows the indexed filters leave. (With no previous sweep,
    ``sla_swept_at IS NULL`` matches nothing that counts.)"""
    newest = IncidentStatusHistory.objects.filter(incident=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    return (
        Incident.objects.filter(status_id__in=pausing)
        .filter(_among("sla_swept_at", moments, "timestamptz") if moments else Q(pk=None))
        .filter(updated_at=F("sla_swept_version"))
        .alias(pausing=Subquery(newest.values("status__pauses_sla")[:1]))
        .filter(pausing=True)
        .values("pk")
    )


def shift_waiting_deadlines(now: datetime, since: datetime | None, sets: Sets) -> int:
    """Move the deadlines of the shiftable incidents by the time since ``since`` (one
    UPDATE); a deadline already past when the pause began stays where it is."""
    rows = Incident.objects.filter(
        _among("pk", sets.shiftable_calendar), is_finished=False, sla_deadline__gt=since or now
    )
    delta = now - (since or now)
    return rows.update(
        sla_deadline=F("sla_deadline") + delta,
        sla_swept_at=now,
        sla_swept_version=F("updated_at"),
    )


def _moved(
    deadline: datetime | None, moment: datetime, now: datetime, passed: dict
) -> datetime | None:
    """A business-hours deadline exact at ``moment`` of a pause going on since before it,
    as of ``now``: the remaining time is frozen, so it moves by the business time passed
    (``passed`` caches it per moment); one already past when the pause began stays."""
    if deadline is None or deadline <= moment:
        return deadline
    if moment not in passed:
        passed[moment] = counting_time(moment, now, SlaClock.BUSINESS)
    if not passed[moment]:
        return deadline
    return add_counting_time(deadline, passed[moment], SlaClock.BUSINESS)


def shift_business_deadlines(now: datetime, sets: Sets) -> int:
    """The trusted waiting incidents on the business-hours clock: their deadlines move by the
    business time since the sweep that wrote them (one query, one UPDATE of the moved)."""
    rows = Incident.objects.filter(_among("pk", sets.trusted_business), is_finished=False)
    passed: dict[datetime, timedelta] = {}
    dirty = []
    read = rows.values_list("pk", "sla_swept_at", "updated_at", "sla_deadline")
    for pk, moment, version, deadline in read:
        moved = _moved(deadline, moment, now, passed)
        if moved != deadline:
            dirty.append((pk, moved, now, version))
    update_rows(Incident, ["sla_deadline", "sla_swept_at", "sla_swept_version"], dirty)
    return len(dirty)


class _Status(NamedTuple):
    pauses_sla: bool


class _Row(NamedTuple):
    """A status history row as the SLA rules read it (``created_at``, ``status.pauses_sla``)."""

    created_at: datetime
    status: _Status


_PAUSING, _RUNNING = _Status(True), _Status(False)


def _histories(incidents: QuerySet | list[int]) -> dict[int, list[_Row]]:
    """The status history of ``incidents`` (a query, or ids already read, passed as one
    PostgreSQL array) in one query, plain rows, oldest first."""
    ids = incidents.values("pk") if isinstance(incidents, QuerySet) else incidents
    rows = (
        IncidentStatusHistory.objects.filter(_among("incident_id", ids))
        .order_by("incident_id", "created_at", "id")
        .values_list("incident_id", "created_at", "status__pauses_sla")
    )
    history: dict[int, list[_Row]] = {}
    for incident_id, created_at, pauses in rows.iterator(chunk_size=5000):
        status = _PAUSING if pauses else _RUNNING
        history.setdefault(incident_id, []).append(_Row(created_at, status))
    return history


def _read(
    rows: QuerySet, incidents: QuerySet, *, full: bool, incident_at: int
) -> tuple[list[tuple], dict[int, list[_Row]]]:
    """``rows`` (a ``values_list``; the incident id at ``incident_at``) and the histories of
    their ``incidents``: on PostgreSQL the few rows of a steady sweep are read first and their
    histories by id; with ``full`` (or elsewhere) both by query (two queries either way)."""
    if full or connection.vendor != "postgresql":
        return list(rows.iterator(chunk_size=5000)), _histories(incidents)
    read = list(rows)
    return read, _histories(sorted({row[incident_at] for row in read}))


def update_computed_deadlines(now: datetime, sets: Sets, *, full: bool = False) -> int:
    candidates = _needs_python(full, sets)
    rows = candidates.values_list(
        "pk", "incident_date", "is_finished", "finished_at", "sla_deadline",
        "incident_type__sla_minutes", "incident_type__sla_clock", "status_id", "updated_at",
    )  # fmt: skip
    read, history = _read(rows, candidates, full=full, incident_at=0)
    pausing = set(sets.pausing)
    dirty = []
    for pk, date, finished, finished_at, stored, minutes, clock, status, version in read:
        incident = SimpleNamespace(
            incident_type=SimpleNamespace(sla_minutes=minutes, sla_clock=clock),
            incident_date=date, is_finished=finished, finished_at=finished_at,
        )  # fmt: skip
        deadline = compute_sla(incident, now, history.get(pk, [])).deadline
        if deadline != stored:
            paused = not full and stored is not None and status in pausing
            version = version if paused else now  # a pause moving it is no change
            dirty.append((pk, deadline, version, now, version))
    fields = ["sla_deadline", "updated_at", "sla_swept_at", "sla_swept_version"]
    update_rows(Incident, fields, dirty)
    return len(dirty)


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


def _works_for_python(now: datetime, full: bool, sets: Sets) -> QuerySet[IncidentWork]:
    """Works whose clock only Python can keep (see the module's step 6)."""
    works = IncidentWork.objects.all()
    if full:
        return works
    paused_now = Q(incident_id__in=_waiting(sets.pausing))
    settled = Q(state=WorkState.WITHIN_LIMIT, deadline__gte=now) | Q(
        state=WorkState.OVER_LIMIT_OPEN, deadline__lt=now
    )
    # ДГУ/ЭКС after a pause: their «short» threshold moved, SQL only confirms the settled ones
    after_pause = (
        Q(category__in=DURATION_CATEGORIES) & _ever_paused(sets.pausing, "incident_id") & ~settled
    )
    works = works.filter(paused_now | after_pause, ended_at__isnull=True)
    return works.exclude(_shiftable_works(sets)).exclude(_business_works(sets))


def _shiftable_works(sets: Sets) -> Q:
    """Open works on the calendar clock of the shiftable incidents: their remaining time (and
    so their state) is frozen."""
    return Q(ended_at__isnull=True) & (
        Q(category__in=DURATION_CATEGORIES) & _among("incident_id", sets.shiftable)
        | Q(category=WorkCategory.AVR) & _among("incident_id", sets.shiftable_calendar)
        | Q(category=WorkCategory.RVR, priority_id__in=sets.priorities_on(SlaClock.CALENDAR))
        & _among("incident_id", sets.shiftable)
    )


def _business_works(sets: Sets) -> Q:
    """Open works on the business-hours clock of the shiftable incidents (their incident's
    own row may be older, so only the previous sweep's works are known exact)."""
    return Q(ended_at__isnull=True) & (
        Q(category=WorkCategory.AVR) & _among("incident_id", sets.shiftable_business)
        | Q(category=WorkCategory.RVR, priority_id__in=sets.priorities_on(SlaClock.BUSINESS))
        & _among("incident_id", sets.shiftable)
    )


def shift_business_works(now: datetime, since: datetime | None, sets: Sets) -> int:
    """Move the deadlines of ``_business_works`` by the business time since ``since`` and
    set their states (one query, one UPDATE of the changed)."""
    works = IncidentWork.objects.filter(_business_works(sets))
    passed: dict[datetime, timedelta] = {}
    dirty = []
    for pk, deadline, state in works.values_list("pk", "deadline", "state"):
        moved = _moved(deadline, since, now, passed) if since else deadline
        clock = WorkState(sla_state(moved, is_finished=False, finished_at=None, now=now).value)
        if (moved, state) != (deadline, clock):
            dirty.append((pk, moved, clock))
    update_rows(IncidentWork, ["deadline", "state"], dirty)
    return len(dirty)


def shift_waiting_works(now: datetime, since: datetime | None, sets: Sets) -> int:
    """Move the deadlines of ``_shiftable_works`` by the time since ``since`` (one UPDATE)."""
    rows = IncidentWork.objects.filter(_shiftable_works(sets), deadline__gt=since or now)
    return rows.update(deadline=F("deadline") + (now - (since or now)))


def recompute_works(now: datetime, sets: Sets, *, full: bool = False) -> int:
    """Deadline and state of the works only Python can keep, in one pass."""
    works = _works_for_python(now, full, sets)
    rows = works.values_list(
        "pk", "incident_id", "category", "started_at", "ended_at", "deadline", "state",
        "incident__incident_type__sla_minutes", "incident__incident_type__sla_clock",
        "priority__sla_minutes", "priority__sla_clock",
    )  # fmt: skip
    incidents = Incident.objects.filter(pk__in=works.values("incident_id"))
    read, history = _read(rows, incidents, full=full, incident_at=1)
    dirty = []
    for pk, incident_id, category, started, ended, deadline, state, *budgets in read:
        type_minutes, type_clock, priority_minutes, priority_clock = budgets
        kind = SimpleNamespace(sla_minutes=type_minutes, sla_clock=type_clock)
        priority = SimpleNamespace(sla_minutes=priority_minutes, sla_clock=priority_clock)
        work = SimpleNamespace(
            category=category, started_at=started, ended_at=ended,
            incident=SimpleNamespace(incident_type=kind if type_minutes else None),
            priority=priority if priority_minutes else None,
        )  # fmt: skip
        clock = work_clock(work, history.get(incident_id, []), now)
        if (deadline, state) != (clock.deadline, clock.state):
            dirty.append((pk, clock.deadline, clock.state))
    update_rows(IncidentWork, ["deadline", "state"], dirty)
    return len(dirty)


def _waiting(pausing: list[int]) -> QuerySet[Incident]:
    return Incident.objects.filter(status_id__in=pausing).values("pk")


def update_work_states(now: datetime, pausing: list[int]) -> int:
    """The states of the other open works from their stored deadlines (one UPDATE a state)."""
    warn = now + timedelta(minutes=settings.SLA_WARNING_MINUTES)
    short_since = now - timedelta(hours=settings.WORK_SHORT_HOURS)
    open_works = IncidentWork.objects.filter(ended_at__isnull=True, deadline__isnull=False).exclude(
        incident_id__in=_waiting(pausing)  # recomputed in Python
    )
    sla = Q(category__in=SLA_CATEGORIES)
    duration = Q(category__in=DURATION_CATEGORIES)
    never_paused = ~_ever_paused(pausing, "incident_id")
    rules: list[tuple[Q, WorkState]] = [
        (sla & Q(deadline__lt=now), WorkState.EXPIRED),
        (sla & Q(deadline__gte=now, deadline__lte=warn), WorkState.LESS_THAN_HOUR),
        (sla & Q(deadline__gt=warn), WorkState.IN_PROGRESS),
        (duration & Q(deadline__lt=now), WorkState.OVER_LIMIT_OPEN),
        (
            duration & never_paused & Q(deadline__gte=now, started_at__gt=short_since),
            WorkState.SHORT,
        ),
        (
            duration & never_paused & Q(deadline__gte=now, started_at__lte=short_since),
            WorkState.WITHIN_LIMIT,
        ),
    ]
    return sum(
        open_works.filter(condition).exclude(state=state).update(state=state)
        for condition, state in rules
    )


def update_work_clocks(now: datetime, since: datetime | None, sets: Sets, *, full: bool) -> int:
    """Keep the stored deadline and state of the works current (step 6)."""
    changed = recompute_works(now, sets, full=full) + shift_business_works(now, since, sets)
    return changed + shift_waiting_works(now, since, sets) + update_work_states(now, sets.pausing)


def sweep_sla(now: datetime | None = None, *, full: bool = False) -> SweepReport:
    """Bring every incident's stored SLA deadline and state up to date."""
    now = now or timezone.now()
    last = _previous.get("now")
    since = last if not full and last is not None and last < now else None
    kept = [m for m in _previous.get("moments", []) if now - MOMENTS_KEPT < m < now]
    report = SweepReport()
    # read before any write: the trusted incidents are the ones earlier sweeps left
    sets = read_sets(since, [] if full else kept)
    report.works = update_work_clocks(now, since, sets, full=full)
    with transaction.atomic():
        report.untyped = update_untyped()
        report.calendar_deadlines = update_calendar_deadlines(sets, full=full)
    report.computed_deadlines = update_computed_deadlines(now, sets, full=full)
    report.computed_deadlines += shift_waiting_deadlines(now, since, sets)
    report.computed_deadlines += shift_business_deadlines(now, sets)
    report.states = update_states(now)
    report.auto_closed = close_unanswered(now)
    _previous["now"], _previous["moments"] = now, [*kept, now]
    return report
