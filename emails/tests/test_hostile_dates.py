"""A new conversation's ``Date`` header is the sender's to write. Read through the real ingest
from Dovecot, a date in 2100 must not keep an incident from ever being overdue (or pin it to the
top of the queue), and one in 1970 must not bury it overdue at the bottom: the incident starts
when the desk received the message unless the header is plausible."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from emails.ingest import ingest_folder
from emails.models import EmailMessage
from emails.services import DATE_HEADER_TRUST, incident_start
from emails.tests.conftest import build_message
from incidents.models import Incident, IncidentType, SlaState
from incidents.sla_sweep import sweep_sla
from users.models import Role, User

pytestmark = pytest.mark.django_db(transaction=True)


def test_forged_dates_start_the_incident_at_receipt(dovecot, imap_source, statuses, client):
    an_hour_ago = timezone.now() - timedelta(hours=1)
    dovecot.append(
        "INBOX",
        [
            build_message("Авария, дата из будущего", message_id="<future@evil.example>",
                          date=datetime(2100, 1, 1, tzinfo=UTC)),
            build_message("Авария, дата из прошлого", message_id="<past@evil.example>",
                          date=datetime(1970, 1, 2, tzinfo=UTC)),
            build_message("Авария сейчас", message_id="<honest@op.example>", date=an_hour_ago),
        ],
    )  # fmt: skip
    before = timezone.now()
    ingest_folder(imap_source, "INBOX")
    after = timezone.now()

    def started(message_id: str) -> datetime:
        return EmailMessage.objects.get(message_id=message_id).incident.incident_date

    assert before - timedelta(seconds=5) <= started("<future@evil.example>") <= after
    assert before - timedelta(seconds=5) <= started("<past@evil.example>") <= after
    assert started("<honest@op.example>") == an_hour_ago.replace(microsecond=0)
    # What the sender claimed is still shown as the e-mail's date.
    assert EmailMessage.objects.get(message_id="<future@evil.example>").sent_at.year == 2100

    # With a four-hour type the forged incidents are counted like any other: not overdue yet,
    # and overdue once their real four hours are gone — not in 2100, not at once.
    kind = IncidentType.objects.create(name="Проверка даты", sla_minutes=240)
    Incident.objects.update(incident_type=kind)
    sweep_sla(full=True)
    forged = Incident.objects.filter(
        emails__message_id__in=["<future@evil.example>", "<past@evil.example>"]
    )
    for incident in forged:
        assert incident.sla_deadline == incident.incident_date + timedelta(minutes=240)
        assert incident.sla_state == SlaState.IN_PROGRESS

    # The dispatcher's queue dates them today, not 2100 or 1970.
    viewer = User.objects.create_user(email="d@desk.example", username="d", role=Role.DISPATCH)
    client.force_login(viewer)
    page = client.get(reverse("console:queue") + "?status=all").content.decode()
    today = timezone.localtime(after).strftime("%d.%m.%Y")
    assert page.count(today) >= 3
    assert "2100" not in page and "1970" not in page


@pytest.mark.parametrize(
    ("offset", "kept"),
    [
        (None, False),
        (timedelta(0), True),
        (-DATE_HEADER_TRUST, True),
        (-DATE_HEADER_TRUST - timedelta(seconds=1), False),
        (timedelta(seconds=1), False),
    ],
)
def test_the_date_header_is_believed_only_within_a_day_before_receipt(offset, kept):
    received = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    claimed = None if offset is None else received + offset
    assert incident_start(claimed, received) == (claimed if kept else received)
