"""The JSON of an incident (list row and detail) built by plain functions.

DRF's generic field machinery costs ≈ 0.1 ms per list row; these functions produce exactly what
the serializers in ``incidents.api.serializers`` declare (the serializers stay the contract and the
OpenAPI description and delegate here). ``tests/test_api_representation.py`` checks the two agree.
Relations are expected prefetched (``incidents.api.selectors``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import NamedTuple

from django.utils import timezone
from django.utils.translation import get_language
from rest_framework.fields import DateTimeField

from emails.api.serializers import ATTACHMENT_FIELDS, SUMMARY_COLUMNS
from emails.models import EmailAttachment, EmailMessage, offered_name
from incidents.api.report import REPORT_HISTORY, VendorSla, vendor_sla, vendor_sla_of
from incidents.dispatcher_sla import DispatcherSla, dispatcher_sla, dispatcher_sla_at
from incidents.models import Incident, IncidentSource, IncidentStatus, IncidentStatusHistory
from ts.models import BaseStation, Contractor, Pole
from users.models import User
from users.names import display_name

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
    return user_brief_of(user.pk, user.username, user.first_name, user.last_name)


def user_brief_of(pk: int, username: str, first_name: str, last_name: str) -> dict:
    """A person as the API names them, from their columns."""
    return {
        "id": pk,
        "username": username,
        "full_name": f"{first_name} {last_name}".strip(),  # as ``User.get_full_name()``
        "display_name": display_name(first_name, last_name, username),
    }


def pole_brief(pole: Pole | None) -> dict | None:
    if pole is None:
        return None
    return pole_brief_of(
        pole.pk, pole.code, pole.region_ru, pole.address, pole.latitude, pole.longitude
    )


def pole_brief_of(
    pk: int,
    code: str,
    region_ru: str,
    address: str,
    latitude: Decimal | None,
    longitude: Decimal | None,
) -> dict:
    """A pole from its columns."""
    return {
        "id": pk,
        "code": code,
        "region_ru": region_ru,
        "address": address,
        "latitude": None if latitude is None else float(latitude),
        "longitude": None if longitude is None else float(longitude),
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
    return base_station_brief_of(
        station.pk,
        station.name,
        [(o.pk, o.name, o.group) for o in _rows(station, OPERATOR_ROWS, "operators")],
    )


def base_station_brief_of(pk: int, name: str, operators: Iterable[tuple[int, str, str]]) -> dict:
    """A base station from its columns and its operators' (id, name, group)."""
    return {
        "id": pk,
        "name": name,
        "operators": [
            {"id": o_pk, "name": o_name, "group": group} for o_pk, o_name, group in operators
        ],
    }


def contractor_brief(contractor: Contractor | None) -> dict | None:
    if contractor is None:
        return None
    return contractor_brief_of(
        contractor.pk,
        contractor.name,
        [e.email for e in _rows(contractor, CONTRACTOR_EMAIL_ROWS, "emails")],
    )


def contractor_brief_of(pk: int, name: str, emails: list[str]) -> dict:
    return {"id": pk, "name": name, "emails": emails}


def report(incident: Incident, tz: tzinfo | None = None) -> dict:
    """The original API's report fields (``ReportSerializer``)."""
    return report_of(incident.source, vendor_sla(incident), tz)


def report_of(source: str, sla: VendorSla, tz: tzinfo | None = None) -> dict:
    return {
        "registration_method": source,
        "registration_method_display": source_display(source),
        "is_transferred_to_contractor": sla.transferred_at is not None,
        "transferred_to_contractor_at": iso(sla.transferred_at, tz),
        "vendor_sla_deadline": iso(sla.deadline, tz),
        "is_vendor_sla_expired": sla.is_expired,
    }


def dispatcher_sla_of(incident: Incident, tz: tzinfo | None = None) -> dict:
    """The dispatcher SLA (``DispatcherSlaSerializer``)."""
    return _dispatcher_sla(dispatcher_sla(incident), tz)


def _dispatcher_sla(sla: DispatcherSla, tz: tzinfo | None) -> dict:
    return {
        "deadline": iso(sla.deadline, tz),
        "first_action_at": iso(sla.first_action_at, tz),
        "is_breached": sla.is_breached,
    }


# An incident's own columns and its small reference rows, as a list page reads them
# (``values_list``); ``RowValues`` names them in the same order.
ROW_COLUMNS = (
    "id",
    "code",
    "subject",
    "requester_email",
    "incident_date",
    "status__key",
    "status__name",
    "incident_type_id",
    "incident_type__name",
    "incident_type__sla_minutes",
    "subtype_id",
    "subtype__name",
    "assignee_id",
    "pole_id",
    "base_station_id",
    "is_finished",
    "finished_at",
    "sla_deadline",
    "sla_state",
    "source",
    "unread_since",
    "auto_close_date",
    "no_thread_linking",
    "description",
    "first_action_at",
    "created_at",
    "updated_at",
)


class RowValues(NamedTuple):
    id: int
    code: str
    subject: str
    requester_email: str
    incident_date: datetime
    status_key: str
    status_name: str
    type_id: int | None
    type_name: str | None
    type_sla_minutes: int | None
    subtype_id: int | None
    subtype_name: str | None
    assignee_id: int | None
    pole_id: int | None
    base_station_id: int | None
    is_finished: bool
    finished_at: datetime | None
    sla_deadline: datetime | None
    sla_state: str
    source: str
    unread_since: datetime | None
    auto_close_date: datetime | None
    no_thread_linking: bool
    description: str
    first_action_at: datetime | None
    created_at: datetime
    updated_at: datetime


# The dispatcher's columns a list page joins to each incident (``PageRow`` names them).
BRIEF_COLUMNS = ("assignee__username", "assignee__first_name", "assignee__last_name")


class PageRow(NamedTuple):
    """One list row read as ``values_list(*ROW_COLUMNS, *BRIEF_COLUMNS)``."""

    values: RowValues
    username: str | None
    first_name: str | None
    last_name: str | None


class PageRelations(NamedTuple):
    """The briefs of a page's poles (with their contractor's brief) and base stations by id,
    and the report's status changes (created_at, id, status key) by incident
    (``selectors.list_page``)."""

    poles: dict[int, tuple[dict, dict | None]]
    stations: dict[int, dict]
    history: dict[int, list[tuple[datetime, int, str]]]


def page_row(values: tuple) -> PageRow:
    split = len(ROW_COLUMNS)
    return PageRow(RowValues._make(values[:split]), *values[split:])


def incident_rows(
    rows: Iterable[PageRow], relations: PageRelations, tz: tzinfo | None = None
) -> list[dict]:
    """A list page (``selectors.list_page``) as ``incident_row`` shows each incident."""
    tz = tz or timezone.get_current_timezone()
    poles, stations, history = relations
    users: dict[int, dict] = {}  # a dispatcher's brief built once a page
    result = []
    for row in rows:
        v = row.values
        dispatcher = None
        if v.assignee_id is not None:
            dispatcher = users.get(v.assignee_id)
            if dispatcher is None:
                dispatcher = users[v.assignee_id] = user_brief_of(
                    v.assignee_id, row.username, row.first_name, row.last_name
                )
        pole, contractor = poles.get(v.pole_id, (None, None))
        station = stations.get(v.base_station_id)
        result.append(_row(v, dispatcher, pole, station, contractor, history.get(v.id, ()), tz))
    return result


def incident_row(incident: Incident, tz: tzinfo | None = None) -> dict:
    """An incident as listed (``IncidentSerializer``)."""
    tz = tz or timezone.get_current_timezone()
    kind, status = incident.incident_type, incident.status
    subtype = incident.subtype if incident.subtype_id is not None else None
    values = RowValues(
        incident.pk,
        incident.code,
        incident.subject,
        incident.requester_email,
        incident.incident_date,
        status.key,
        status.name,
        None if kind is None else kind.pk,
        None if kind is None else kind.name,
        None if kind is None else kind.sla_minutes,
        None if subtype is None else subtype.pk,
        None if subtype is None else subtype.name,
        incident.assignee_id,
        incident.pole_id,
        incident.base_station_id,
        incident.is_finished,
        incident.finished_at,
        incident.sla_deadline,
        incident.sla_state,
        incident.source,
        incident.unread_since,
        incident.auto_close_date,
        incident.no_thread_linking,
        incident.description,
        incident.first_action_at,
        incident.created_at,
        incident.updated_at,
    )
    history = getattr(incident, REPORT_HISTORY, None)
    if history is None:
        history = incident.status_history.all()
    return _row(
        values,
        user_brief(incident.assignee),
        pole_brief(incident.pole),
        base_station_brief(incident.base_station),
        contractor_brief(incident.contractor),
        [(h.created_at, h.pk, h.status.key) for h in history],
        tz,
    )


def _row(
    v: RowValues,
    dispatcher: dict | None,
    pole: dict | None,
    base_station: dict | None,
    contractor: dict | None,
    history: Iterable[tuple[datetime, int, str]],
    tz: tzinfo,
) -> dict:
    """The one definition of a list row's keys, order and formats."""
    return {
        "id": v.id,
        "code": v.code,
        "subject": v.subject,
        "requester_email": v.requester_email,
        "incident_date": iso(v.incident_date, tz),
        "status": {"key": v.status_key, "name": v.status_name},
        "incident_type": None
        if v.type_id is None
        else {"id": v.type_id, "name": v.type_name, "sla_minutes": v.type_sla_minutes},
        "subtype": None if v.subtype_id is None else {"id": v.subtype_id, "name": v.subtype_name},
        "dispatcher": dispatcher,
        "pole": pole,
        "base_station": base_station,
        "contractor": contractor,
        "is_finished": v.is_finished,
        "finished_at": iso(v.finished_at, tz),
        "sla_deadline": iso(v.sla_deadline, tz),
        "sla_state": v.sla_state,
        "report": report_of(v.source, vendor_sla_of(history, v.type_sla_minutes), tz),
        "unread_since": iso(v.unread_since, tz),
        "auto_close_date": iso(v.auto_close_date, tz),
        "no_thread_linking": v.no_thread_linking,
        "description": v.description,
        "dispatcher_sla": _dispatcher_sla(
            dispatcher_sla_at(v.incident_date, v.first_action_at), tz
        ),
        "created_at": iso(v.created_at, tz),
        "updated_at": iso(v.updated_at, tz),
    }


def status_change(change: IncidentStatusHistory, tz: tzinfo | None = None) -> dict:
    """One row of the status history (``StatusHistorySerializer``)."""
    return status_change_of(
        change.status.key,
        change.status.name,
        change.created_at,
        change.actor,
        user_brief(change.user),
        change.comment,
        tz,
    )


def status_change_of(
    key: str,
    name: str,
    created_at: datetime,
    actor: str,
    user: dict | None,
    comment: str,
    tz: tzinfo | None = None,
) -> dict:
    return {
        "status": {"key": key, "name": name},
        "created_at": iso(created_at, tz),
        "actor": actor,
        "user": user,
        "comment": comment,
    }


# An attachment's columns as ``attachment_of`` takes them (its file's name stands for
# ``is_stored``).
ATTACHMENT_COLUMNS = tuple("file" if name == "is_stored" else name for name in ATTACHMENT_FIELDS)


def attachment(item: EmailAttachment) -> dict:
    return attachment_of(
        *(item.file.name if name == "file" else getattr(item, name) for name in ATTACHMENT_COLUMNS)
    )


def attachment_of(
    pk: int,
    filename: str,
    content_type: str,
    size: int,
    sha256: str,
    is_inline: bool,
    file: str | None,
    rejected_reason: str,
) -> dict:
    return {
        "id": pk,
        "filename": offered_name(filename, pk),
        "content_type": content_type,
        "size": size,
        "sha256": sha256,
        "is_inline": is_inline,
        "is_stored": bool(file),
        "rejected_reason": rejected_reason,
    }


def email_summary(email: EmailMessage, tz: tzinfo | None = None) -> dict:
    """An e-mail without its body (``EmailSummarySerializer``)."""
    return email_summary_of(
        tuple(getattr(email, "pk" if name == "id" else name) for name in SUMMARY_COLUMNS),
        [{"kind": r.kind, "address": r.address, "name": r.name} for r in email.recipients.all()],
        [attachment(a) for a in email.attachments.all()],
        tz,
    )


def email_summary_of(
    values: tuple, recipients: list[dict], attachments: list[dict], tz: tzinfo | None = None
) -> dict:
    """``email_summary`` from the e-mail's ``SUMMARY_COLUMNS`` values and its recipients' and
    attachments' representations."""
    pk, message_id, subject, from_address, from_name, sent_at, direction, auto_kind, first = values
    return {
        "id": pk,
        "message_id": message_id,
        "subject": subject,
        "from_address": from_address,
        "from_name": from_name,
        "sent_at": iso(sent_at, tz),
        "direction": direction,
        "auto_kind": auto_kind,
        "is_first": first,
        "recipients": recipients,
        "attachments": attachments,
    }


def incident_detail(incident: Incident, tz: tzinfo | None = None) -> dict:
    """An incident with its status history and e-mails (``IncidentDetailSerializer``)."""
    tz = tz or timezone.get_current_timezone()
    return {
        **incident_row(incident, tz),
        "status_history": [status_change(h, tz) for h in incident.status_history.all()],
        "emails": [email_summary(e, tz) for e in incident.emails.all()],
    }


def incident_detail_of(row: dict, history: list[dict], emails: list[dict]) -> dict:
    """``incident_detail`` from a list row (``incident_rows``) and the representations of its
    status changes and e-mails."""
    return {**row, "status_history": history, "emails": emails}
