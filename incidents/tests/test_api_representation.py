"""Incident API contract: the exact JSON of a fully populated incident, in the list and in the
detail (keys, values and formats), so that speeding up the serializers cannot change it; and the
hand-written representation agrees with what the serializers declare."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from rest_framework.serializers import ModelSerializer

from dispatch.api.testing import client_for, make_incident, make_site, make_user
from emails.models import EmailAttachment, EmailMessage, EmailRecipient
from incidents.api import selectors
from incidents.api.serializers import IncidentDetailSerializer, IncidentSerializer
from incidents.defaults import load_defaults
from incidents.models import Incident, IncidentStatusHistory, IncidentType, SlaState, StatusKey
from incidents.services import record_status
from ts.models import Pole
from users.models import User

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def incident() -> Incident:
    """Type, dispatcher, pole with contractor, base station with operators, a transfer to the
    contractor finished late, two e-mails (recipients, a stored and a rejected attachment)."""
    load_defaults()
    kind = IncidentType.objects.create(name="Авария БС", sla_minutes=60)
    dispatcher = make_user(first_name="Иван", last_name="Петров")
    pole, station = make_site("MSK-0042")
    Pole.objects.filter(pk=pole.pk).update(latitude=55.75, longitude=37.6175)
    incident = make_incident(
        subject="Нет питания",
        when=T0,
        pole=pole,
        base_station=station,
        incident_type=kind,
        assignee=dispatcher,
    )
    record_status(incident, StatusKey.IN_PROGRESS, actor="console", user=dispatcher, at=at(5))
    record_status(incident, StatusKey.NOTIFIED_CONTRACTOR, actor="api", comment="АВР", at=at(10))
    record_status(incident, StatusKey.CLOSED, actor="email", at=at(100))
    IncidentStatusHistory.objects.filter(incident=incident, status__key=StatusKey.NEW).update(
        created_at=T0
    )
    for key, minutes in [
        (StatusKey.IN_PROGRESS, 5),
        (StatusKey.NOTIFIED_CONTRACTOR, 10),
        (StatusKey.CLOSED, 100),
    ]:
        IncidentStatusHistory.objects.filter(incident=incident, status__key=key).update(
            created_at=at(minutes)
        )
    Incident.objects.filter(pk=incident.pk).update(
        code="DSP-42",
        sla_deadline=at(240),
        sla_state=SlaState.CLOSED_ON_TIME,
        created_at=T0,
        updated_at=at(100),
    )
    first = EmailMessage.objects.create(
        message_id="<1@operator.example>",
        subject="Нет питания",
        from_address="noc@operator.example",
        from_name="NOC",
        sent_at=T0,
        body_text="Нет связи",
        incident=incident,
        is_first=True,
    )
    EmailRecipient.objects.create(email=first, kind="to", address="dispatch@localhost")
    EmailRecipient.objects.create(email=first, kind="cc", address="boss@example.com", name="Шеф")
    EmailAttachment.objects.create(
        email=first,
        file="attachments/2026/03/photo.jpg",
        filename="photo.jpg",
        content_type="image/jpeg",
        size=10,
        sha256="0" * 64,
    )
    EmailAttachment.objects.create(
        email=first,
        filename="virus.exe",
        content_type="application/octet-stream",
        size=20,
        sha256="1" * 64,
        rejected_reason="blocked_type",
    )
    EmailMessage.objects.create(
        message_id="<2@dispatch.example>",
        subject="Re: Нет питания",
        from_address="dispatch@localhost",
        sent_at=at(10),
        direction=EmailMessage.Direction.OUTBOUND,
        auto_kind="",
        incident=incident,
    )
    return Incident.objects.get(pk=incident.pk)


def expected_row(incident: Incident) -> dict:
    pole, station, contractor = incident.pole, incident.base_station, incident.contractor
    dispatcher: User = incident.assignee
    emails = sorted(contractor.emails.values_list("email", flat=True))
    return {
        "id": incident.pk,
        "code": "DSP-42",
        "subject": "Нет питания",
        "requester_email": "noc@operator.example",
        "incident_date": "2026-03-01T12:00:00.123456+03:00",
        "status": {"key": "closed", "name": "Закрыт"},
        "incident_type": {"id": incident.incident_type_id, "name": "Авария БС", "sla_minutes": 60},
        "subtype": None,
        "dispatcher": {
            "id": dispatcher.pk,
            "username": dispatcher.username,
            "full_name": "Иван Петров",
            "display_name": "Иван Петров",
        },
        "pole": {
            "id": pole.pk,
            "code": "MSK-0042",
            "region_ru": "Москва",
            "address": pole.address,
            "latitude": 55.75,
            "longitude": 37.6175,
        },
        "base_station": {
            "id": station.pk,
            "name": station.name,
            "operators": [
                {"id": o.pk, "name": o.name, "group": o.group} for o in station.operators.all()
            ],
        },
        "contractor": {"id": contractor.pk, "name": contractor.name, "emails": emails},
        "is_finished": True,
        "finished_at": "2026-03-01T13:40:00.123456+03:00",
        "sla_deadline": "2026-03-01T16:00:00.123456+03:00",
        "sla_state": "closed_on_time",
        "report": {
            "registration_method": "email",
            "registration_method_display": "Автоматически из письма",
            "is_transferred_to_contractor": True,
            "transferred_to_contractor_at": "2026-03-01T12:10:00.123456+03:00",
            "vendor_sla_deadline": "2026-03-01T13:10:00.123456+03:00",
            "is_vendor_sla_expired": True,
        },
        "unread_since": None,
        "auto_close_date": None,
        "no_thread_linking": False,
        "description": "",
        "dispatcher_sla": {  # arrival 12:00, first status change by a person at 12:05
            "deadline": "2026-03-01T12:10:00.123456+03:00",
            "first_action_at": "2026-03-01T12:05:00.123456+03:00",
            "is_breached": False,
        },
        "created_at": "2026-03-01T12:00:00.123456+03:00",
        "updated_at": "2026-03-01T13:40:00.123456+03:00",
    }


def test_list_row_of_a_fully_populated_incident(incident):
    api = client_for(make_user())
    row = api.get(reverse("api:incident-list")).json()["results"][0]
    assert row == expected_row(incident)


def test_detail_of_a_fully_populated_incident(incident):
    api = client_for(make_user())
    body = api.get(reverse("api:incident-detail", args=[incident.pk])).json()
    dispatcher = {
        "id": incident.assignee_id,
        "username": incident.assignee.username,
        "full_name": "Иван Петров",
        "display_name": "Иван Петров",
    }
    history = body.pop("status_history")
    emails = body.pop("emails")
    assert body == expected_row(incident)
    assert history == [
        {
            "status": {"key": "new", "name": "Новый"},
            "created_at": "2026-03-01T12:00:00.123456+03:00",
            "actor": "email",
            "user": None,
            "comment": "",
        },
        {
            "status": {"key": "in_progress", "name": "В работе"},
            "created_at": "2026-03-01T12:05:00.123456+03:00",
            "actor": "console",
            "user": dispatcher,
            "comment": "",
        },
        {
            "status": {"key": "notified_contractor", "name": "Передано подрядчику"},
            "created_at": "2026-03-01T12:10:00.123456+03:00",
            "actor": "api",
            "user": None,
            "comment": "АВР",
        },
        {
            "status": {"key": "closed", "name": "Закрыт"},
            "created_at": "2026-03-01T13:40:00.123456+03:00",
            "actor": "email",
            "user": None,
            "comment": "",
        },
    ]
    first, reply = (
        EmailMessage.objects.get(message_id=m)
        for m in ("<1@operator.example>", "<2@dispatch.example>")
    )
    stored, rejected = first.attachments.order_by("id")
    assert emails == [
        {
            "id": first.pk,
            "message_id": "<1@operator.example>",
            "subject": "Нет питания",
            "from_address": "noc@operator.example",
            "from_name": "NOC",
            "sent_at": "2026-03-01T12:00:00.123456+03:00",
            "direction": "in",
            "auto_kind": "",
            "is_first": True,
            "recipients": [
                {"kind": "to", "address": "dispatch@localhost", "name": ""},
                {"kind": "cc", "address": "boss@example.com", "name": "Шеф"},
            ],
            "attachments": [
                {
                    "id": stored.pk,
                    "filename": "photo.jpg",
                    "content_type": "image/jpeg",
                    "size": 10,
                    "sha256": "0" * 64,
                    "is_inline": False,
                    "is_stored": True,
                    "rejected_reason": "",
                },
                {
                    "id": rejected.pk,
                    "filename": "virus.exe",
                    "content_type": "application/octet-stream",
                    "size": 20,
                    "sha256": "1" * 64,
                    "is_inline": False,
                    "is_stored": False,
                    "rejected_reason": "blocked_type",
                },
            ],
        },
        {
            "id": reply.pk,
            "message_id": "<2@dispatch.example>",
            "subject": "Re: Нет питания",
            "from_address": "dispatch@localhost",
            "from_name": "",
            "sent_at": "2026-03-01T12:10:00.123456+03:00",
            "direction": "out",
            "auto_kind": "",
            "is_first": False,
            "recipients": [],
            "attachments": [],
        },
    ]


def declared(serializer: ModelSerializer, instance) -> dict:
    """What DRF's generic machinery makes of the serializer's declared fields."""
    return ModelSerializer.to_representation(serializer, instance)


@pytest.mark.parametrize(
    ("serializer_class", "queryset"),
    [
        (IncidentSerializer, selectors.incidents_for_list),
        (IncidentDetailSerializer, selectors.incidents_for_detail),
    ],
)
def test_representation_matches_the_declared_fields(incident, serializer_class, queryset):
    for row in [incident, make_incident()]:  # fully populated, and with no relations at all
        instance = queryset().get(pk=row.pk)
        fast = serializer_class(instance).data
        generic = declared(serializer_class(), instance)
        assert fast == generic
        assert list(fast) == list(generic)


def test_registration_method_label_follows_the_active_language():
    """The labels are kept per language: switching back and forth gives each its own text."""
    from django.utils import translation

    from incidents.api.representation import source_display

    for language, label in [
        ("ru", "Автоматически из письма"),
        ("en", "Automatically from e-mail"),
    ] * 2:
        with translation.override(language):
            assert source_display("email") == label
            assert source_display("fax") == "fax"  # an unknown value is shown as stored


def test_list_page_read_as_plain_values_matches_the_serializer(incident):
    """The list builds its rows from plain values (``representation.incident_rows``), not from
    model instances: every row equals ``IncidentSerializer`` of the same incident, whatever
    relations it has or lacks, shared or not with other rows of the page."""
    from incidents.models import IncidentSubtype
    from ts.models import BaseStation, Contractor

    kind = IncidentType.objects.get(name="Авария БС")
    subtype = IncidentSubtype.objects.create(incident_type=kind, name="Питание")
    bare_pole = Pole.objects.create(site_id=9001, code="NO-CONTRACTOR")
    quiet = Contractor.objects.create(name="Без почты")
    quiet_pole = Pole.objects.create(site_id=9002, code="NO-EMAILS", contractor=quiet)
    lonely_station = BaseStation.objects.create(name="BS без операторов", pole=bare_pole)
    named = make_user(first_name="Анна", last_name="")
    others = [
        make_incident(),  # no relations at all
        make_incident(pole=incident.pole, base_station=incident.base_station, assignee=named),
        make_incident(pole=bare_pole, base_station=lonely_station, incident_type=kind),
        make_incident(
            pole=quiet_pole,
            incident_type=kind,
            assignee=incident.assignee,
            statuses=(StatusKey.NOTIFIED_CONTRACTOR,),  # transferred, still running
        ),
    ]
    Incident.objects.filter(pk=others[2].pk).update(subtype=subtype, description="Вручную")
    api = client_for(make_user())
    rows = api.get(reverse("api:incident-list"), {"ordering": "id"}).json()["results"]
    assert [row["id"] for row in rows] == [incident.pk, *(o.pk for o in others)]
    for row in rows:
        instance = selectors.incidents_for_list().get(pk=row["id"])
        assert row == IncidentSerializer(instance).data
        assert list(row) == list(IncidentSerializer(instance).data)


def test_detail_read_as_plain_values_matches_the_serializer(incident):
    """The detail is built from plain values (``selectors.incident_detail``): it equals
    ``IncidentDetailSerializer`` of the same incident, with and without relations, history
    users, e-mails, recipients and attachments."""
    api = client_for(make_user())
    for row in [incident, make_incident(), make_incident(pole=incident.pole)]:
        body = api.get(reverse("api:incident-detail", args=[row.pk])).json()
        instance = selectors.incidents_for_detail().get(pk=row.pk)
        assert body == IncidentDetailSerializer(instance).data
        assert list(body) == list(IncidentDetailSerializer(instance).data)
    assert api.get(reverse("api:incident-detail", args=[10**9])).status_code == 404
