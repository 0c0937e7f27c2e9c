"""The statistics service against the hand-computed figures of ``reports.tests.seed``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.services import create_incident, record_status, update_incident
from reports.filters import ReportFilters
from reports.periods import period_for
from reports.statistics import DayPoint, statistics
from reports.tests.seed import MSK, NOW, msk

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
NOVEMBER = period_for("month", date(2026, 11, 17))


def test_the_engine_gave_the_hand_computed_deadlines(seed):
    got = {name: i.sla_deadline for name, i in seed.incidents.items()}
    assert got["D"] == msk(11, 16, 16)  # 1 h on Friday, 7 h on Monday
    assert got["E"] == msk(11, 5, 16)  # 1 h on Tuesday, the 4th is a holiday, 7 h on Thursday
    assert got["F"] == msk(11, 20, 16)  # 4 h plus the 2 h pause
    assert got["H"] == NOW + 3 * H  # 1 h counted, paused ever since: 3 h left from now
    assert got["I"] is None


def test_month_totals(seed):
    stats = statistics(NOVEMBER, now=NOW)
    totals = stats.totals
    assert (totals.opened, totals.closed, totals.open) == (8, 5, 5)
    sla = totals.primary
    assert (sla.closed_on_time, sla.expired_closed, sla.unknown_closed) == (3, 2, 0)
    assert (sla.expired_open, sla.waiting, sla.in_progress, sla.unknown_open) == (2, 1, 1, 1)
    assert sla.share_on_time == pytest.approx(0.6)
    # Times to close: 2.5, 5, 5.5, 48, 67 h → mean 25.6 h; p90 at rank 3.6 → 48 + 0.6·19.
    assert totals.mean_to_close == timedelta(hours=25.6)
    assert totals.p90_to_close == timedelta(hours=59.4)
    assert stats.as_of == msk(12, 1, 0)


def test_day_and_hour_dynamics_are_local_days_and_hours(seed):
    stats = statistics(NOVEMBER, now=NOW)
    assert len(stats.daily) == 30
    by_day = {p.day: p for p in stats.daily}
    # B at 00:00 on the 1st (21:00 UTC on 31 October) counts on the 1st; A and B close then.
    assert by_day[date(2026, 11, 1)] == DayPoint(date(2026, 11, 1), 1, 2, 1)
    assert by_day[date(2026, 11, 30)] == DayPoint(date(2026, 11, 30), 2, 0, 0)
    assert sum(p.opened for p in stats.daily) == 8
    assert sum(p.closed for p in stats.daily) == 5
    opened = {p.hour: p.opened for p in stats.hourly if p.opened}
    closed = {p.hour: p.closed for p in stats.hourly if p.closed}
    assert opened == {0: 1, 10: 3, 17: 2, 20: 1, 23: 1}
    assert closed == {2: 1, 5: 1, 12: 1, 15: 1, 17: 1}


def test_per_contractor_dispatcher_and_type(seed):
    stats = statistics(NOVEMBER, now=NOW)
    contractors = {r.name: r.figures for r in stats.groups["contractor"]}
    assert list(contractors) == ["АВР Север", "АВР Юг", ""]
    north, south, nobody = contractors.values()
    assert (north.opened, north.closed, north.open) == (3, 3, 1)
    assert (north.primary.closed_on_time, north.primary.expired_closed) == (2, 1)
    assert north.mean_to_close == timedelta(hours=(2.5 + 5 + 67) / 3)
    assert (south.opened, south.closed, south.open, south.primary.expired_open) == (3, 2, 1, 1)
    assert (nobody.opened, nobody.closed, nobody.open) == (2, 0, 3)
    assert (nobody.primary.waiting, nobody.primary.unknown_open) == (1, 1)
    dispatchers = {r.name: r.figures for r in stats.groups["dispatcher"]}
    assert set(dispatchers) == {"Петрова Анна", "Иванов Борис", ""}
    assert dispatchers["Петрова Анна"].primary.expired_closed == 2  # B, E
    assert dispatchers["Иванов Борис"].primary.closed_on_time == 2  # D, F
    types = {r.name: r.figures.opened for r in stats.groups["type"]}
    assert types == {"Калька 4ч": 5, "Рабочие 8ч": 2, "": 1}


def test_filters(seed):
    north = statistics(NOVEMBER, ReportFilters(contractor=seed.north.pk), now=NOW).totals
    assert (north.opened, north.closed, north.open) == (3, 3, 1)
    by_operator = statistics(NOVEMBER, ReportFilters(operator=seed.beeline.pk), now=NOW).totals
    assert (by_operator.opened, by_operator.closed) == (3, 2)
    south = statistics(NOVEMBER, ReportFilters(macroregion="Юг"), now=NOW).totals
    assert south.opened == 3
    region = statistics(NOVEMBER, ReportFilters(region="Москва"), now=NOW).totals
    assert region.opened == 3
    business = statistics(NOVEMBER, ReportFilters(incident_type=seed.business.pk), now=NOW).totals
    assert (business.closed, business.primary.closed_on_time, business.mean_to_close) == (
        2,
        1,
        timedelta(hours=57.5),
    )
    boris = statistics(NOVEMBER, ReportFilters(dispatcher=seed.boris.pk), now=NOW).totals
    assert (boris.opened, boris.closed, boris.open, boris.p90_to_close) == (
        3,
        2,
        1,
        timedelta(hours=5.5 + 0.9 * (67 - 5.5)),
    )


def test_edges_of_a_day_period(seed):
    first = statistics(period_for("day", date(2026, 11, 1)), now=NOW).totals
    # Open at the end of 1 November: L (expired) only; A and B closed that day.
    assert (first.opened, first.closed, first.open) == (1, 2, 1)
    assert first.primary.expired_open == 1
    last_october = statistics(period_for("day", date(2026, 10, 31)), now=NOW).totals
    # A opened at 23:30 and was open at midnight with 3.5 h left; L open and expired.
    assert (last_october.opened, last_october.open) == (1, 2)
    assert (last_october.primary.in_progress, last_october.primary.expired_open) == (1, 1)


def test_a_past_pause_is_read_from_the_history(seed):
    """M is paused over midnight 21/22 Nov and resumed at 09:00: at the end of the 21st it was
    waiting (though not paused now); at the end of the 22nd its deadline had passed."""
    with time_machine.travel(msk(11, 21, 22), tick=False):
        m = create_incident(incident_date=msk(11, 21, 22), subject="Авария M")
        update_incident(m, changes={"incident_type": seed.calendar}, actor="console")
    for moment, key in ((msk(11, 21, 23), "need_acceptance"), (msk(11, 22, 9), "in_progress")):
        with time_machine.travel(moment, tick=False):
            record_status(m, key, actor="console")
    m.refresh_from_db()
    assert m.sla_deadline == msk(11, 22, 12)  # 1 h, the pause, then 3 h from 09:00
    sla_21 = statistics(period_for("day", date(2026, 11, 21)), now=NOW).totals.primary
    assert (sla_21.waiting, sla_21.in_progress, sla_21.expired_open) == (1, 0, 1)  # M; L
    sla_22 = statistics(period_for("day", date(2026, 11, 22)), now=NOW).totals.primary
    assert (sla_22.waiting, sla_22.in_progress, sla_22.expired_open) == (0, 0, 2)  # M, L


def test_current_period_reads_the_current_status(seed):
    stats = statistics(period_for("day", date(2026, 12, 3)), now=NOW)
    totals = stats.totals
    # Open now: G, L (expired), H (paused: waiting), I (no type), K (2 Dec, deadline 14:00 →
    # expired).
    assert totals.open == 5
    assert (totals.primary.expired_open, totals.primary.waiting) == (3, 1)
    assert totals.primary.unknown_open == 1
    assert stats.as_of == NOW


def test_a_bounded_number_of_queries(seed):
    with CaptureQueriesContext(connection) as queries:
        statistics(NOVEMBER, now=NOW)
    assert len(queries) <= 10  # 4 reads, 3 name look-ups, SET LOCAL and a savepoint
    more = ReportFilters(operator=seed.mts.pk, region="Москва")
    with CaptureQueriesContext(connection) as queries:
        statistics(period_for("quarter", date(2026, 11, 1)), more, now=NOW)
    assert len(queries) <= 10  # 4 reads, 3 name look-ups, SET LOCAL and a savepoint


def test_timezone_is_the_settings_one(seed, settings):
    settings.TIME_ZONE = "UTC"
    # In UTC, B (21:00 UTC on 31 Oct) is October's, and C (20:00 UTC 30 Nov) still November's.
    from django.utils import timezone

    timezone.deactivate()
    stats = statistics(period_for("month", date(2026, 11, 1)), now=NOW)
    assert stats.totals.opened == 7
    assert MSK  # the seed's zone
