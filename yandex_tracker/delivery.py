"""Outbox channel ``tracker``: templated e-mails sent as e-mail comments of the incident's issue.

The comment text carries the message's Message-ID, so a retry after a lost reply finds the
comment already posted and does not send the e-mail twice.
"""

from __future__ import annotations

import logging

from django.conf import settings

from emails.outbox.delivery import PermanentDeliveryError, TemporaryDeliveryError
from emails.outbox.models import OutboundEmail
from yandex_tracker.client import TrackerClient
from yandex_tracker.errors import (
    TrackerDisabled,
    TrackerError,
    TrackerNotFound,
    TrackerValidationError,
)
from yandex_tracker.models import TrackerIssue

logger = logging.getLogger(__name__)


def comment_text(message: OutboundEmail) -> str:
    return f"📤 {message.get_kind_display()}: {', '.join(message.to)} · `{message.message_id}`"


class TrackerCommentDelivery:
    """Delivery backend registered for the ``tracker`` channel."""

    def __init__(self) -> None:
        self._client: TrackerClient | None = None

    def client(self) -> TrackerClient:
        if not settings.YT_ENABLED:
            raise TemporaryDeliveryError("Yandex Tracker is not configured")
        if self._client is None or self._client.base_url != settings.YT_API_BASE_URL.rstrip("/"):
            self._client = TrackerClient()
        return self._client

    def deliver(self, message: OutboundEmail) -> str:
        key = (
            TrackerIssue.objects.filter(incident_id=message.incident_id, key__isnull=False)
            .values_list("key", flat=True)
            .first()
        )
        if key is None:
            raise TemporaryDeliveryError("the incident has no tracker issue yet")
        client = self.client()
        try:
            if message.attempts > 1:
                marker = f"`{message.message_id}`"
                for comment in client.comments(key):
                    if marker in (comment.get("text") or ""):
                        logger.info("outbox id=%s already posted to %s", message.pk, key)
                        return str(comment["id"])
            comment = client.add_email_comment(
                key,
                text=comment_text(message),
                subject=message.subject,
                body=message.body_text,
                sender=settings.PARSING_EMAIL_LOGIN or settings.DISPATCH_MAILBOX,
                to=list(message.to),
                cc=list(message.cc),
            )
        except (TrackerNotFound, TrackerValidationError) as exc:
            raise PermanentDeliveryError(f"tracker refused the e-mail comment: {exc}") from exc
        except (TrackerDisabled, TrackerError) as exc:
            raise TemporaryDeliveryError(str(exc)) from exc
        return str(comment["id"])
