"""The incident page reads its incident with one fixed statement (console/incident_read.py): the
same instances the ORM's ``select_related`` read makes, every reference there without a query
of its own, a change seen on the next read, an unknown incident a 404."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from console import incident_read, selectors
from dispatch.statements import statement_name
from dispatch.tests.test_statements import postgres_only, prepared_plans
from emails.models import EmailMessage
from emails.outbox.models import OutboundEmail
from incidents.models import Incident, IncidentStatus, IncidentSubtype, StatusKey
from incidents.tests.factories import make_request
from ts.models import Operator, Pole

pytestmark = pytest.mark.django_db

RELATED = ("status", "incident_type", "subtype", "assignee", "pole", "base_station")


def _values(obj) -> list | None:
    if obj is None:
        return None
    return [getattr(obj, field.attname) for field in obj._meta.concrete_fields]


def _orm(pk: int) -> Incident:
    return Incident.objects.select_related(*RELATED, "pole__contractor").get(pk=pk)


def _same_as_the_orm(read: Incident) -> None:
    expected = _orm(read.pk)
    with CaptureQueriesContext(connection) as queries:
        assert _values(read) == _values(expected)
        for name in RELATED:
            assert _values(getattr(read, name)) == _values(getattr(expected, name)), name
        if read.pole is not None:
            assert _values(read.pole.contractor) == _values(expected.pole.contractor)
            assert read.contractor == expected.contractor
        if read.base_station is not None:
            assert list(read.base_station.operators.all()) == list(
                expected.base_station.operators.all()
            )
    assert len(queries) == (1 if read.base_station is not None else 0)  # expected's operators


def test_a_full_incident_reads_as_the_orm_reads_it(dispatcher, site, incident_type):
    pole, station = site
    station.operators.add(Operator.objects.create(name="Оператор чтения"))
    incident = make_request(pole=pole, base_station=station)
    incident.assignee = dispatcher
    kind = IncidentSubtype.objects.create(incident_type=incident_type, name="Вандализм")
    incident.incident_type, incident.subtype = incident_type, kind
    incident.save()
    with CaptureQueriesContext(connection) as queries:
        read = selectors.incident_for_page(incident.pk, presence=True)
    assert len(queries) == 2  # the incident; the base station's operators
    assert (read.subtype, read.assignee, read.base_station.pole) == (kind, dispatcher, pole)
    _same_as_the_orm(read)
    assert read.has_contractor_emails and not read.has_links and not read.has_outbox


def test_an_incident_without_references_reads_as_the_orm_reads_it(dispatcher):
    incident = make_request()
    Incident.objects.filter(pk=incident.pk).update(assignee=None)
    Pole.objects.create(site_id=1, code="77-0002")  # a pole of nobody's: no contractor
    with CaptureQueriesContext(connection) as queries:
        read = selectors.incident_for_page(incident.pk)
    assert len(queries) == 1
    assert read.pole is None and read.base_station is None and read.assignee is None
    assert not hasattr(read, "has_links")  # no flags asked: every list is read
    assert selectors.has(read, "links")
    _same_as_the_orm(read)


def test_a_pole_without_contractor_reads_as_the_orm_reads_it(dispatcher):
    incident = make_request(pole=Pole.objects.create(site_id=2, code="77-0003"))
    read = selectors.incident_for_page(incident.pk, presence=True)
    assert read.pole.code == "77-0003" and read.contractor is None
    assert not read.has_contractor_emails
    _same_as_the_orm(read)


def test_a_change_shows_on_the_next_page_load(client, dispatcher, site):
    incident = make_request(pole=site[0])
    url = reverse("console:incident", args=[incident.pk])
    client.force_login(dispatcher)
    assert "77-0001" in client.get(url).content.decode()
    Pole.objects.filter(pk=site[0].pk).update(code="77-0999")
    waiting = IncidentStatus.objects.get(key=StatusKey.NEED_ACCEPTANCE)
    Incident.objects.filter(pk=incident.pk).update(subject="Опора упала", status=waiting)
    page = client.get(url).content.decode()
    assert "77-0999" in page and "Опора упала" in page and waiting.name in page


def test_an_unknown_incident_is_not_found(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get(reverse("console:incident", args=[987654])).status_code == 404


@postgres_only
@pytest.mark.django_db
def test_the_incident_page_stops_planning_its_incident(client, dispatcher):
    """After the first runs PostgreSQL executes its generic plan: no planning per page view
    (the incident's statement cost 4.5 ms of PostgreSQL CPU to plan, 0.2 ms to run)."""
    incident = make_request()
    client.force_login(dispatcher)
    url = reverse("console:incident", args=[incident.pk])
    with CaptureQueriesContext(connection) as queries:
        for _ in range(8):
            assert client.get(url).status_code == 200
    sql = incident_read._statement(connection.alias, True).sql
    generic, custom = prepared_plans(sql)
    assert custom <= 5 and generic >= 3
    name = statement_name(sql)
    assert sum(name in q["sql"] for q in queries) == 8  # the EXECUTEs; PREPARE is not logged
    assert not any(q["sql"].startswith("PREPARE") for q in queries)


def test_the_thread_and_the_outbox_read_as_the_orm_reads_them(dispatcher):
    """The e-mails and our mail come from statements compiled once: the same rows, in the
    same order, as the ORM's querysets, and a new one on the next read."""
    incident = make_request()
    first = incident.emails.get()
    for n in (2, 1):
        EmailMessage.objects.create(
            message_id=f"<r{n}@x>", from_address="noc@operator.example", sent_at=first.sent_at,
            body_text=f"Ответ {n}", incident=incident,
        )  # fmt: skip
        OutboundEmail.objects.create(
            incident=incident, kind=OutboundEmail.Kind.REPLY, message_id=f"<o{n}@d>",
            dedupe_key=f"o{n}", to=[f"to{n}@x.example"], cc=["cc@x.example"], subject="Re",
            body_text=f"Принято {n}",
        )  # fmt: skip
    read = selectors.incident_for_page(incident.pk, presence=True)
    emails = EmailMessage.objects.filter(incident=incident).order_by("sent_at", "id")
    assert [_values(e) for e in selectors.incident_thread(read)] == [_values(e) for e in emails]
    outbox = OutboundEmail.objects.filter(incident=incident).order_by("created_at", "id")
    shown = selectors.outgoing_mail(read)
    assert [(o.pk, o.to, o.cc, o.body_text, o.state, o.created_at) for o in shown] == [
        (o.pk, o.to, o.cc, o.body_text, o.state, o.created_at) for o in outbox
    ]
    assert shown[0].to == ["to2@x.example"]
    EmailMessage.objects.create(
        message_id="<r3@x>", from_address="noc@operator.example", sent_at=first.sent_at,
        body_text="Ответ 3", incident=incident,
    )  # fmt: skip
    assert selectors.incident_thread(read)[-1].body_text == "Ответ 3"
