"""A hand-checked data set for the report tests: November 2026 in Moscow time (UTC+3).

Every incident is made through the real services at its own moment (time-machine): created,
typed, assigned, moved through statuses, closed; then the SLA sweep runs at ``NOW``. The
expected figures in the tests are worked out by hand in the comments below.

Types: ``Калька 4ч`` — 240 min on the calendar clock; ``Рабочие 8ч`` — 480 min of business hours
(09:00–18:00 Mon–Fri; 4 Nov 2026 is a public holiday). «Ждем подтверждения» pauses the SLA.

====  ===================  ===========  ============================  ==================
name  opened (MSK)         type         what happens                  figures (November)
====  ===================  ===========  ============================  ==================
A     31 Oct 23:30         calendar     closed 1 Nov 02:00            closed on time, 2.5 h
B     1 Nov 00:00          calendar     closed 1 Nov 05:00            expired closed, 5 h
C     30 Nov 23:00         calendar     closed 1 Dec 00:30            open at end, in progress
D     Fri 13 Nov 17:00     business     closed Mon 16 Nov 12:00       on time (dl 16 Nov 16h), 67 h
E     Tue 3 Nov 17:00      business     closed Thu 5 Nov 17:00        expired (dl 5 Nov 16h), 48 h
F     20 Nov 10:00         calendar     paused 11:00–13:00, closed    on time (dl 16:00), 5.5 h
                                        15:30
G     25 Nov 10:00         calendar     stays open                    expired open
H     30 Nov 20:00         calendar     paused from 21:00 on          open at end, waiting
I     15 Nov 10:00         none         stays open                    unknown (open)
J     1 Sep 10:00          calendar     closed 2 Sep                  outside
K     2 Dec 10:00          calendar     stays open                    outside (after)
L     20 Oct 10:00         calendar     stays open                    expired open (from before)
====  ===================  ===========  ============================  ==================

Contractors: «АВР Север» — A, B, C, D; «АВР Юг» — E, F, G; no pole — H, I, L (J, K: Север).
Dispatchers: Анна Петрова — A, B, E, G; Борис Иванов — C, D, F; nobody — H, I, J, K, L.
Operator «МТС» on the base station of A, B, C, D; «Билайн» on E, F, G.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from incidents.defaults import load_defaults
from incidents.models import Incident, IncidentStatus, IncidentType, SlaClock, StatusKey
from incidents.services import create_incident, record_status, update_incident
from incidents.sla_sweep import sweep_sla
from ts.models import BaseStation, Contractor, Operator, Pole
from users.models import Role, User

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=MSK)


def msk(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MSK)


@dataclass
class Seed:
    incidents: dict[str, Incident]
    north: Contractor
    south: Contractor
    anna: User
    boris: User
    mts: Operator
    beeline: Operator
    calendar: IncidentType
    business: IncidentType


# name: (opened, type, contractor, dispatcher, [(moment, status)])
PLAN = {
    "A": (msk(10, 31, 23, 30), "cal", "north", "anna", [(msk(11, 1, 2), "closed")]),
    "B": (msk(11, 1, 0), "cal", "north", "anna", [(msk(11, 1, 5), "closed")]),
    "C": (msk(11, 30, 23), "cal", "north", "boris", [(msk(12, 1, 0, 30), "closed")]),
    "D": (msk(11, 13, 17), "biz", "north", "boris", [(msk(11, 16, 12), "closed")]),
    "E": (msk(11, 3, 17), "biz", "south", "anna", [(msk(11, 5, 17), "closed")]),
    "F": (
        msk(11, 20, 10),
        "cal",
        "south",
        "boris",
        [
            (msk(11, 20, 11), "need_acceptance"),
            (msk(11, 20, 13), "in_progress"),
            (msk(11, 20, 15, 30), "closed"),
        ],
    ),
    "G": (msk(11, 25, 10), "cal", "south", "anna", []),
    "H": (msk(11, 30, 20), "cal", None, None, [(msk(11, 30, 21), "need_acceptance")]),
    "I": (msk(11, 15, 10), None, None, None, []),
    "J": (msk(9, 1, 10), "cal", "north", None, [(msk(9, 2, 10), "closed")]),
    "K": (msk(12, 2, 10), "cal", "north", None, []),
    "L": (msk(10, 20, 10), "cal", None, None, []),
}


def seed_november() -> Seed:
    """Build the data set (needs the database; loads the default statuses and types)."""
    load_defaults()
    IncidentStatus.objects.filter(key=StatusKey.NEED_ACCEPTANCE).update(pauses_sla=True)
    calendar = IncidentType.objects.create(name="Калька 4ч", sla_minutes=240)
    business = IncidentType.objects.create(
        name="Рабочие 8ч", sla_minutes=480, sla_clock=SlaClock.BUSINESS
    )
    anna = _dispatcher("anna", "Анна", "Петрова")
    boris = _dispatcher("boris", "Борис", "Иванов")
    mts = Operator.objects.create(name="МТС")
    beeline = Operator.objects.create(name="Билайн")
    north = Contractor.objects.create(name="АВР Север")
    south = Contractor.objects.create(name="АВР Юг")
    sites = {
        "north": _site(1, "77-0001", north, "Москва", "Центр", 55.75, 37.61, mts),
        "south": _site(2, "23-0002", south, "Краснодарский край", "Юг", 45.03, 38.97, beeline),
    }
    types = {"cal": calendar, "biz": business, None: None}
    people = {"anna": anna, "boris": boris, None: None}
    incidents = {}
    for name, (opened, type_key, site_key, person, steps) in PLAN.items():
        with time_machine.travel(opened, tick=False):
            incident = create_incident(incident_date=opened, subject=f"Авария {name}")
            changes = {"incident_type": types[type_key], "assignee": people[person]}
            if site_key:
                changes["pole"], changes["base_station"] = sites[site_key]
            update_incident(incident, changes=changes, actor="console")
        for moment, key in steps:
            with time_machine.travel(moment, tick=False):
                record_status(incident, key, actor="console")
        incidents[name] = incident
    with time_machine.travel(NOW, tick=False):
        sweep_sla(full=True)
    for incident in incidents.values():
        incident.refresh_from_db()
    return Seed(incidents, north, south, anna, boris, mts, beeline, calendar, business)


def _site(n, code, contractor, region, macroregion, lat, lon, operator):
    pole = Pole.objects.create(
        site_id=n,
        code=code,
        region_ru=region,
        macroregion=macroregion,
        latitude=lat,
        longitude=lon,
        contractor=contractor,
    )
    station = BaseStation.objects.create(name=f"БС {code}", pole=pole)
    station.operators.add(operator)
    return pole, station


def _dispatcher(login: str, first: str, last: str) -> User:
    return User.objects.create_user(
        email=f"{login}@dispatch.example",
        password="Correct-Horse-42",
        role=Role.DISPATCH,
        first_name=first,
        last_name=last,
    )
