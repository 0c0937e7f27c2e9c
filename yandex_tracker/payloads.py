"""Issue field values computed from the database (what DISPATCH owns in the issue)."""

from __future__ import annotations

from typing import Any

from incidents.models import Incident
from incidents.sla import compute_sla
from yandex_tracker.client import format_dt
from yandex_tracker.fields import SLA_LABELS, FieldIds


def operator_names(incident: Incident) -> str | None:
    station = incident.base_station
    if station is None:
        return None
    names = sorted({op.name for op in station.operators.all()})
    return ", ".join(names) or None


def db_owned_fields(incident: Incident, ids: FieldIds) -> dict[str, Any]:
    """Fields the database is master of: dates, SLA deadline/state, contractor, operators.

    ``None`` means "empty" (the tracker leaves empty fields out of the issue).
    """
    sla = compute_sla(incident)
    contractor = incident.pole.contractor if incident.pole_id and incident.pole else None
    return {
        ids.email_datetime: format_dt(incident.incident_date),
        ids.sla_deadline: format_dt(sla.deadline) if sla.deadline else None,
        ids.sla_state: SLA_LABELS[sla.state],
        ids.contractor: contractor.name if contractor else None,
        ids.operator: operator_names(incident),
    }


def reference_fields(incident: Incident, ids: FieldIds, type_field: str | None) -> dict[str, Any]:
    """Fields the dispatcher edits in the tracker: pole, base station, type."""
    values: dict[str, Any] = {
        ids.pole: incident.pole.code if incident.pole else None,
        ids.base_station: incident.base_station.name if incident.base_station else None,
    }
    if type_field:
        values[type_field] = incident.incident_type.name if incident.incident_type else None
    return values


def without_empty(values: dict[str, Any]) -> dict[str, Any]:
    """Create payloads leave empty fields out."""
    return {k: v for k, v in values.items() if v not in (None, "", [])}
