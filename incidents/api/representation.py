"""The JSON of an incident (list row and detail) built by plain functions.

DRF's generic field machinery costs ≈ 0.1 ms per list row; these functions produce exactly what
the serializers in ``incidents.api.serializers`` declare (the serializers stay the contract and the
OpenAPI description and delegate here). ``tests/test_api_representation.py`` checks the two agree.
Relations are expected prefetched (``incidents.api.selectors``).
"""

from __future__ import annotations

import functools
from datetime import datetime, tzinfo

from django.utils import timezone
from django.utils.translation import get_language
from rest_framework.fields import DateTimeField

from emails.models import EmailAttachment, EmailMessage
from incidents.api.report import vendor_sla
from incidents.dispatcher_sla import dispatcher_sla
from incidents.models import Incident, IncidentSource, IncidentStatus, IncidentStatusHistory
from ts.models import BaseStation, Contractor, Pole
from users.models import User

_DATETIME = DateTimeField()


def iso(value: datetime | None, tz: tzinfo | None = None) -> str | None:
    """As DRF's ``DateTimeField``: ISO 8601 in the current time zone, ``Z`` for UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return _DATETIME.to_representation(value)
    text = value.astimezone(tz or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@functools.cache
def _source_labels(language: str | None) -> dict[str, str]:
    """The registration methods' labels translated into ``language`` (the active one)."""
    return {value: str(label) for value, label in IncidentSource.choices}


def source_display(value: str) -> str:
    """``get_source_display()`` without its per-call choices dictionary and translation lookup."""
    return _source_labels(get_language()).get(value, str(value))


def status_brief(status: IncidentStatus) -> dict:
    return {"key": status.key, "name": status.name}


def user_brief(user: User | None) -> dict | None:
    if user is None:
        return None
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.get_full_name(),
        "display_name": user.display_name,
    }


def pole_brief(pole: Pole | None) -> dict | None:
    if pole is None:
        return None
    return {
        "id": pole.pk,
        "code": pole.code,
        "region_ru": pole.region_ru,
        "address": pole.address,
        "latitude": None if pole.latitude is None else float(pole.latitude),
        "longitude": None if pole.longitude is None else float(pole.longitude),
    }


# Prefetched to-many rows as plain lists (``Prefetch(…, to_attr=…)``): Django would otherwise
# build a related manager's queryset for every station and contractor of a page.
OPERATOR_ROWS = "operator_rows"
CONTRACTOR_EMAIL_ROWS = "email_rows"


def _rows(instance, to_attr: str, relation: str) -> list:
    """The rows prefetched into ``to_attr``, else those of the ``relation`` manager."""
    found = getattr(instance, to_attr, None)
    return found if found is not None else list(getattr(instance, relation).all())


def base_station_brief(station: BaseStation | None) -> dict | None:
    if station is None:
        return None
    return {
        "id": station.pk,
        "name": station.name,
        "operators": [
            {"id": o.pk, "name": o.name, "group": o.group}
            for o in _rows(station, OPERATOR_ROWS, "operators")
        ],
    }


def contractor_brief(contractor: Contractor | None) -> dict | None:
    if contractor is None:
        return None
    return {
        "id": contractor.pk,
        "name": contractor.name,
        "emails": [e.email for e in _rows(contractor, CONTRACTOR_EMAIL_ROWS, "emails")],
    }


def report(incident: Incident, tz: tzinfo | None = None) -> dict:
    """The original API's report fields (``ReportSerializer``)."""
    sla = vendor_sla(incident)
    return {
        "registration_method": incident.source,
        "registration_method_display": source_display(incident.source),
        "is_transferred_to_contractor": sla.transferred_at is not None,
        "transferred_to_contractor_at": iso(sla.transferred_at, tz),
        "vendor_sla_deadline": iso(sla.deadline, tz),
        "is_vendor_sla_expired": sla.is_expired,
    }


def dispatcher_sla_of(incident: Incident, tz: tzinfo | None = None) -> dict:
    """The dispatcher SLA (``DispatcherSlaSerializer``)."""
    sla = dispatcher_sla(incident)
    return {
        "deadline": iso(sla.deadline, tz),
        "first_action_at": iso(sla.first_action_at, tz),
        "is_breached": sla.is_breached,
    }


def incident_row(incident: Incident, tz: tzinfo | None = None) -> dict:
    """An incident as listed (``IncidentSerializer``)."""
    tz = tz or timezone.get_current_timezone()
    kind = incident.incident_type
    return {
        "id": incident.pk,
        "code": incident.code,
        "subject": incident.subject,
        "requester_email": incident.requester_email,
        "incident_date": iso(incident.incident_date, tz),
        "status": status_brief(incident.status),
        "incident_type": None
        if kind is None
        else {"id": kind.pk, "name": kind.name, "sla_minutes": kind.sla_minutes},
        "subtype": None
        if incident.subtype_id is None
        else {"id": incident.subtype.pk, "name": incident.subtype.name},
        "dispatcher": user_brief(incident.assignee),
        "pole": pole_brief(incident.pole),
        "base_station": base_station_brief(incident.base_station),
        "contractor": contractor_brief(incident.contractor),
        "is_finished": incident.is_finished,
        "finished_at": iso(incident.finished_at, tz),
        "sla_deadline": iso(incident.sla_deadline, tz),
        "sla_state": incident.sla_state,
        "report": report(incident, tz),
        "unread_since": iso(incident.unread_since, tz),
        "auto_close_date": iso(incident.auto_close_date, tz),
        "no_thread_linking": incident.no_thread_linking,
        "description": incident.description,
        "dispatcher_sla": dispatcher_sla_of(incident, tz),
        "created_at": iso(incident.created_at, tz),
        "updated_at": iso(incident.updated_at, tz),
    }


def status_change(change: IncidentStatusHistory, tz: tzinfo | None = None) -> dict:
    """One row of the status history (``StatusHistorySerializer``)."""
    return {
        "status": status_brief(change.status),
        "created_at": iso(change.created_at, tz),
        "actor": change.actor,
        "user": user_brief(change.user),
        "comment": change.comment,
    }


def attachment(item: EmailAttachment) -> dict:
    return {
        "id": item.pk,
        "filename": item.offered_name,
        "content_type": item.content_type,
        "size": item.size,
        "sha256": item.sha256,
        "is_inline": item.is_inline,
        "is_stored": bool(item.file),
        "rejected_reason": item.rejected_reason,
    }


def email_summary(email: EmailMessage, tz: tzinfo | None = None) -> dict:
    """An e-mail without its body (``EmailSummarySerializer``)."""
    return {
        "id": email.pk,
        "message_id": email.message_id,
        "subject": email.subject,
        "from_address": email.from_address,
        "from_name": email.from_name,
        "sent_at": iso(email.sent_at, tz),
        "direction": email.direction,
        "auto_kind": email.auto_kind,
        "is_first": email.is_first,
        "recipients": [
            {"kind": r.kind, "address": r.address, "name": r.name} for r in email.recipients.all()
        ],
        "attachments": [attachment(a) for a in email.attachments.all()],
    }


def incident_detail(incident: Incident, tz: tzinfo | None = None) -> dict:
    """An incident with its status history and e-mails (``IncidentDetailSerializer``)."""
    tz = tz or timezone.get_current_timezone()
    return {
        **incident_row(incident, tz),
        "status_history": [status_change(h, tz) for h in incident.status_history.all()],
        "emails": [email_summary(e, tz) for e in incident.emails.all()],
    }
