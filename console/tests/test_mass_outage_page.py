"""The incident page's mass-outage section: related open incidents on the same pole are shown
with a proposal, the ticked ones are grouped (only related ones, whatever is posted), the
subtask's page points at its parent, and the group is left or dissolved; readers see it only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.mass_outage import children
from incidents.models import IncidentChange
from incidents.tests.factories import make_request

pytestmark = pytest.mark.django_db


def _section(client, incident) -> str:
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    return page.split('id="mass-outage"', 1)[1].split("</section>", 1)[0]


@pytest.fixture
def outage(site):
    pole, station = site
    return [
        make_request(pole=pole, base_station=station, message_id=f"<o{n}@x>", sender=sender)
        for n, sender in enumerate(("noc@mts.example", "noc@beeline.example", "noc@t2.example"))
    ]


def test_dispatcher_groups_related_incidents_and_undoes_it(client, dispatcher, outage):
    parent, first, second = outage
    stranger = make_request(message_id="<s@x>")  # another object: not offered, not grouped
    client.force_login(dispatcher)
    shown = _section(client, parent)
    assert "Похоже на массовую аварию: ещё 2 открытых инцидента на том же объекте." in shown
    assert str(first) in shown and str(second) in shown and str(stranger) not in shown
    assert "та же БС" in shown

    members = [str(first.pk), str(second.pk), str(stranger.pk), "x" * 30, "-1"]
    answer = client.post(reverse("console:group", args=[parent.pk]), {"members": members})
    assert answer.status_code == 302 and answer["Location"].endswith("#mass-outage")
    assert [m.pk for m in children(parent)] == [first.pk, second.pk]
    shown = _section(client, parent)
    assert "Этот инцидент возглавляет группу ещё из 2 инцидентов:" in shown
    assert "Похоже на массовую аварию" not in shown
    child = _section(client, first)
    assert f'В группе <a href="/incidents/{parent.pk}/#mass-outage">{parent}</a>' in child

    client.post(reverse("console:leave_group", args=[second.pk]))
    assert [m.pk for m in children(parent)] == [first.pk]
    client.post(reverse("console:ungroup", args=[parent.pk]))
    assert children(parent) == []
    log = IncidentChange.objects.filter(incident=parent, field="link", actor="console")
    assert log.count() == 4  # two grouped, two released


def test_reader_sees_the_section_without_forms_and_cannot_post(client, reader, outage):
    parent, first, _second = outage
    client.force_login(reader)
    shown = _section(client, parent)
    assert str(first) in shown and 'id="mass-outage-group"' not in shown
    answer = client.post(reverse("console:group", args=[parent.pk]), {"members": [first.pk]})
    assert answer.status_code == 403 and children(parent) == []


def test_page_queries_do_not_grow_with_related_incidents(client, dispatcher, site, outage):
    pole, station = site
    client.force_login(dispatcher)
    url = reverse("console:incident", args=[outage[0].pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(5):
        make_request(pole=pole, base_station=station, message_id=f"<more{n}@x>")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
