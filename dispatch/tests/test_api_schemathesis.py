"""The published OpenAPI schema holds: schemathesis fuzzes every operation of a live server
(127.0.0.1, token auth, real data) and finds no server error and no schema violation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from dispatch.api.testing import make_incident, make_site, make_user
from dispatch.api.throttling import ApiUserThrottle
from emails.models import EmailAttachment, EmailMessage, EmailRecipient
from incidents.comments import add_comment
from incidents.defaults import load_defaults
from incidents.links import link_incidents
from incidents.models import Incident, IncidentType, RvrPriority, StatusKey
from incidents.work import set_work
from users.models import Role

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def seed() -> str:
    """Reference data, incidents in several statuses with e-mails; returns a dispatcher token."""
    load_defaults()
    kind = IncidentType.objects.create(name="Авария БС", sla_minutes=240)
    dispatcher = make_user(Role.DISPATCH)
    for n in range(3):
        pole, station = make_site(f"MSK-{n:03d}")
        incident = make_incident(
            pole=pole,
            base_station=station,
            incident_type=kind,
            assignee=dispatcher,
            statuses=(StatusKey.IN_PROGRESS, StatusKey.NOTIFIED_CONTRACTOR)[: n + 1],
        )
        email = EmailMessage.objects.create(
            message_id=f"<seed-{n}@example.com>",
            subject=incident.subject,
            from_address="noc@operator.example",
            sent_at=timezone.now(),
            body_text="Нет связи",
            incident=incident,
            is_first=True,
        )
        EmailRecipient.objects.create(email=email, kind="to", address="dispatch@localhost")
        EmailAttachment.objects.create(
            email=email, filename="фото.jpg", content_type="image/jpeg", size=1, sha256="0" * 64
        )
    first, second = Incident.objects.order_by("id")[:2]
    link_incidents(first, second, "relates", actor="console")
    add_comment(first, body="Подрядчик выехал", user=dispatcher)
    priority = RvrPriority.objects.create(name="Срочный", sla_minutes=120)
    set_work(first, "rvr", started_at=timezone.now(), priority=priority, actor="console")
    return Token.objects.create(user=dispatcher).key


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_errors_or_schema_violations(
    live_server, monkeypatch, tmp_path
):
    monkeypatch.setattr(ApiUserThrottle, "rate", "100000/min", raising=False)
    token = seed()
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{live_server.url}/api/schema/",
        "--header",
        f"Authorization: Token {token}",
        "--checks",
        "all",
        # Every operation is read-only except the status change, which a fuzzer legitimately
        # makes "stateful"; availability checks on created resources do not apply here.
        "--exclude-checks",
        "use_after_free,ensure_resource_availability",
        # The live queue is an endless event stream; it has its own tests.
        "--exclude-path",
        "/api/v1/incidents/live/",
        "--max-examples",
        "25",
        "--max-time",
        "90",
        "--request-timeout",
        "20",
        "--seed",
        "20261125",
        "--workers",
        "1",
        "--suppress-health-check",
        "all",
    ]
    # Run in a temporary directory: schemathesis keeps its cache in the working directory.
    result = subprocess.run(command, capture_output=True, text=True, timeout=420, cwd=tmp_path)
    output = result.stdout[-12000:] + result.stderr[-4000:]
    print(output)
    assert result.returncode == 0, output
