"""Issue field values computed from the database (what DISPATCH owns in the issue)."""

from __future__ import annotations

from typing import Any

from incidents.models import Incident
from incidents.sla import compute_sla
from yandex_tracker.client import format_dt
from yandex_tracker.fields import RVR_PRIORITY_FIELD, SLA_LABELS, WORK_FIELDS, FieldIds


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
        **work_fields(incident),
    }


def work_fields(incident: Incident) -> dict[str, Any]:
    """Start and end of each work category, and the РВР priority (empty when absent)."""
    works = {work.category: work for work in incident.works.all()}
    values: dict[str, Any] = {}
    for category, (start, end) in WORK_FIELDS.items():
        work = works.get(category)
        values[start] = format_dt(work.started_at) if work else None
        values[end] = format_dt(work.ended_at) if work and work.ended_at else None
    rvr = works.get("rvr")
    values[RVR_PRIORITY_FIELD] = rvr.priority.name if rvr and rvr.priority_id else None
    return values


def reference_fields(
    incident: Incident, ids: FieldIds, type_field: str | None, subtype_field: str | None = None
) -> dict[str, Any]:
    """Fields the dispatcher edits in the tracker: pole, base station, type, subtype."""
    values: dict[str, Any] = {
        ids.pole: incident.pole.code if incident.pole else None,
        ids.base_station: incident.base_station.name if incident.base_station else None,
    }
    if type_field:
        values[type_field] = incident.incident_type.name if incident.incident_type else None
    if subtype_field:
        values[subtype_field] = incident.subtype.name if incident.subtype_id else None
    return values


def without_empty(values: dict[str, Any]) -> dict[str, Any]:
    """Create payloads leave empty fields out."""
    return {k: v for k, v in values.items() if v not in (None, "", [])}
