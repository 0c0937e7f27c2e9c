"""Report fields of the original API, computed from an incident's (prefetched) status history.

Vendor SLA: the contractor's clock starts at the first «Передано подрядчику»; the deadline is that
moment plus the type's SLA minutes; it is expired when the first finishing status *after* the
transfer (or now, while none) is later than the deadline. No transfer or no type → no vendor SLA.

Only the transfer and the finishing rows matter: the list prefetches just those, as
``report_history`` (``REPORT_HISTORY``), instead of every status change.
"""

from __future__ import annotations

from collections.abc import Iterable
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
    kind = incident.incident_type
    return vendor_sla_of(
        [(h.created_at, h.pk, h.status.key) for h in rows],
        None if kind is None else kind.sla_minutes,
        now,
    )


def vendor_sla_of(
    history: Iterable[tuple[datetime, int, str]],
    sla_minutes: int | None,
    now: datetime | None = None,
) -> VendorSla:
    """``vendor_sla`` from plain values: the status changes as (created_at, id, status key), in
    any order and possibly only the ``REPORT_STATUS_KEYS`` ones, and the type's SLA minutes
    (None without a type)."""
    ordered = sorted(history)
    transferred_at = next((at for at, _pk, key in ordered if key == TRANSFER_KEY), None)
    if transferred_at is None or sla_minutes is None:
        return VendorSla(transferred_at, None, None)
    deadline = transferred_at + timedelta(minutes=sla_minutes)
    finished_at = next(
        (at for at, _pk, key in ordered if key in VENDOR_FINISH_KEYS and at >= transferred_at),
        None,
    )
    check = finished_at or now or timezone.now()
    return VendorSla(transferred_at, deadline, check > deadline)
