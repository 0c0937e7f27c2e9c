"""SLA deadline and state: calendar clock, business hours (Moscow, Russian holidays), pauses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from incidents.defaults import load_defaults
from incidents.models import (
    Incident,
    IncidentStatus,
    IncidentType,
    SlaClock,
    SlaState,
    StatusKey,
)
from incidents.services import create_incident, record_status
from incidents.sla import BusinessHours, compute_sla

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
S = StatusKey


@pytest.fixture(autouse=True)
def _setup(settings):
    load_defaults()
    settings.TIME_ZONE = "Europe/Moscow"
    settings.SLA_BUSINESS_HOURS = "09:00-18:00"
    settings.SLA_WARNING_MINUTES = 60


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


def incident_of(minutes: int, start: datetime, clock: str = SlaClock.CALENDAR) -> Incident:
    kind = IncidentType.objects.create(
        name=f"Тип {minutes} {clock} {start.isoformat()}", sla_minutes=minutes, sla_clock=clock
    )
    with time_machine.travel(start, tick=False):
        incident = create_incident(incident_date=start, subject="Авария")
    incident.incident_type = kind
    incident.save()
    return incident


def move(incident: Incident, key: StatusKey, at: datetime) -> None:
    record_status(incident, key, actor="tracker", at=at)


def test_no_type_means_unknown():
    incident = create_incident(incident_date=msk(2026, 11, 2, 10, 0))
    assert compute_sla(incident) == (None, SlaState.UNKNOWN)


def test_calendar_deadline_and_states_over_time():
    start = msk(2026, 11, 2, 10, 0)
    incident = incident_of(240, start)
    deadline = msk(2026, 11, 2, 14, 0)
    assert compute_sla(incident, start + timedelta(hours=1)) == (deadline, SlaState.IN_PROGRESS)
    assert compute_sla(incident, msk(2026, 11, 2, 13, 0)).state == SlaState.LESS_THAN_HOUR
    assert compute_sla(incident, msk(2026, 11, 2, 14, 0)).state == SlaState.LESS_THAN_HOUR
    assert compute_sla(incident, msk(2026, 11, 2, 14, 1)).state == SlaState.EXPIRED
    with time_machine.travel(msk(2026, 11, 2, 11, 0), tick=False):
        assert compute_sla(incident).state == SlaState.IN_PROGRESS


def test_finished_incidents_are_judged_at_their_finish_time():
    incident = incident_of(240, msk(2026, 11, 2, 10, 0))
    move(incident, S.IN_PROGRESS, msk(2026, 11, 2, 10, 5))
    move(incident, S.CLOSED, msk(2026, 11, 2, 13, 50))  # 10 minutes before the deadline
    much_later = msk(2026, 12, 1, 0, 0)
    assert compute_sla(incident, much_later).state == SlaState.CLOSED_ON_TIME

    late = incident_of(60, msk(2026, 11, 2, 10, 0))
    move(late, S.IN_PROGRESS, msk(2026, 11, 2, 10, 5))
    move(late, S.CLOSED, msk(2026, 11, 2, 11, 30))
    assert compute_sla(late, much_later).state == SlaState.EXPIRED


def test_business_hours_skip_nights_and_weekends_in_moscow_time():
    incident = incident_of(120, msk(2026, 11, 6, 17, 0), SlaClock.BUSINESS)  # Friday 17:00
    assert compute_sla(incident, msk(2026, 11, 6, 17, 0)).deadline == msk(2026, 11, 9, 10, 0)

    night = incident_of(30, msk(2026, 11, 10, 23, 40), SlaClock.BUSINESS)  # Tuesday night
    assert compute_sla(night, msk(2026, 11, 10, 23, 40)).deadline == msk(2026, 11, 11, 9, 30)


def test_moscow_has_no_daylight_saving_the_window_stays_at_06_to_15_utc():
    # EU clocks change on 25 Oct 2026; Moscow stays at UTC+3.
    incident = incident_of(60, msk(2026, 10, 23, 17, 30), SlaClock.BUSINESS)  # Friday
    deadline = compute_sla(incident, msk(2026, 10, 23, 18, 0)).deadline
    assert deadline == datetime(2026, 10, 26, 6, 30, tzinfo=UTC)
    summer = incident_of(60, msk(2026, 7, 1, 17, 30), SlaClock.BUSINESS)  # Wednesday
    assert compute_sla(summer, msk(2026, 7, 1, 18, 0)).deadline == datetime(
        2026, 7, 2, 6, 30, tzinfo=UTC
    )


def test_russian_public_holidays_do_not_count():
    unity_day = incident_of(120, msk(2026, 11, 3, 17, 0), SlaClock.BUSINESS)  # 4 Nov is off
    assert compute_sla(unity_day, msk(2026, 11, 3, 17, 0)).deadline == msk(2026, 11, 5, 10, 0)

    new_year = incident_of(240, msk(2026, 12, 30, 16, 0), SlaClock.BUSINESS)
    # 31 Dec (moved day off), 1–8 Jan holidays, 9–10 Jan weekend → Monday 11 Jan.
    assert compute_sla(new_year, msk(2026, 12, 30, 16, 0)).deadline == msk(2027, 1, 11, 11, 0)


def test_pausing_statuses_stop_the_clock_only_when_enabled():
    start = msk(2026, 11, 2, 10, 0)
    incident = incident_of(240, start)
    move(incident, S.IN_PROGRESS, start + timedelta(minutes=30))
    move(incident, S.NEED_ACCEPTANCE, start + timedelta(minutes=60))
    move(incident, S.IN_PROGRESS, start + timedelta(minutes=180))
    now = start + timedelta(minutes=200)
    assert compute_sla(incident, now).deadline == start + timedelta(minutes=240)  # off by default

    IncidentStatus.objects.filter(key=S.NEED_ACCEPTANCE).update(pauses_sla=True)
    incident = Incident.objects.get(pk=incident.pk)
    assert compute_sla(incident, now).deadline == start + timedelta(minutes=360)


def test_an_ongoing_pause_keeps_the_deadline_ahead_so_a_waiting_incident_never_expires():
    IncidentStatus.objects.filter(key=S.NEED_ACCEPTANCE).update(pauses_sla=True)
    start = msk(2026, 11, 2, 10, 0)
    incident = incident_of(60, start)
    move(incident, S.NEED_ACCEPTANCE, start + timedelta(minutes=50))  # 10 minutes left
    for hours in (1, 5, 48):
        now = start + timedelta(hours=hours)
        result = compute_sla(incident, now)
        assert result.deadline == now + timedelta(minutes=10)
        assert result.state == SlaState.LESS_THAN_HOUR


def test_pauses_combine_with_business_hours():
    IncidentStatus.objects.filter(key=S.NEED_ACCEPTANCE).update(pauses_sla=True)
    start = msk(2026, 11, 2, 9, 0)  # Monday
    incident = incident_of(540, start, SlaClock.BUSINESS)  # one working day
    move(incident, S.NEED_ACCEPTANCE, msk(2026, 11, 2, 12, 0))
    move(incident, S.IN_PROGRESS, msk(2026, 11, 3, 10, 0))  # paused 3 working hours + 1
    assert compute_sla(incident, msk(2026, 11, 3, 10, 0)).deadline == msk(2026, 11, 3, 16, 0)


def test_business_hours_setting_is_validated():
    assert BusinessHours.parse("08:30-17:15").start.minute == 30
    with pytest.raises(ValueError, match="09:00-18:00"):
        BusinessHours.parse("9 to 6")
    with pytest.raises(ValueError, match="end after"):
        BusinessHours.parse("18:00-09:00")
