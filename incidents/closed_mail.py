"""Mail written by a person into a closed incident.

The first such message gets one automatic answer (RFC 3834, at most one per incident per
``CLOSED_AUTO_REPLY_PERIOD_HOURS``); the ``MAX_EMAILS_ON_CLOSED_INCIDENTS``-th since the closing
reopens the incident («В работе») with a history comment saying why. Runs inside the ingest
transaction, after the batch is stored: one query finds the closed incidents of the batch and
counts their mail since closing, whatever the batch size.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.statements import NO_ID, CompiledQuery, Many
from emails.models import EmailMessage, from_outside
from emails.outbox.models import OutboundEmail
from incidents import workflow
from incidents.models import Actor, Incident, StatusKey
from incidents.notifications import NotificationError, queue_closed_auto_reply

logger = logging.getLogger(__name__)


def counts_on_closing(email: EmailMessage) -> bool:
    """Mail that counts: written by a person from outside, not flagged for a check."""
    return email.is_from_outside and email.review == EmailMessage.Review.NONE


def _mail_since_closing(incident_ids: list[int]) -> dict[int, int]:
    """Closed incidents among ``incident_ids`` → how many counting e-mails arrived since they
    were closed (one query)."""
    return dict(_MAIL_SINCE_CLOSING.rows(incident_ids))


# Compiled once a process (dispatch.statements: compiling it cost more than running it).
_MAIL_SINCE_CLOSING = CompiledQuery(
    lambda ids: (
        EmailMessage.objects.filter(
            from_outside(),
            incident_id__in=ids,
            incident__status__key=StatusKey.CLOSED,
            received_at__gte=F("incident__finished_at"),
            review=EmailMessage.Review.NONE,
        )
        .values("incident_id")
        .annotate(n=Count("id"))
        .values_list("incident_id", "n")
    ),
    Many(NO_ID),
)


def answer_mail_on_closed(emails: Iterable[EmailMessage], now: datetime | None = None) -> None:
    """Answer or reopen the closed incidents that new ``emails`` were linked to."""
    latest: dict[int, EmailMessage] = {}
    for email in emails:
        if email.incident_id and counts_on_closing(email):
            latest[email.incident_id] = email
    if not latest:
        return
    counts = _mail_since_closing(sorted(latest))
    if not counts:
        return
    now = now or timezone.now()
    limit = settings.MAX_EMAILS_ON_CLOSED_INCIDENTS
    for incident in Incident.objects.filter(pk__in=list(counts)).select_related("status"):
        email = latest[incident.pk]
        if limit and counts[incident.pk] >= limit:
            _reopen(incident, email, counts[incident.pk])
        else:
            _auto_reply(incident, email, now)


def _reopen(incident: Incident, email: EmailMessage, count: int) -> None:
    comment = _(
        "Reopened: %(count)s e-mails came in after the incident was closed, the last from "
        "%(sender)s."
    ) % {"count": count, "sender": email.from_address}
    try:
        workflow.change_status(incident, StatusKey.IN_PROGRESS, actor=Actor.EMAIL, comment=comment)
    except workflow.TransitionError as exc:
        logger.warning("incident=%s not reopened: %s", incident.pk, exc)


def _auto_reply(incident: Incident, email: EmailMessage, now: datetime) -> None:
    period = timedelta(hours=settings.CLOSED_AUTO_REPLY_PERIOD_HOURS)
    answered = OutboundEmail.objects.filter(
        Q(created_at__gte=now - period),
        incident=incident,
        kind=OutboundEmail.Kind.CLOSED_AUTO_REPLY,
    ).exists()
    if answered:
        return
    try:
        queue_closed_auto_reply(incident, email, channel=settings.NOTIFICATION_CHANNEL)
    except NotificationError as exc:
        logger.info("incident=%s: no automatic answer: %s", incident.pk, exc)
