"""Helpers for API tests: users by role with tokens, and incidents with their relations."""

from __future__ import annotations

import itertools
from datetime import datetime

from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.models import IncidentType
from incidents.services import create_incident, record_status
from ts.models import BaseStation, Contractor, ContractorEmail, Operator, Pole
from users.models import Role, User

_seq = itertools.count(1)


def make_user(role: str = Role.DISPATCH, **extra) -> User:
    n = next(_seq)
    return User.objects.create_user(
        email=f"user{n}@example.com",
        username=f"user{n}",
        password="x-Secret-123",  # noqa: S106 - test users only
        role=role,
        **extra,
    )


def client_for(user: User | None) -> APIClient:
    """A client authenticated with the user's token (anonymous without a user)."""
    client = APIClient()
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def make_site(code: str, region: str = "Москва") -> tuple[Pole, BaseStation]:
    """A pole with a contractor (two e-mails) and a base station with two operators."""
    n = next(_seq)
    contractor = Contractor.objects.create(name=f"Подрядчик {n}")
    ContractorEmail.objects.create(contractor=contractor, email=f"avr{n}@example.com")
    ContractorEmail.objects.create(contractor=contractor, email=f"avr{n}b@example.com")
    pole = Pole.objects.create(
        site_id=n, code=code, region_ru=region, address=f"ул. Тестовая, {n}", contractor=contractor
    )
    station = BaseStation.objects.create(name=f"BS{n}", pole=pole)
    station.operators.add(
        Operator.objects.get_or_create(name="МТС", group="A")[0],
        Operator.objects.get_or_create(name="Билайн", group="B")[0],
    )
    return pole, station


def make_incident(
    *,
    subject: str = "Авария",
    when: datetime | None = None,
    pole: Pole | None = None,
    base_station: BaseStation | None = None,
    incident_type: IncidentType | None = None,
    assignee: User | None = None,
    statuses: tuple[str, ...] = (),
):
    incident = create_incident(
        incident_date=when or timezone.now(),
        subject=subject,
        requester_email="noc@operator.example",
        pole=pole,
        base_station=base_station,
    )
    # Explicit dispatcher (or none), whatever the automatic assignment chose.
    incident.incident_type, incident.assignee = incident_type, assignee
    incident.save(update_fields=["incident_type", "assignee", "updated_at"])
    for key in statuses:
        record_status(incident, key, actor="console")
    return incident
