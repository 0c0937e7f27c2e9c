"""Work categories (АВР, РВР, ДГУ, ЭКС) and their clocks with a frozen clock: business hours,
Russian holidays, pausing statuses; «На генерации НБ» starts ДГУ; every change in the change
log; ``sla_sweep`` keeps the stored states current in a query count independent of the number
of works."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.defaults import load_defaults
from incidents.models import (
    IncidentChange,
    IncidentStatus,
    IncidentType,
    IncidentWork,
    RvrPriority,
    SlaClock,
    StatusKey,
    WorkState,
)
from incidents.services import create_incident, record_status, update_incident
from incidents.sla_sweep import sweep_sla
from incidents.work import WorkError, remove_work, set_work

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture(autouse=True)
def _setup(settings):
    load_defaults()
    settings.TIME_ZONE = "Europe/Moscow"
    settings.SLA_BUSINESS_HOURS = "09:00-18:00"
    settings.SLA_WARNING_MINUTES = 60
    settings.WORK_DURATION_LIMIT_DAYS = 15
    settings.WORK_SHORT_HOURS = 24


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


def incident_at(start: datetime, kind: IncidentType | None = None):
    with time_machine.travel(start, tick=False):
        incident = create_incident(incident_date=start, subject="Авария")
        if kind is not None:
            update_incident(incident, changes={"incident_type": kind}, actor="console")
    return incident


def work(incident, category: str) -> IncidentWork:
    return IncidentWork.objects.get(incident=incident, category=category)


def test_avr_runs_on_the_type_sla_in_business_hours_skipping_a_holiday():
    kind = IncidentType.objects.create(name="Бизнес 4 ч", sla_minutes=240, sla_clock="business")
    start = msk(2026, 11, 3, 16, 0)  # Tuesday 16:00; 4 November is a holiday
    incident = incident_at(start, kind)
    with time_machine.travel(start, tick=False):
        set_work(incident, "avr", started_at=start, actor="console")
    avr = work(incident, "avr")
    # 2 h on Tuesday, Wednesday off (Unity Day), 2 h on Thursday.
    assert avr.deadline == msk(2026, 11, 5, 11, 0)
    assert avr.state == WorkState.IN_PROGRESS
    with time_machine.travel(msk(2026, 11, 5, 10, 30), tick=False):
        sweep_sla()
    assert work(incident, "avr").state == WorkState.LESS_THAN_HOUR
    with time_machine.travel(msk(2026, 11, 5, 11, 1), tick=False):
        sweep_sla()
    assert work(incident, "avr").state == WorkState.EXPIRED


def test_rvr_runs_on_its_priority_and_a_pause_moves_the_deadline():
    IncidentStatus.objects.filter(key=StatusKey.NEED_ACCEPTANCE).update(pauses_sla=True)
    urgent = RvrPriority.objects.create(name="Срочный", sla_minutes=120)
    start = msk(2026, 11, 2, 10, 0)
    incident = incident_at(start)
    with time_machine.travel(start, tick=False):
        set_work(incident, "rvr", started_at=start, priority=urgent, actor="console")
    assert work(incident, "rvr").deadline == msk(2026, 11, 2, 12, 0)
    record_status(incident, StatusKey.NEED_ACCEPTANCE, actor="console", at=msk(2026, 11, 2, 11, 0))
    record_status(incident, StatusKey.IN_PROGRESS, actor="console", at=msk(2026, 11, 2, 11, 30))
    with time_machine.travel(msk(2026, 11, 2, 12, 10), tick=False):
        sweep_sla()
    rvr = work(incident, "rvr")
    assert rvr.deadline == msk(2026, 11, 2, 12, 30)  # 30 min paused
    assert rvr.state == WorkState.LESS_THAN_HOUR
    with time_machine.travel(msk(2026, 11, 2, 12, 20), tick=False):
        set_work(
            incident,
            "rvr",
            started_at=start,
            ended_at=msk(2026, 11, 2, 12, 20),
            priority=urgent,
            actor="console",
        )
    assert work(incident, "rvr").state == WorkState.CLOSED_ON_TIME


def test_rvr_without_priority_and_avr_without_type_are_unknown():
    start = msk(2026, 11, 2, 10, 0)
    incident = incident_at(start)
    with time_machine.travel(start, tick=False):
        set_work(incident, "rvr", started_at=start, actor="console")
        set_work(incident, "avr", started_at=start, actor="console")
    assert work(incident, "rvr").state == WorkState.UNKNOWN
    kind = IncidentType.objects.create(name="Календарь 1 ч", sla_minutes=60)
    with time_machine.travel(start, tick=False):
        update_incident(incident, changes={"incident_type": kind}, actor="console")
    assert work(incident, "avr").deadline == msk(2026, 11, 2, 11, 0)  # the type starts АВР


@pytest.mark.parametrize(
    ("ended", "now", "state"),
    [
        (None, msk(2026, 11, 2, 20, 0), WorkState.SHORT),
        (None, msk(2026, 11, 10, 10, 0), WorkState.WITHIN_LIMIT),
        (None, msk(2026, 11, 17, 10, 1), WorkState.OVER_LIMIT_OPEN),
        (msk(2026, 11, 12, 10, 0), msk(2026, 11, 20, 10, 0), WorkState.CLOSED_WITHIN_LIMIT),
        (msk(2026, 11, 18, 10, 0), msk(2026, 11, 20, 10, 0), WorkState.OVER_LIMIT_CLOSED),
    ],
)
def test_dgu_and_eks_duration_states(ended, now, state):
    start = msk(2026, 11, 2, 10, 0)
    incident = incident_at(start)
    with time_machine.travel(now, tick=False):
        set_work(incident, "dgu", started_at=start, ended_at=ended, actor="console")
        set_work(incident, "eks", started_at=start, ended_at=ended, actor="console")
        sweep_sla()
    for category in ("dgu", "eks"):
        assert work(incident, category).deadline == msk(2026, 11, 17, 10, 0)  # 15 calendar days
        assert work(incident, category).state == state


def test_duration_limit_is_configurable_and_paused_time_does_not_count(settings):
    settings.WORK_DURATION_LIMIT_DAYS = 2
    IncidentStatus.objects.filter(key=StatusKey.NEED_ACCEPTANCE).update(pauses_sla=True)
    start = msk(2026, 11, 2, 10, 0)
    incident = incident_at(start)
    with time_machine.travel(start, tick=False):
        set_work(incident, "eks", started_at=start, actor="console")
    record_status(incident, StatusKey.NEED_ACCEPTANCE, actor="console", at=msk(2026, 11, 3, 10, 0))
    record_status(incident, StatusKey.IN_PROGRESS, actor="console", at=msk(2026, 11, 4, 10, 0))
    with time_machine.travel(msk(2026, 11, 4, 12, 0), tick=False):
        sweep_sla()
    eks = work(incident, "eks")
    assert eks.deadline == msk(2026, 11, 5, 10, 0) and eks.state == WorkState.WITHIN_LIMIT


def test_on_generation_status_starts_dgu_once():
    start = msk(2026, 11, 2, 10, 0)
    incident = incident_at(start)
    record_status(incident, StatusKey.IN_PROGRESS, actor="console", at=msk(2026, 11, 2, 10, 5))
    record_status(incident, StatusKey.ON_GENERATION, actor="tracker", at=msk(2026, 11, 2, 11, 0))
    dgu = work(incident, "dgu")
    assert dgu.started_at == msk(2026, 11, 2, 11, 0) and dgu.ended_at is None
    change = IncidentChange.objects.get(incident=incident, field="work_dgu")
    assert change.actor == "tracker" and change.new_value.startswith("02.11.2026 11:00 – …")
    record_status(incident, StatusKey.IN_PROGRESS, actor="console", at=msk(2026, 11, 2, 12, 0))
    record_status(incident, StatusKey.ON_GENERATION, actor="tracker", at=msk(2026, 11, 2, 13, 0))
    assert work(incident, "dgu").started_at == msk(2026, 11, 2, 11, 0)


def test_changes_are_logged_and_invalid_ones_refused():
    start = msk(2026, 11, 2, 10, 0)
    incident = incident_at(start)
    urgent = RvrPriority.objects.create(name="Срочный", sla_minutes=120)
    retired = RvrPriority.objects.create(name="Старый", sla_minutes=60, is_active=False)
    with pytest.raises(WorkError, match="раньше"):
        set_work(incident, "avr", started_at=start, ended_at=msk(2026, 11, 2, 9), actor="api")
    with pytest.raises(WorkError, match="РВР"):
        set_work(incident, "avr", started_at=start, priority=urgent, actor="api")
    with pytest.raises(WorkError, match="не используется"):
        set_work(incident, "rvr", started_at=start, priority=retired, actor="api")
    assert not IncidentWork.objects.exists()
    set_work(incident, "rvr", started_at=start, priority=urgent, actor="api")
    assert set_work(incident, "rvr", started_at=start, priority=urgent, actor="api") is None
    set_work(incident, "rvr", started_at=start, ended_at=msk(2026, 11, 2, 11), actor="api")
    assert remove_work(incident, "rvr", actor="api") and not remove_work(
        incident, "rvr", actor="api"
    )
    log = list(
        IncidentChange.objects.filter(incident=incident, field="work_rvr")
        .order_by("id")
        .values_list("old_value", "new_value")
    )
    assert log == [
        ("", "02.11.2026 10:00 – …, Срочный"),
        ("02.11.2026 10:00 – …, Срочный", "02.11.2026 10:00 – 02.11.2026 11:00"),
        ("02.11.2026 10:00 – 02.11.2026 11:00", ""),
    ]


def test_sweep_queries_do_not_grow_with_the_number_of_works():
    start = msk(2026, 11, 2, 10, 0)
    kind = IncidentType.objects.create(name="Бизнес", sla_minutes=240, sla_clock=SlaClock.BUSINESS)

    def add(n: int) -> None:
        for _ in range(n):
            incident = incident_at(start, kind)
            with time_machine.travel(start, tick=False):
                set_work(incident, "avr", started_at=start, actor="console")
                set_work(incident, "dgu", started_at=start, actor="console")

    add(2)
    with time_machine.travel(msk(2026, 11, 2, 12, 0), tick=False):
        sweep_sla()
    with (
        CaptureQueriesContext(connection) as few,
        time_machine.travel(msk(2026, 11, 2, 13, 30), tick=False),
    ):
        sweep_sla()
    add(10)
    with (
        CaptureQueriesContext(connection) as many,
        time_machine.travel(msk(2026, 11, 2, 13, 30), tick=False),
    ):
        sweep_sla()
    assert len(many) == len(few)
    assert set(IncidentWork.objects.filter(category="avr").values_list("state", flat=True)) == {
        WorkState.LESS_THAN_HOUR
    }


def test_type_sla_changed_in_the_admin_moves_the_avr_clocks_of_open_incidents(admin_client):
    kind = IncidentType.objects.create(name="Четыре часа", sla_minutes=240)
    start = msk(2026, 11, 2, 10, 0)
    running, ended = incident_at(start, kind), incident_at(start, kind)
    with time_machine.travel(start, tick=False):
        set_work(running, "avr", started_at=start, actor="console")
        set_work(ended, "avr", started_at=start, ended_at=msk(2026, 11, 2, 11, 0), actor="console")
    assert work(running, "avr").deadline == msk(2026, 11, 2, 14, 0)
    assert work(ended, "avr").state == WorkState.CLOSED_ON_TIME

    url = f"/admin/incidents/incidenttype/{kind.pk}/change/"
    data = {"name": kind.name, "sla_minutes": "30", "sla_clock": "calendar", "is_active": "on"}
    data.update({"subtypes-TOTAL_FORMS": "0", "subtypes-INITIAL_FORMS": "0"})
    with time_machine.travel(msk(2026, 11, 2, 10, 45), tick=False):
        answer = admin_client.post(url, data, follow=True)
    assert answer.redirect_chain, answer.content.decode()[:2000]

    running_avr, ended_avr = work(running, "avr"), work(ended, "avr")
    assert running_avr.deadline == msk(2026, 11, 2, 10, 30)
    assert running_avr.state == WorkState.EXPIRED
    assert ended_avr.deadline == msk(2026, 11, 2, 10, 30)  # ended at 11:00, after the new limit
    assert ended_avr.state == WorkState.EXPIRED
