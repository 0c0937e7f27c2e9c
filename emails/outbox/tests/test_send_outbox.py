"""The outbox worker: claims, delivers after commit exactly once, retries, limits, channels."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from dispatch.models import WorkerHeartbeat
from dispatch.testing.smtp import smtp_sink  # noqa: F401  (fixture)
from dispatch.testing.threads import run_together
from emails.outbox.delivery import PermanentDeliveryError, register_channel
from emails.outbox.models import OutboundEmail
from emails.outbox.services import CLAIM_LEASE, retry_delay, send_due

State = OutboundEmail.State


def queue(n: int = 1, *, to: str = "noc@operator.example", channel: str = "smtp", **fields):
    now = timezone.now()
    rows = [
        OutboundEmail(
            kind=OutboundEmail.Kind.REPLY,
            channel=channel,
            dedupe_key=f"test:{to}:{i}:{now.timestamp()}",
            message_id=f"<test.{i}.{now.timestamp()}@example.ru>",
            to=[to],
            cc=["dispatch@example.ru"],
            subject=f"Re: DSP-{i}: Проверка",
            body_text=f"Письмо №{i}",
            headers={"Auto-Submitted": "auto-replied"},
            **fields,
        )
        for i in range(n)
    ]
    return OutboundEmail.objects.bulk_create(rows)


@pytest.mark.django_db
def test_backoff_grows_and_is_capped():
    assert [retry_delay(a).total_seconds() for a in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert retry_delay(20) == timedelta(hours=1)


@pytest.mark.django_db
def test_command_sends_due_mail_and_records_a_heartbeat(smtp_sink):  # noqa: F811
    queue(2)
    call_command("send_outbox", "--once")
    assert len(smtp_sink.wait_for(2)) == 2
    assert set(OutboundEmail.objects.values_list("state", flat=True)) == {State.SENT}
    beat = WorkerHeartbeat.objects.get(name="send_outbox")
    assert beat.last_summary.startswith("sent=2")


@pytest.mark.django_db
def test_a_batch_goes_through_one_smtp_connection_even_after_a_refusal(smtp_sink):  # noqa: F811
    smtp_sink.refused_recipients = {"gone@operator.example", "dispatch@example.ru"}
    queue(3)
    queue(1, to="gone@operator.example")  # every recipient refused: this one fails
    queue(2, to="ok@operator.example")
    report = send_due()
    assert (report.sent, report.failed) == (5, 1)
    received = smtp_sink.wait_for(5)
    assert len(received) == 5
    assert len({item.peer for item in smtp_sink.received}) <= 2  # reconnected once at most


@pytest.mark.django_db
def test_refused_addressee_fails_even_when_the_copy_to_us_was_accepted(smtp_sink):  # noqa: F811
    smtp_sink.refused_recipients = {"gone@operator.example"}
    [row] = queue(to="gone@operator.example")
    assert send_due().failed == 1
    row.refresh_from_db()
    assert row.state == State.FAILED and "gone@operator.example" in row.last_error
    [copy] = smtp_sink.wait_for(1)
    assert smtp_sink.received[0].rcpt_tos == ["dispatch@example.ru"]
    assert copy["Message-ID"] == row.message_id


@pytest.mark.django_db
def test_recipient_refused_is_a_permanent_failure_without_retries(smtp_sink):  # noqa: F811
    smtp_sink.refused_recipients = {"gone@operator.example", "dispatch@example.ru"}
    [row] = queue(to="gone@operator.example")
    report = send_due()
    assert report.failed == 1
    row.refresh_from_db()
    assert row.state == State.FAILED and row.attempts == 1
    assert "refused" in row.last_error
    assert smtp_sink.received == []


@pytest.mark.django_db
def test_per_recipient_limit_defers_the_excess_without_counting_an_attempt(
    smtp_sink,  # noqa: F811
    settings,
):
    settings.OUTBOX_PER_RECIPIENT_PER_HOUR = 2
    queue(3)
    queue(1, to="other@operator.example")
    report = send_due()
    assert (report.sent, report.deferred) == (3, 1)
    waiting = OutboundEmail.objects.get(state=State.QUEUED)
    assert waiting.attempts == 0
    assert waiting.next_attempt_at > timezone.now() + timedelta(minutes=59)
    assert send_due().sent == 0
    assert send_due(now=timezone.now() + timedelta(minutes=61)).sent == 1
    assert len(smtp_sink.wait_for(4)) == 4


@pytest.mark.django_db
def test_a_channel_without_backend_keeps_the_mail_queued():
    [row] = queue(channel="nowhere")
    assert send_due().retried == 1
    row.refresh_from_db()
    assert row.state == State.QUEUED and "nowhere" in row.last_error


class CommentChannel:
    """A second delivery channel, as the tracker app registers one."""

    def __init__(self) -> None:
        self.delivered: list[str] = []

    def deliver(self, message: OutboundEmail) -> str:
        if "bad" in message.to[0]:
            raise PermanentDeliveryError("issue not found")
        self.delivered.append(message.message_id)
        return "comment-1"


@pytest.mark.django_db
def test_rows_go_to_the_backend_registered_for_their_channel(smtp_sink):  # noqa: F811
    channel = CommentChannel()
    register_channel("comments", channel)
    [ok] = queue(channel="comments")
    [bad] = queue(channel="comments", to="bad@operator.example")
    report = send_due()
    assert (report.sent, report.failed) == (1, 1)
    assert channel.delivered == [ok.message_id]
    assert smtp_sink.received == []
    bad.refresh_from_db()
    assert bad.state == State.FAILED and bad.last_error == "issue not found"


@pytest.mark.django_db
def test_a_claim_abandoned_by_a_dead_worker_is_taken_again_after_the_lease(smtp_sink):  # noqa: F811
    [row] = queue()
    stale = timezone.now() - CLAIM_LEASE - timedelta(seconds=1)
    OutboundEmail.objects.filter(pk=row.pk).update(
        state=State.SENDING, claimed_at=stale, attempts=1
    )
    assert send_due().sent == 1
    row.refresh_from_db()
    assert row.state == State.SENT and row.attempts == 2
    [message] = smtp_sink.wait_for(1)
    assert message["Message-ID"] == row.message_id


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_workers_send_every_message_exactly_once(smtp_sink, settings):  # noqa: F811
    settings.OUTBOX_PER_RECIPIENT_PER_HOUR = 100
    rows = queue(40)

    def worker() -> None:
        for _ in range(40):
            if (
                not send_due(limit=5).sent
                and not OutboundEmail.objects.filter(
                    state__in=[State.QUEUED, State.SENDING]
                ).exists()
            ):
                break

    _results, errors = run_together(worker, 2)
    assert not errors
    received = smtp_sink.wait_for(40)
    assert len(received) == 40
    assert sorted(m["Message-ID"] for m in received) == sorted(r.message_id for r in rows)
    assert set(OutboundEmail.objects.values_list("state", "attempts")) == {(State.SENT, 1)}


@pytest.mark.django_db
def test_embedded_default_writes_mail_to_files(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    [row] = queue()
    assert send_due().sent == 1
    [written] = list(tmp_path.iterdir())
    data = written.read_bytes()
    assert row.message_id.encode() in data
    assert b"Auto-Submitted: auto-replied" in data
