"""Report fields of the original API, computed from an incident's (prefetched) status history.

Vendor SLA: the contractor's clock starts at the first «Передано подрядчику»; the deadline is that
moment plus the type's SLA minutes; it is expired when the first finishing status *after* the
transfer (or now, while none) is later than the deadline. No transfer or no type → no vendor SLA.

Only the transfer and the finishing rows matter: the list prefetches just those, as
``report_history`` (``REPORT_HISTORY``), instead of every status change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from incidents.models import Incident, IncidentStatusHistory, StatusKey

TRANSFER_KEY = StatusKey.NOTIFIED_CONTRACTOR
VENDOR_FINISH_KEYS = frozenset(
    {StatusKey.NOTIFIED_CLOSED, StatusKey.ON_GENERATION, StatusKey.CLOSED}
)
REPORT_STATUS_KEYS = frozenset({TRANSFER_KEY, *VENDOR_FINISH_KEYS})
REPORT_HISTORY = "report_history"


@dataclass(frozen=True)
class VendorSla:
    transferred_at: datetime | None
    deadline: datetime | None
    is_expired: bool | None


def vendor_sla(incident: Incident, now: datetime | None = None) -> VendorSla:
    """Transfer time, vendor deadline and whether it expired (from the prefetched
    ``report_history`` if there is one, else from ``status_history.all()``)."""
    rows: list[IncidentStatusHistory] | None = getattr(incident, REPORT_HISTORY, None)
    if rows is None:
        rows = list(incident.status_history.all())
    history = sorted(rows, key=lambda h: (h.created_at, h.pk))
    transferred_at = next((h.created_at for h in history if h.status.key == TRANSFER_KEY), None)
    if transferred_at is None or incident.incident_type is None:
        return VendorSla(transferred_at, None, None)
    deadline = transferred_at + timedelta(minutes=incident.incident_type.sla_minutes)
    finished_at = next(
        (
            h.created_at
            for h in history
            if h.status.key in VENDOR_FINISH_KEYS and h.created_at >= transferred_at
        ),
        None,
    )
    check = finished_at or now or timezone.now()
    return VendorSla(transferred_at, deadline, check > deadline)
