"""Small builders shared by the workflow/notification/SLA tests of this app."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from emails.models import EmailMessage, EmailRecipient
from incidents.models import Incident, IncidentSource
from incidents.services import create_incident
from ts.models import BaseStation, Contractor, ContractorEmail, Operator, Pole


def make_request(
    *,
    subject: str = "Нет питания на опоре 77-0001",
    sender: str = "noc@operator.example",
    to: tuple[str, ...] = ("dispatch@example.ru",),
    cc: tuple[str, ...] = ("duty@operator.example",),
    body: str = "Добрый день! На опоре 77-0001 пропало питание. Просим принять меры.",
    sent_at: datetime | None = None,
    auto_kind: str = "",
    message_id: str = "<req-1@operator.example>",
    **incident_fields,
) -> Incident:
    """An e-mail incident with its first (requester's) message stored like ingestion does."""
    sent_at = sent_at or timezone.now() - timedelta(minutes=5)
    incident = create_incident(
        incident_date=sent_at, subject=subject, requester_email=sender, **incident_fields
    )
    email = EmailMessage.objects.create(
        message_id=message_id,
        subject=subject,
        from_address=sender,
        sent_at=sent_at,
        body_text=body,
        is_first=True,
        auto_kind=auto_kind,
        incident=incident,
    )
    EmailRecipient.objects.bulk_create(
        [EmailRecipient(email=email, kind="to", address=a) for a in to]
        + [EmailRecipient(email=email, kind="cc", address=a) for a in cc]
    )
    return incident


def make_manual(**fields) -> Incident:
    return create_incident(
        incident_date=timezone.now(),
        subject="Заведено вручную",
        source=IncidentSource.MANUAL,
        **fields,
    )


def make_site(
    code: str = "77-0001", contractor_emails: tuple[str, ...] = ("avr@contractor.example",)
) -> tuple[Pole, BaseStation]:
    contractor = Contractor.objects.create(name=f"АВР {code}")
    ContractorEmail.objects.bulk_create(
        [ContractorEmail(contractor=contractor, email=e) for e in contractor_emails]
    )
    pole = Pole.objects.create(
        site_id=abs(hash(code)) % 10**9,
        code=code,
        region="Moscow",
        address="Москва, ул. Тверская, 1",
        latitude=55.7575,
        longitude=37.6136,
        contractor=contractor,
    )
    station = BaseStation.objects.create(name=f"БС {code}", pole=pole)
    station.operators.add(
        Operator.objects.get_or_create(name="МТС")[0],
        Operator.objects.get_or_create(name="Билайн")[0],
    )
    return pole, station
