"""The sla_sweep worker keeps stored SLA deadline/state equal to compute_sla, set-based."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import sla_sweep
from incidents.defaults import load_defaults
from incidents.models import (
    Incident,
    IncidentStatus,
    IncidentStatusHistory,
    IncidentType,
    IncidentWork,
    RvrPriority,
    SlaClock,
    SlaState,
    StatusKey,
)
from incidents.services import create_incident, record_status
from incidents.sla import compute_sla
from incidents.sla_sweep import sweep_sla
from incidents.work_sla import work_clock

pytestmark = pytest.mark.django_db

S = StatusKey


@pytest.fixture(autouse=True)
def _setup():
    load_defaults()
    IncidentStatus.objects.filter(key=S.NEED_ACCEPTANCE).update(pauses_sla=True)


def build(n: int, now) -> None:
    """A mix of every SLA situation, ``n`` times."""
    calendar = IncidentType.objects.get_or_create(name="Календарь", defaults={"sla_minutes": 240})[
        0
    ]
    business = IncidentType.objects.get_or_create(
        name="Рабочие часы", defaults={"sla_minutes": 600, "sla_clock": SlaClock.BUSINESS}
    )[0]
    for i in range(n):
        untyped = create_incident(incident_date=now - timedelta(hours=1))
        Incident.objects.filter(pk=untyped.pk).update(sla_deadline=now, sla_state=SlaState.EXPIRED)
        for kind, age in ((calendar, 1), (calendar, 3.5), (calendar, 5), (business, 30)):
            incident = create_incident(incident_date=now - timedelta(hours=age), subject=f"{i}")
            incident.incident_type = kind
            incident.save()
        paused = create_incident(incident_date=now - timedelta(hours=6))
        paused.incident_type = calendar
        paused.save()
        record_status(paused, S.NEED_ACCEPTANCE, actor="tracker", at=now - timedelta(hours=5))
        for finish_after in (2, 5):
            done = create_incident(incident_date=now - timedelta(hours=10))
            done.incident_type = calendar
            done.save()
            record_status(done, S.IN_PROGRESS, actor="tracker", at=now - timedelta(hours=10))
            record_status(
                done, S.CLOSED, actor="tracker", at=now - timedelta(hours=10 - finish_after)
            )
    # status changes store the SLA as they happen; the sweep starts here from nothing stored
    Incident.objects.filter(incident_type__isnull=False).update(
        sla_deadline=None, sla_state=SlaState.UNKNOWN
    )


def assert_stored_equals_computed(now) -> None:
    for incident in Incident.objects.select_related("incident_type"):
        expected = compute_sla(incident, now)
        assert (incident.sla_deadline, incident.sla_state) == expected, incident.pk


def test_sweep_stores_what_compute_sla_says_and_then_has_nothing_to_do():
    now = timezone.now()
    build(2, now)
    with time_machine.travel(now, tick=False):
        report = sweep_sla(now)
        assert report.untyped == 2
        assert report.calendar_deadlines == 10
        assert report.computed_deadlines == 4  # business + paused
        assert_stored_equals_computed(now)
        states = set(Incident.objects.values_list("sla_state", flat=True))
        assert states == set(SlaState)
        again = sweep_sla(now)
    assert (again.untyped, again.calendar_deadlines, again.computed_deadlines, again.states) == (
        0,
        0,
        0,
        0,
    )


def test_states_move_on_as_time_passes():
    now = timezone.now()
    build(1, now)
    sweep_sla(now)
    later = now + timedelta(hours=3)
    report = sweep_sla(later)
    assert report.states > 0
    assert_stored_equals_computed(later)


def test_sweep_query_count_does_not_grow_with_the_number_of_incidents():
    now = timezone.now()
    build(1, now)
    with CaptureQueriesContext(connection) as small:
        sweep_sla(now)
    Incident.objects.update(sla_deadline=None, sla_state=SlaState.UNKNOWN)
    build(6, now)
    Incident.objects.update(sla_deadline=None, sla_state=SlaState.UNKNOWN)
    with CaptureQueriesContext(connection) as large:
        sweep_sla(now)
    assert len(large) == len(small)
    assert Incident.objects.count() == 7 * 8


def test_sla_sweep_command_runs_one_cycle():
    now = timezone.now()
    build(1, now)
    call_command("sla_sweep", "--once")
    assert not Incident.objects.filter(
        incident_type__isnull=False, sla_deadline__isnull=True
    ).exists()


def test_a_state_change_moves_updated_at_so_the_live_queue_sees_it():
    now = timezone.now()
    kind = IncidentType.objects.create(name="Четыре часа", sla_minutes=240)
    incident = create_incident(incident_date=now - timedelta(hours=5))
    incident.incident_type = kind
    incident.save()
    before = Incident.objects.get(pk=incident.pk).updated_at
    with time_machine.travel(now + timedelta(minutes=1), tick=False):
        sweep_sla(now=timezone.now())
    swept = Incident.objects.get(pk=incident.pk)
    assert swept.sla_state == SlaState.EXPIRED
    assert swept.updated_at > before


def _waiting_with_works(n: int, now, clock: str = SlaClock.BUSINESS) -> None:
    """``n`` incidents waiting in a pausing status, each with an open АВР and ДГУ work
    (written in bulk); on the business-hours clock everything is computed in Python."""
    kind = IncidentType.objects.get_or_create(
        name=f"Часы {clock}", defaults={"sla_minutes": 600, "sla_clock": clock}
    )[0]
    working, waiting = (
        IncidentStatus.objects.get(key=k) for k in (S.IN_PROGRESS, S.NEED_ACCEPTANCE)
    )
    start = now - timedelta(hours=3)
    rows = Incident.objects.bulk_create(
        Incident(
            code=f"BULK-{clock}-{n}-{i}", incident_date=start, incident_type=kind, status=waiting
        )
        for i in range(n)
    )
    IncidentStatusHistory.objects.bulk_create(
        IncidentStatusHistory(incident=row, status=status, created_at=start + timedelta(minutes=m))
        for row in rows
        for status, m in ((working, 0), (waiting, 30))
    )
    IncidentWork.objects.bulk_create(
        IncidentWork(incident=row, category=category, started_at=start)
        for row in rows
        for category in ("avr", "dgu")
    )


# A working Wednesday morning in Moscow: ten minutes later are ten business minutes (run in the
# evening, the business-hours deadlines of a pause rightly do not move at all).
BUSINESS_MORNING = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))


@time_machine.travel(BUSINESS_MORNING, tick=True)
def test_sweep_reads_in_a_fixed_number_of_queries_beyond_a_batch():
    """More waiting incidents and works than one batch of the old sweep (500) take the same
    queries as three; a sweep with nothing to change writes nothing."""
    now = timezone.now()
    _waiting_with_works(3, now)
    sweep_sla(now, full=True)
    with CaptureQueriesContext(connection) as few:
        sweep_sla(now)
    _waiting_with_works(600, now)
    sweep_sla(now, full=True)
    with CaptureQueriesContext(connection) as many:
        report = sweep_sla(now)
    assert len(many) == len(few), [q["sql"][:80] for q in many.captured_queries]
    assert report.computed_deadlines == report.works == 0
    later = now + timedelta(minutes=10)
    moved = sweep_sla(later)  # the pause goes on: every deadline moves with it
    assert moved.computed_deadlines == 603 and moved.works == 2 * 603
    assert_stored_equals_computed(later)
    for work in IncidentWork.objects.select_related("incident__incident_type")[:5]:
        history = list(work.incident.status_history.select_related("status"))
        assert (work.deadline, work.state) == work_clock(work, history, later)


def test_waiting_calendar_deadlines_move_in_sql_exactly_as_the_rules_say():
    """After a first sweep, the next ones move waiting calendar-clock deadlines (incidents and
    works) by the time passed, in SQL; the result is what the rules compute."""
    now = timezone.now()
    _waiting_with_works(4, now, SlaClock.CALENDAR)
    sweep_sla(now)  # the first sweep of the process computes in Python
    previous = now
    for minutes in (1, 7):
        moment = now + timedelta(minutes=minutes)
        assert not sla_sweep._needs_python(
            False, sla_sweep.read_sets(previous, [previous])
        ).exists()  # all go the SQL way
        report = sweep_sla(moment)
        assert report.computed_deadlines == 4 and report.works == 8
        previous = moment
        assert_stored_equals_computed(moment)
        for work in IncidentWork.objects.select_related("incident__incident_type", "priority"):
            history = list(work.incident.status_history.select_related("status"))
            assert (work.deadline, work.state) == work_clock(work, history, moment)


@pytest.mark.postgres
def test_every_update_of_a_sweep_filters_one_table_by_plain_values():
    """The sweep's UPDATEs join nothing and hold no correlated subquery: PostgreSQL planned
    those (``WHERE id IN (SELECT … JOIN … WHERE EXISTS (…))``) as a rescan per row on tables not
    analysed yet — one of them ran for minutes in CI on 600 incidents."""
    now = timezone.now()
    build(1, now)
    _waiting_with_works(3, now, SlaClock.CALENDAR)
    sweep_sla(now)
    later = now + timedelta(minutes=5)
    for moment, full in ((later, False), (later + timedelta(minutes=5), False), (later, True)):
        with CaptureQueriesContext(connection) as sweep:
            sweep_sla(moment, full=full)
        updates = [q["sql"] for q in sweep.captured_queries if q["sql"].startswith("UPDATE")]
        assert len(updates) > 5
        for sql in updates:
            assert " JOIN " not in sql and "EXISTS" not in sql, sql
        assert_stored_equals_computed(moment)


def test_waiting_business_deadlines_move_without_their_history_exactly_as_the_rules_say():
    """Waiting incidents on the business-hours clock (and their АВР and business-hours РВР
    works) a sweep wrote move by the business time passed, without their history — also
    across an evening, a night with nothing to move and older sweep moments."""
    urgent = RvrPriority.objects.create(name="Срочно", sla_minutes=240, sla_clock=SlaClock.BUSINESS)
    now = BUSINESS_MORNING
    _waiting_with_works(4, now)
    _waiting_with_works(2, now, SlaClock.CALENDAR)
    for incident in Incident.objects.all():
        IncidentWork.objects.create(
            incident=incident, category="rvr", priority=urgent, started_at=now - timedelta(hours=2)
        )
    with time_machine.travel(now, tick=False):
        sweep_sla(now)  # the first sweep of the process computes in Python
    previous = now
    # 10 business minutes; to 18:10 (8 h until closing); at night (nothing moves); next morning
    for later in (10, 8 * 60 + 10, 9 * 60, 23 * 60 + 30):
        moment = now + timedelta(minutes=later)
        sets = sla_sweep.read_sets(previous, sla_sweep._previous["moments"])
        assert not sla_sweep._needs_python(False, sets).exists()  # none needs its history
        with time_machine.travel(moment, tick=False):
            sweep_sla(moment)
        previous = moment
        assert_stored_equals_computed(moment)
        for work in IncidentWork.objects.select_related("incident__incident_type", "priority"):
            history = list(work.incident.status_history.select_related("status"))
            assert (work.deadline, work.state) == work_clock(work, history, moment), work.category


@pytest.mark.parametrize("clock", [SlaClock.CALENDAR, SlaClock.BUSINESS])
def test_a_pause_moving_the_deadline_leaves_updated_at_alone_until_something_changes(clock):
    """While an incident waits in a pausing status its deadline moves with every sweep, but
    that is no change a dispatcher sees: ``updated_at`` (the live queue, «recently changed»,
    the tracker push) stays; the state the deadline runs out into still moves it."""
    now = BUSINESS_MORNING
    kind = IncidentType.objects.create(name="Пауза", sla_minutes=240, sla_clock=clock)
    with time_machine.travel(now - timedelta(hours=1), tick=False):
        incident = create_incident(incident_date=timezone.now())
        incident.incident_type = kind
        incident.save()
        record_status(incident, S.IN_PROGRESS, actor="tracker")
    with time_machine.travel(now, tick=False):
        record_status(incident, S.NEED_ACCEPTANCE, actor="tracker")
        sweep_sla(now)
    paused = Incident.objects.get(pk=incident.pk)
    for minutes in (5, 10, 30):
        moment = now + timedelta(minutes=minutes)
        with time_machine.travel(moment, tick=False):
            sweep_sla(moment)
        swept = Incident.objects.get(pk=incident.pk)
        assert swept.sla_deadline == paused.sla_deadline + timedelta(minutes=minutes)
        assert swept.updated_at == paused.updated_at
        assert_stored_equals_computed(moment)
    resumed = now + timedelta(minutes=40)
    with time_machine.travel(resumed, tick=False):
        record_status(swept, S.IN_PROGRESS, actor="tracker")
    # the work resumed at 10:40 with three hours left; they have run out at 13:45
    overdue = resumed + timedelta(hours=3, minutes=5)
    with time_machine.travel(overdue, tick=False):
        sweep_sla(overdue)
    done = Incident.objects.get(pk=incident.pk)
    assert done.sla_deadline == paused.sla_deadline + timedelta(minutes=40)
    assert done.sla_state == SlaState.EXPIRED and done.updated_at == overdue
