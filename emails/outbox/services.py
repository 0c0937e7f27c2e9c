"""Outbox writes: claim due rows, deliver them after commit, record the outcome.

One cycle of ``send_outbox`` is ``send_due()``:

1. **claim** (short transaction): due rows are selected with ``SELECT … FOR UPDATE SKIP LOCKED``
   (PostgreSQL) and each is taken with a conditional ``UPDATE … WHERE state = queued`` — only the
   worker whose update matched proceeds, so any number of workers can run at once;
2. **deliver** (no transaction open): the channel's backend sends the message;
3. **record** (short transaction): ``sent`` (and the ``outbound_sent`` signal, so the workflow
   records "notified" atomically with it), or back to ``queued`` with exponential back-off, or
   ``failed`` after ``OUTBOX_MAX_ATTEMPTS`` / a permanent error.

A row left in ``sending`` by a worker that died is claimed again after ``CLAIM_LEASE``. Only
that crash window (delivered, not yet recorded) can repeat a message; nothing is ever dropped.
Per-recipient rate limit: at most ``OUTBOX_PER_RECIPIENT_PER_HOUR`` messages to one address in
any hour; excess rows wait (not counted as attempts).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from emails.outbox.delivery import PermanentDeliveryError, close_all, get_backend
from emails.outbox.models import OutboundEmail
from emails.outbox.signals import outbound_failed, outbound_sent

logger = logging.getLogger(__name__)

State = OutboundEmail.State
CLAIM_LEASE = timedelta(minutes=15)
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=1)
RATE_WINDOW = timedelta(hours=1)


@dataclass
class SendReport:
    """What one cycle did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"sent={self.sent} retried={self.retried} failed={self.failed} deferred={self.deferred}"
        )


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the ``attempts``-th failed attempt: 1, 2, 4 … minutes, at most an hour."""
    return min(MAX_RETRY, FIRST_RETRY * 2 ** max(0, attempts - 1))


def _due(now: datetime) -> Q:
    return Q(state=State.QUEUED, next_attempt_at__lte=now) | Q(
        state=State.SENDING, claimed_at__lt=now - CLAIM_LEASE
    )


def claim_due(*, limit: int = 50, now: datetime | None = None) -> list[OutboundEmail]:
    """Take up to ``limit`` due rows for this worker (state ``sending``, one more attempt)."""
    now = now or timezone.now()
    claimed: list[int] = []
    with transaction.atomic():
        candidates = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(_due(now))
            .order_by("next_attempt_at", "id")
            .values_list("pk", "state", "claimed_at")[:limit]
        )
        for pk, state, claimed_at in candidates:
            row = OutboundEmail.objects.filter(pk=pk, state=state)
            if state == State.SENDING:
                row = row.filter(claimed_at=claimed_at)
            if row.update(state=State.SENDING, claimed_at=now, attempts=F("attempts") + 1):
                claimed.append(pk)
    return list(
        OutboundEmail.objects.filter(pk__in=claimed)
        .select_related("incident")
        .order_by("next_attempt_at", "id")
    )


def _mine(message: OutboundEmail):
    """The row, only while this worker's claim holds."""
    return OutboundEmail.objects.filter(
        pk=message.pk, state=State.SENDING, claimed_at=message.claimed_at
    )


def mark_sent(message: OutboundEmail, *, now: datetime | None = None) -> bool:
    """Record the delivery and tell the domain (one transaction); False if the claim was lost."""
    now = now or timezone.now()
    with transaction.atomic():
        if not _mine(message).update(state=State.SENT, sent_at=now, last_error=""):
            logger.warning("outbox id=%s delivered but its claim was lost", message.pk)
            return False
        message.state, message.sent_at, message.last_error = State.SENT, now, ""
        for receiver, result in outbound_sent.send_robust(sender=OutboundEmail, message=message):
            if isinstance(result, Exception):
                logger.error(
                    "outbox id=%s: sent-receiver %r failed: %r", message.pk, receiver, result
                )
    return True


def mark_failed(message: OutboundEmail, error: str) -> None:
    """Give up on the row for good and tell the domain."""
    with transaction.atomic():
        if not _mine(message).update(state=State.FAILED, last_error=error[:4000]):
            return
        message.state, message.last_error = State.FAILED, error
        for receiver, result in outbound_failed.send_robust(
            sender=OutboundEmail, message=message, error=error
        ):
            if isinstance(result, Exception):
                logger.error(
                    "outbox id=%s: failed-receiver %r failed: %r", message.pk, receiver, result
                )


def schedule_retry(message: OutboundEmail, error: str, *, now: datetime | None = None) -> None:
    """Put the row back in the queue after the back-off for its attempt count."""
    now = now or timezone.now()
    _mine(message).update(
        state=State.QUEUED,
        next_attempt_at=now + retry_delay(message.attempts),
        last_error=error[:4000],
    )


def defer(message: OutboundEmail, until: datetime) -> None:
    """Rate limited: back to the queue until ``until``; the claim did not count as an attempt."""
    _mine(message).update(state=State.QUEUED, next_attempt_at=until, attempts=F("attempts") - 1)


class RecipientRate:
    """Messages per recipient in the last hour, loaded once per cycle and updated as we send."""

    def __init__(self, now: datetime, exclude: set[int]) -> None:
        self.limit = settings.OUTBOX_PER_RECIPIENT_PER_HOUR
        self.now = now
        self.times: dict[str, list[datetime]] = defaultdict(list)
        if self.limit <= 0:
            return
        since = now - RATE_WINDOW
        recent = (
            OutboundEmail.objects.filter(
                Q(state=State.SENT, sent_at__gte=since)
                | Q(state=State.SENDING, claimed_at__gte=since)
            )
            .exclude(pk__in=exclude)
            .values_list("to", "sent_at", "claimed_at")
        )
        for to, sent_at, claimed_at in recent:
            for address in {a.lower() for a in to}:
                self.times[address].append(sent_at or claimed_at)

    def blocked_until(self, message: OutboundEmail) -> datetime | None:
        """When a slot frees up for every addressee, or None if it may go now."""
        if self.limit <= 0:
            return None
        waits = []
        for address in {a.lower() for a in message.to}:
            times = sorted(self.times[address])
            if len(times) >= self.limit:
                waits.append(times[len(times) - self.limit] + RATE_WINDOW)
        return max(waits) if waits else None

    def count(self, message: OutboundEmail) -> None:
        for address in {a.lower() for a in message.to}:
            self.times[address].append(self.now)


def deliver(message: OutboundEmail, rate: RecipientRate, report: SendReport) -> None:
    """Deliver one claimed row (no transaction open) and record the outcome."""
    until = rate.blocked_until(message)
    if until is not None:
        defer(message, until)
        report.deferred += 1
        return
    try:
        get_backend(message.channel).deliver(message)
    except PermanentDeliveryError as exc:
        logger.warning("outbox id=%s permanent failure: %s", message.pk, exc)
        mark_failed(message, str(exc))
        report.failed += 1
        report.errors.append(str(exc))
        return
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        report.errors.append(error)
        if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            logger.warning("outbox id=%s gave up after %d attempts", message.pk, message.attempts)
            mark_failed(message, error)
            report.failed += 1
        else:
            logger.info("outbox id=%s attempt %d failed: %s", message.pk, message.attempts, error)
            schedule_retry(message, error)
            report.retried += 1
        return
    rate.count(message)
    if mark_sent(message):
        report.sent += 1


def send_due(*, limit: int = 50, now: datetime | None = None) -> SendReport:
    """One cycle: claim due rows, then deliver them one by one outside any transaction."""
    report = SendReport()
    now = now or timezone.now()
    claimed = claim_due(limit=limit, now=now)
    if not claimed:
        return report
    rate = RecipientRate(now, exclude={m.pk for m in claimed})
    try:
        for message in claimed:
            deliver(message, rate, report)
    finally:
        close_all()
    return report
