"""Fixtures: a real fake tracker on a free 127.0.0.1 port and the settings pointing at it."""

from __future__ import annotations

import time

import pytest
import requests
from django.db import connection

from emails.tests.conftest import dovecot, imap_source  # noqa: F401 (real Dovecot fixtures)
from yandex_tracker.client import TrackerClient
from yandex_tracker.fake import FakeTrackerServer


@pytest.fixture
def fake_tracker():
    server = FakeTrackerServer(queue="DISP").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def tracker_settings(settings, fake_tracker):
    """Settings of an installation configured for the fake tracker."""
    settings.YT_API_BASE_URL = fake_tracker.url
    settings.YT_OAUTH_URL = fake_tracker.oauth_url
    settings.YT_QUEUE = "DISP"
    settings.YT_ACCESS_TOKEN = "robot-token"
    settings.YT_REFRESH_TOKEN = "robot-refresh"
    settings.YT_CLIENT_ID = "client-id"
    settings.YT_CLIENT_SECRET = "client-secret"
    settings.YT_ORGANIZATION_ID = "fake-org"
    settings.YT_CLOUD_ORGANIZATION = False
    settings.YT_ENABLED = True
    settings.YT_TIMEOUT = 5
    settings.INCIDENT_CODE_PREFIX = "DISP"
    return settings


class NoTransactionSession(requests.Session):
    """Fails any HTTP call made while a database transaction is open (use with transactional
    tests: plain ``django_db`` tests run inside one transaction)."""

    def request(self, *args, **kwargs):
        assert not connection.in_atomic_block, f"HTTP call inside a DB transaction: {args[:2]}"
        return super().request(*args, **kwargs)


class SleepLog(list):
    """Records requested back-off delays and sleeps a bounded sliver of each (keeps tests fast)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        time.sleep(min(seconds, 0.02))


@pytest.fixture
def sleeps():
    return SleepLog()


@pytest.fixture
def client(tracker_settings, sleeps, db):
    return TrackerClient(sleep=sleeps, backoff=0.5, max_delay=30)


@pytest.fixture
def defaults(db):
    from incidents.defaults import load_defaults

    load_defaults()


@pytest.fixture
def make_incident(defaults, tracker_settings):
    """An incident registered from an e-mail (with recipients), as the mail pipeline makes it."""
    from datetime import timedelta

    from django.utils import timezone

    from emails.models import EmailMessage, EmailRecipient
    from incidents.services import create_incident

    counter = iter(range(1, 100000))

    def make(subject="Авария на опоре", body="Нет питания на БС", **fields):
        n = next(counter)
        sent = timezone.now() - timedelta(minutes=30)
        incident = create_incident(
            incident_date=sent, subject=subject, requester_email="noc@operator.ru", **fields
        )
        email = EmailMessage.objects.create(
            message_id=f"<m{n}-{incident.pk}@operator.ru>",
            subject=subject,
            from_address="noc@operator.ru",
            from_name="NOC",
            sent_at=sent,
            body_text=body,
            is_first=True,
            incident=incident,
        )
        EmailRecipient.objects.create(email=email, kind="to", address="desk@dispatch.ru")
        EmailRecipient.objects.create(email=email, kind="cc", address="boss@operator.ru")
        return incident

    return make


@pytest.fixture
def add_reply():
    from django.utils import timezone

    from emails.models import EmailMessage, EmailRecipient

    def add(incident, body="Питание восстановлено", subject=None):
        email = EmailMessage.objects.create(
            message_id=f"<reply-{incident.pk}-{EmailMessage.objects.count()}@operator.ru>",
            subject=subject or f"RE: {incident.subject}",
            from_address="noc@operator.ru",
            sent_at=timezone.now(),
            body_text=body,
            incident=incident,
        )
        EmailRecipient.objects.create(email=email, kind="to", address="desk@dispatch.ru")
        return email

    return add


@pytest.fixture
def directory(client):
    from yandex_tracker.fields import TrackerDirectory

    return TrackerDirectory(client)


@pytest.fixture
def dispatcher(fake_tracker, tracker_settings, db):
    """A dispatcher working in the tracker UI (own login and token), and their DISPATCH user."""
    from users.models import Role, User

    fake_tracker.state.add_user("ivanov", "Иван Иванов")
    fake_tracker.state.add_token("dispatcher-token", fake_tracker.state.user_by("ivanov")["uid"])
    User.objects.create_user(
        email="ivanov@dispatch.ru", username="ivanov", password="x", role=Role.DISPATCH
    )
    return TrackerClient(access_token="dispatcher-token", sleep=lambda s: None)


@pytest.fixture
def towers(db):
    """Reference data: two poles of one contractor, base stations with operators."""
    from ts.models import BaseStation, Contractor, ContractorEmail, Operator, Pole

    contractor = Contractor.objects.create(name="ООО Ремонт")
    ContractorEmail.objects.create(contractor=contractor, email="avr@remont.ru")
    mts = Operator.objects.create(name="МТС")
    beeline = Operator.objects.create(name="Билайн")
    pole = Pole.objects.create(site_id=1, code="77-00123-A", contractor=contractor, region="Tver")
    Pole.objects.create(site_id=2, code="77-00999-B", contractor=contractor)
    Pole.objects.create(site_id=3, code="77-00991-C", contractor=contractor)
    station = BaseStation.objects.create(name="БС-770123", pole=pole)
    station.operators.set([mts, beeline])
    return {"pole": pole, "station": station, "contractor": contractor}
