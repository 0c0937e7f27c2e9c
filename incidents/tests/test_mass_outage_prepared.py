"""The incident page's related incidents (``related_open(…, brief=True)``, a statement compiled
once per shape) are the plain ORM query's: the same incidents, order, reasons, parents, window
and displayed values, for an incident with a pole, a base station, both, an area, or none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from incidents.mass_outage import (
    BRIEF_COLUMNS,
    MAX_RELATED,
    _group_parent,
    group_incidents,
    related_open,
)
from incidents.models import Incident, StatusKey
from incidents.tests.factories import make_request, make_site
from incidents.workflow import change_status
from ts.models import BaseStation, Pole

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_setup")]


def plain_orm(incident: Incident, area: str, window_minutes: int) -> list[tuple]:
    """What the page showed before the statement was prepared: the ORM queryset, as it was."""
    pole = incident.pole if incident.pole_id else (
        incident.base_station.pole if incident.base_station_id else None
    )  # fmt: skip
    same = Q(pk__in=[])
    if pole is not None:
        same |= Q(pole=pole)
    if incident.base_station_id:
        same |= Q(base_station_id=incident.base_station_id)
    value = getattr(pole, "address" if area == "address" else "region_ru", "") if pole else ""
    if area != "off" and value:
        window = timedelta(minutes=window_minutes)
        same |= Q(
            **{f"pole__{'address' if area == 'address' else 'region_ru'}": value},
            incident_date__range=(incident.incident_date - window, incident.incident_date + window),
        )
    if same == Q(pk__in=[]):
        return []
    rows = (
        Incident.objects.filter(same, is_finished=False)
        .exclude(pk=incident.pk)
        .select_related("status")
        .only(*BRIEF_COLUMNS)
        .annotate(group_parent=_group_parent())
        .order_by("incident_date", "pk")[:MAX_RELATED]
    )
    return [_shown(row, row.group_parent) for row in rows]


def _shown(row: Incident, parent: int | None) -> tuple:
    return (
        row.pk,
        row.code,
        row.requester_email,
        row.incident_date,
        row.incident_date.utcoffset(),
        row.pole_id,
        row.base_station_id,
        row.status.pk,
        row.status.key,
        row.status.name,
        parent,
        frozenset(row.get_deferred_fields()),
    )


def test_every_shape_finds_what_the_plain_orm_finds(settings):
    settings.MASS_OUTAGE_WINDOW_MINUTES = 30
    pole, station = make_site("77-0001")
    neighbour, _ = make_site("77-0002")  # the same address, another pole
    hostile = Pole.objects.create(site_id=9, code="77-0009", address="'; DROP TABLE x; --%s",
                                  region_ru="Тула")  # fmt: skip
    lone_station = BaseStation.objects.create(name="БС одна", pole=hostile)
    start = timezone.now() - timedelta(hours=3)
    made = []
    for n, fields in enumerate(
        [
            {"pole": pole},
            {"pole": pole, "base_station": station},
            {"base_station": station},
            {"pole": neighbour},
            {"pole": hostile},
            {"base_station": lone_station},
            {},
        ]
        * 3
    ):
        made.append(
            make_request(
                message_id=f"<s{n}@x>", sent_at=start + timedelta(minutes=11 * n), **fields
            )
        )
    change_status(made[7], StatusKey.IN_PROGRESS, actor="console")
    Incident.objects.filter(pk=made[8].pk).update(is_finished=True, finished_at=start)
    group_incidents(made[0], [made[7], made[14]], actor="console")
    shapes = set()
    for area in ("address", "region", "off"):
        settings.MASS_OUTAGE_AREA = area
        for incident in made[:7]:
            incident = Incident.objects.select_related("pole", "base_station").get(pk=incident.pk)
            expected = plain_orm(incident, area, 30)
            found = related_open(incident, brief=True)
            assert [_shown(r.incident, r.parent_id) for r in found] == expected
            full = related_open(incident)  # the ORM's whole rows, as grouping reads them
            assert [(r.incident.pk, r.reason, r.parent_id) for r in full] == [
                (r.incident.pk, r.reason, r.parent_id) for r in found
            ]
            shapes.add((bool(incident.pole_id), bool(incident.base_station_id), bool(expected)))
    assert shapes >= {(True, False, True), (False, True, True), (True, True, True),
                      (False, False, False)}  # fmt: skip
    assert {r.reason for r in related_open(made[3], brief=True)} == {"pole"}  # area "off"
    settings.MASS_OUTAGE_AREA = "address"
    assert {r.reason for r in related_open(made[3], brief=True)} == {"pole", "address"}
