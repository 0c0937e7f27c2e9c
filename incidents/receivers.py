"""Reactions of the incident workflow to outbox delivery (connected in ``IncidentsConfig``)."""

from __future__ import annotations

from django.dispatch import receiver

from emails.outbox.models import OutboundEmail
from emails.outbox.signals import outbound_failed, outbound_sent
from incidents.workflow import record_delivery, record_delivery_failure


@receiver(outbound_sent, sender=OutboundEmail, dispatch_uid="incidents.notified")
def notification_delivered(sender, message: OutboundEmail, **kwargs) -> None:
    record_delivery(message)


@receiver(outbound_failed, sender=OutboundEmail, dispatch_uid="incidents.notify_failed")
def notification_failed(sender, message: OutboundEmail, error: str = "", **kwargs) -> None:
    record_delivery_failure(message, error)
