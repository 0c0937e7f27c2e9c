"""Mass outages: incidents of four operators on one pole are related, grouped under a parent;
the contractor gets one card for the group through a real SMTP server, each requester their own
notices; the subtasks follow the parent's statuses; grouping is undone, all in the change log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.testing.smtp import smtp_sink  # noqa: F401  (fixture)
from emails.outbox.services import send_due
from incidents.mass_outage import (
    GroupError,
    children,
    group_incidents,
    leave_group,
    related_open,
    ungroup,
)
from incidents.models import IncidentChange, IncidentType, StatusKey
from incidents.tests.factories import make_request, make_site
from incidents.workflow import TransitionError, change_status
from ts.models import Pole

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_setup")]

S = StatusKey
OPERATORS = ("noc@mts.example", "noc@beeline.example", "noc@megafon.example", "noc@t2.example")


def four_reports(pole, station=None, minutes_apart: int = 3):
    start = timezone.now() - timedelta(hours=1)
    kind = IncidentType.objects.get(name="Авария по питанию для МСК")
    made = []
    for n, sender in enumerate(OPERATORS):
        incident = make_request(
            sender=sender,
            message_id=f"<outage-{n}@operator.example>",
            sent_at=start + timedelta(minutes=minutes_apart * n),
            pole=pole,
            base_station=station if n % 2 == 0 else None,
        )
        incident.incident_type = kind
        incident.save(update_fields=["incident_type"])
        change_status(incident, S.IN_PROGRESS, actor="console")
        made.append(incident)
    return made


def test_four_operators_on_one_pole_get_one_contractor_card_and_their_own_notices(smtp_sink):  # noqa: F811
    pole, station = make_site()
    parent, *rest = four_reports(pole, station)
    related = related_open(parent)
    assert [r.incident.pk for r in related] == [i.pk for i in rest]
    assert [r.reason for r in related] == ["pole", "base_station", "pole"]

    assert group_incidents(parent, rest, actor="console") == rest
    assert group_incidents(parent, rest, actor="console") == []  # already grouped
    assert {r.parent_id for r in related_open(parent)} == {parent.pk}
    with pytest.raises(TransitionError, match="одну карточку"):
        change_status(rest[0], S.NOTIFY_CONTRACTOR, actor="console")

    change_status(parent, S.NOTIFY_OPERATOR, actor="console")
    assert send_due().sent == 4
    accepted = smtp_sink.wait_for(4)
    assert sorted(m["To"].addresses[0].addr_spec for m in accepted) == sorted(OPERATORS)

    change_status(parent, S.NOTIFY_CONTRACTOR, actor="console")
    assert send_due().sent == 1
    card = smtp_sink.wait_for(5)[4]
    assert [a.addr_spec for a in card["To"].addresses] == ["avr@contractor.example"]
    text = card.get_content()
    assert f"МАССОВАЯ АВАРИЯ — в группу {parent} входят также обращения (3):" in text
    assert all(str(member) in text for member in rest)
    for member in [parent, *rest]:
        member.refresh_from_db()
        assert member.status.key == S.NOTIFIED_CONTRACTOR
    assert "группы" in rest[0].status_history.last().comment

    change_status(parent, S.NOTIFY_CLOSED, actor="console")
    assert send_due().sent == 4
    closed = smtp_sink.wait_for(9)[5:]
    assert sorted(m["To"].addresses[0].addr_spec for m in closed) == sorted(OPERATORS)
    assert all("закрыта" in m.get_content() for m in closed)
    assert send_due().sent == 0 and len(smtp_sink.received) == 9  # one card, no more


def test_grouping_is_undone_and_every_step_is_in_the_change_log():
    pole, _station = make_site()
    parent, first, second, third = four_reports(pole)
    group_incidents(parent, [first, second, third], actor="console")
    with pytest.raises(GroupError):
        group_incidents(first, [third], actor="console")  # a subtask leads no group
    assert leave_group(third, actor="console") and not leave_group(third, actor="console")
    assert [m.pk for m in children(parent)] == [first.pk, second.pk]
    assert ungroup(parent, actor="api") == 2 and children(parent) == []
    log = IncidentChange.objects.filter(incident=parent, field="link").order_by("id")
    added = [c.new_value for c in log if c.new_value]
    removed = [c.old_value for c in log if c.old_value]
    assert len(added) == 3 and len(removed) == 3
    assert all(value.startswith("родитель для") for value in added), added
    assert IncidentChange.objects.filter(incident=first, field="link", actor="api").exists()


def test_poles_of_one_address_are_related_only_within_the_window(settings):
    settings.MASS_OUTAGE_WINDOW_MINUTES = 30
    pole, _station = make_site("77-0001")
    neighbour, _ = make_site("77-0002")
    far = Pole.objects.create(site_id=3, code="77-0003", address="Тула, ул. Ленина, 5")
    incident, near = four_reports(pole)[:2]
    close_by = make_request(pole=neighbour, message_id="<n@x>", sent_at=incident.incident_date)
    later = make_request(
        pole=neighbour, message_id="<l@x>", sent_at=incident.incident_date + timedelta(hours=2)
    )
    make_request(pole=far, message_id="<f@x>", sent_at=incident.incident_date)
    found = {r.incident.pk: r.reason for r in related_open(incident)}
    assert found[close_by.pk] == "address" and found[near.pk] == "pole"
    assert later.pk not in found and len(found) == 4
    settings.MASS_OUTAGE_AREA = "off"
    assert close_by.pk not in {r.incident.pk for r in related_open(incident)}
