"""Reactions of the incident workflow to outbox delivery (connected in ``IncidentsConfig``)."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from emails.outbox.models import OutboundEmail
from emails.outbox.signals import outbound_failed, outbound_sent
from incidents.services import touch
from incidents.workflow import record_delivery, record_delivery_failure


@receiver(outbound_sent, sender=OutboundEmail, dispatch_uid="incidents.notified")
def notification_delivered(sender, message: OutboundEmail, **kwargs) -> None:
    record_delivery(message)
    _touch(message)


def _touch(message: OutboundEmail) -> None:
    """Its delivery state shows on the incident page: tell open pages (in a savepoint)."""
    if message.incident_id is not None:
        with transaction.atomic():
            touch(message.incident_id)


@receiver(outbound_failed, sender=OutboundEmail, dispatch_uid="incidents.notify_failed")
def notification_failed(sender, message: OutboundEmail, error: str = "", **kwargs) -> None:
    record_delivery_failure(message, error)
    _touch(message)
