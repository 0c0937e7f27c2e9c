"""CR/LF in an incident subject or in queued recipients never injects a header or a recipient
into the mail that reaches a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.testing.smtp import smtp_sink  # noqa: F401  (fixture)
from emails.outbox.models import OutboundEmail
from emails.outbox.services import send_due
from incidents.notifications import queue_notification
from incidents.services import create_incident

pytestmark = pytest.mark.django_db

REQUESTER = "noc@operator.example"
EVIL = "attacker@evil.example"
_numbers = itertools.count()
INJECTIONS = [
    f"\r\nBcc: {EVIL}",
    f"\nBcc: {EVIL}",
    f"\rBcc: {EVIL}",
    f"\r\n\r\nInjected body\r\nBcc: {EVIL}",
    f"\r\nX-Injected: yes\r\nTo: {EVIL}",
    f"\u2028Bcc: {EVIL}",
    f"\x85Bcc: {EVIL}",
]


def _assert_clean(received, expected_rcpts: set[str]) -> None:
    assert EVIL not in " ".join(received.rcpt_tos)
    assert set(received.rcpt_tos) <= expected_rcpts
    message = received.message
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert EVIL not in str(message["To"]) and EVIL not in str(message.get("Cc", ""))
    assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])


@settings(
    max_examples=25,
    deadline=5000,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    prefix=st.text(max_size=40),
    injection=st.sampled_from(INJECTIONS),
    suffix=st.text(max_size=20),
)
def test_subject_with_line_breaks_cannot_add_headers(
    smtp_sink,  # noqa: F811
    defaults,
    prefix,
    injection,
    suffix,
):
    smtp_sink.clear()
    requester = f"noc{next(_numbers)}@operator.example"  # below the per-recipient hourly limit
    subject = f"Авария {prefix}{injection}{suffix}"  # e.g. a tracker summary with line breaks
    incident = create_incident(
        incident_date=timezone.now(), subject=subject, requester_email=requester
    )
    queue_notification(incident, OutboundEmail.Kind.ACCEPTED)
    report = send_due()
    assert report.sent == 1, report.errors  # sent, on one line, not retried for ever
    smtp_sink.wait_for(1)
    _assert_clean(smtp_sink.received[-1], {requester, *_our_copies()})


def _our_copies() -> set[str]:
    from incidents.notifications import our_addresses

    return {address.lower() for address in our_addresses()}


@pytest.mark.parametrize("injection", INJECTIONS)
def test_recipient_with_line_breaks_is_not_delivered_to_the_injected_address(
    smtp_sink,  # noqa: F811
    defaults,
    injection,
):
    OutboundEmail.objects.create(
        kind=OutboundEmail.Kind.REPLY,
        channel="smtp",
        dedupe_key=f"inject:{injection!r}",
        message_id="<inject@dispatch.example>",
        to=[f"{REQUESTER}{injection}"],
        subject=f"Re: DSP-1: тест{injection}",
        body_text="Проверка",
        headers={"Auto-Submitted": "auto-replied", "X-Note": f"ok{injection}"},
    )
    report = send_due()
    row = OutboundEmail.objects.get()
    if report.sent:
        smtp_sink.wait_for(1)
        _assert_clean(smtp_sink.received[-1], {REQUESTER})
    else:
        assert row.state in {OutboundEmail.State.FAILED, OutboundEmail.State.QUEUED}
        assert row.last_error
    assert all(EVIL not in item.rcpt_tos for item in smtp_sink.received)
