"""Signals sent by the outbox worker after commit, so the domain can react to delivery.

``outbound_sent(sender=OutboundEmail, message=row)`` — the row was delivered (once).
``outbound_failed(sender=OutboundEmail, message=row, error=str)`` — the row gave up for good.

Receivers run outside the worker's claim/mark transactions; they should do their own writes in
their own transaction (the incidents app records the "notified" status this way).
"""

from django.dispatch import Signal

outbound_sent = Signal()
outbound_failed = Signal()
