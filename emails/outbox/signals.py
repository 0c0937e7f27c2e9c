"""Signals sent by the outbox worker when it records a delivery, so the domain can react.

``outbound_sent(sender=OutboundEmail, message=row)`` — the row was delivered (once).
``outbound_failed(sender=OutboundEmail, message=row, error=str)`` — the row gave up for good.

Receivers run inside the worker's record transaction, after the row was marked: what they write
commits together with the mark (the incidents app records «Уведомили…» this way), so a crash
between the two cannot happen. A receiver should wrap its writes in ``transaction.atomic()`` (a
savepoint): its failure is logged and rolled back alone, and the mark still commits.
"""

from django.dispatch import Signal

outbound_sent = Signal()
outbound_failed = Signal()
