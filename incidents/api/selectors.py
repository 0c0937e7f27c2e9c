"""Read queries of the incident API: everything a representation needs in a fixed query count.

A list page joins only the three small reference tables (status, type, subtype: a prefetch would
be a query and its ORM work each) and prefetches the other relations: PostgreSQL spends ~3 ms
planning a six-way join, and a page's OFFSET would join every skipped row too. One incident
joins its to-one relations (cheap to plan up to four joins, and each query saved is ~0.3 ms of ORM).
Prefetched rows carry only the columns the representation shows (``only()``). The list page's
and the detail's plain-value queries are compiled once (``dispatch.statements``): building them
anew cost 0.3–0.6 ms of CPU each, a request.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.db.models.expressions import RawSQL

from dispatch.statements import NO_ID, CompiledQuery, Many, ordered_rows
from emails.api.serializers import SUMMARY_COLUMNS
from emails.models import EmailAttachment, EmailMessage, EmailRecipient
from incidents.api import representation
from incidents.api.report import REPORT_HISTORY, REPORT_STATUS_KEYS
from incidents.api.representation import (
    BRIEF_COLUMNS,
    CONTRACTOR_EMAIL_ROWS,
    OPERATOR_ROWS,
    ROW_COLUMNS,
    PageRelations,
    PageRow,
    base_station_brief_of,
    contractor_brief_of,
    page_row,
    pole_brief_of,
)
from incidents.models import (
    Incident,
    IncidentChange,
    IncidentComment,
    IncidentLink,
    IncidentStatus,
    IncidentStatusHistory,
    IncidentType,
    IncidentWork,
    RvrPriority,
)
from ts.models import BaseStation, ContractorEmail, Operator, Pole
from users.models import User

USER_BRIEF = ("id", "username", "first_name", "last_name")
# A pole's columns as ``representation.pole_brief_of`` takes them, and its contractor's name.
POLE_BRIEF = ("id", "code", "region_ru", "address", "latitude", "longitude", "contractor__name")


def _base_station() -> list[Prefetch | str]:
    return [
        Prefetch("base_station", BaseStation.objects.only("id", "name")),
        Prefetch("base_station__operators", to_attr=OPERATOR_ROWS),
    ]


# Small reference tables a list page joins (a prefetch is a query and its ORM work each).
LIST_JOINS = ("status", "incident_type", "subtype")


def incidents_for_list() -> QuerySet[Incident]:
    """Incidents with what a list row shows; the report's status changes as ``report_history``."""
    return Incident.objects.select_related(*LIST_JOINS).prefetch_related(
        Prefetch("assignee", User.objects.only(*USER_BRIEF)),
        Prefetch(
            "pole",
            Pole.objects.select_related("contractor").only(*POLE_BRIEF, "contractor__id"),
        ),
        Prefetch("pole__contractor__emails", to_attr=CONTRACTOR_EMAIL_ROWS),
        *_base_station(),
        Prefetch(
            "status_history",
            queryset=IncidentStatusHistory.objects.filter(status__key__in=REPORT_STATUS_KEYS)
            .select_related("status")
            .only("id", "incident_id", "created_at", "status__id", "status__key"),
            to_attr=REPORT_HISTORY,
        ),
    )


def _by_ids(build) -> CompiledQuery:
    return CompiledQuery(build, Many(NO_ID))


_PAGE_ROWS = _by_ids(
    lambda ids: (
        Incident.objects.filter(pk__in=ids).order_by().values_list(*ROW_COLUMNS, *BRIEF_COLUMNS)
    )
)
_REPORT_HISTORY = _by_ids(
    lambda ids: (
        IncidentStatusHistory.objects.filter(
            incident_id__in=ids, status__key__in=REPORT_STATUS_KEYS
        )
        .order_by()
        .values_list("incident_id", "created_at", "id", "status__key")
    )
)
_POLES = _by_ids(
    lambda ids: Pole.objects.filter(pk__in=ids).order_by().values_list(*POLE_BRIEF, "contractor_id")
)
_CONTRACTOR_EMAILS = _by_ids(
    lambda ids: ContractorEmail.objects.filter(contractor_id__in=ids).values_list(
        "contractor_id", "email"
    )
)
_OPERATORS = _by_ids(
    lambda ids: Operator.objects.filter(base_stations__in=ids).values_list(
        "base_stations", "id", "name", "group"
    )
)
_STATIONS = _by_ids(
    lambda ids: BaseStation.objects.filter(pk__in=ids).order_by().values_list("id", "name")
)
_STATUS_CHANGES = ordered_rows(
    IncidentStatusHistory,
    "incident_id",
    ("created_at", "id"),
    ("created_at", "id", "status__key", "status__name", "actor", "comment", "user_id",
     "user__username", "user__first_name", "user__last_name"),
)  # fmt: skip
_EMAILS = ordered_rows(EmailMessage, "incident_id", ("sent_at", "id"), SUMMARY_COLUMNS)
_RECIPIENTS = _by_ids(
    lambda ids: EmailRecipient.objects.filter(email_id__in=ids).values_list(
        "email_id", "kind", "address", "name"
    )
)
_ATTACHMENTS = _by_ids(
    lambda ids: EmailAttachment.objects.filter(email_id__in=ids).values_list(
        "email_id", *representation.ATTACHMENT_COLUMNS
    )
)


_ALL_IDS = CompiledQuery(lambda: Incident.objects.values_list("pk"))  # in the model's order
_ALL_COUNT = CompiledQuery(lambda: Incident.objects.order_by().values_list(RawSQL("COUNT(*)", ())))


class AllIncidentIds:
    """Every incident's id in the list's default order, as a paginator takes them (``count()``
    and slices), each one statement compiled once: the unfiltered list, the common request."""

    count_key = "all-incidents"  # what the count is of (``CountReusingPaginator``)

    def count(self) -> int:
        return _ALL_COUNT.first()[0]

    def __getitem__(self, bounds: slice) -> list[int]:
        start, stop = bounds.start or 0, bounds.stop
        return [pk for (pk,) in _ALL_IDS.rows(limit=stop - start, offset=start)]


def list_ids(incidents: QuerySet[Incident]) -> QuerySet:
    """``incidents`` (filtered and ordered) as ids: a list page picks its ids on the incidents
    alone (``OFFSET`` skips bare rows), then ``list_page`` reads those rows."""
    return incidents.values_list("pk", flat=True)


def list_page(
    ids: list[int], history: dict[int, list[tuple]] | None = None
) -> tuple[list[PageRow], PageRelations]:
    """The incidents ``ids`` (in that order) as plain values of a list row: one query for the
    rows joined with the small tables (status, type, subtype, dispatcher:
    ``representation.ROW_COLUMNS`` and ``BRIEF_COLUMNS``), one for the poles with their
    contractors, one for those contractors' e-mails, one for the base stations and one for
    their operators (each only when the page has any), and one for the report's status
    changes. Poles and stations are read by id on their own: joined into the rows, PostgreSQL
    would plan a seven-way join (~2 ms) and hash every pole."""
    if not ids:
        return [], PageRelations({}, {}, {})
    position = {pk: n for n, pk in enumerate(ids)}
    rows = sorted(
        (page_row(values) for values in _PAGE_ROWS.rows(ids)),
        key=lambda row: position[row.values.id],
    )
    pole_ids = {row.values.pole_id for row in rows} - {None}
    station_ids = {row.values.base_station_id for row in rows} - {None}
    if history is None:
        history = _report_history(ids)
    return rows, PageRelations(_pole_briefs(pole_ids), _station_briefs(station_ids), history)


def _report_history(ids: list[int]) -> dict[int, list[tuple]]:
    """The status changes the report needs, as (created_at, id, status key) by incident."""
    history: dict[int, list[tuple]] = {}
    for incident_id, *change in _REPORT_HISTORY.rows(ids):
        history.setdefault(incident_id, []).append(tuple(change))
    return history


def _pole_briefs(ids: set[int]) -> dict[int, tuple[dict, dict | None]]:
    """Poles by id as (pole brief, its contractor's brief or None)."""
    if not ids:
        return {}
    poles = _POLES.rows(list(ids))
    emails: dict[int, list[str]] = {row[7]: [] for row in poles if row[7] is not None}
    if emails:
        for contractor_id, email in _CONTRACTOR_EMAILS.rows(list(emails)):
            emails[contractor_id].append(email)
    contractors = {
        contractor_id: contractor_brief_of(contractor_id, name, emails[contractor_id])
        for *_pole, name, contractor_id in poles
        if contractor_id is not None
    }
    return {pole[0]: (pole_brief_of(*pole[:6]), contractors.get(pole[7])) for pole in poles}


def _station_briefs(ids: set[int]) -> dict[int, dict]:
    """Base stations by id with their operators."""
    if not ids:
        return {}
    operators: dict[int, list[tuple[int, str, str]]] = {pk: [] for pk in ids}
    for station_id, *operator in _OPERATORS.rows(list(ids)):
        operators[station_id].append(tuple(operator))
    return {
        pk: base_station_brief_of(pk, name, operators[pk]) for pk, name in _STATIONS.rows(list(ids))
    }


def incident_detail(pk: int) -> dict | None:
    """The detail of incident ``pk`` (None if there is none) from plain values: its row as
    ``list_page`` reads it, then one query each for its status changes (with their users),
    its e-mails, their recipients and their attachments."""
    changes = _STATUS_CHANGES.rows(pk)
    rows, relations = list_page([pk], {pk: [change[:3] for change in changes]})
    if not rows:
        return None
    row = representation.incident_rows(rows, relations)[0]
    history = [
        representation.status_change_of(
            key,
            name,
            at,
            actor,
            None if user_id is None else representation.user_brief_of(user_id, *user),
            comment,
        )
        for at, _pk, key, name, actor, comment, user_id, *user in changes
    ]
    emails = _EMAILS.rows(pk)
    email_ids = [email[0] for email in emails]
    recipients: dict[int, list[dict]] = {pk: [] for pk in email_ids}
    attachments: dict[int, list[dict]] = {pk: [] for pk in email_ids}
    if email_ids:
        for email_id, kind, address, name in _RECIPIENTS.rows(email_ids):
            recipients[email_id].append({"kind": kind, "address": address, "name": name})
        for email_id, *item in _ATTACHMENTS.rows(email_ids):
            attachments[email_id].append(representation.attachment_of(*item))
    return representation.incident_detail_of(
        row,
        history,
        [
            representation.email_summary_of(email, recipients[email[0]], attachments[email[0]])
            for email in emails
        ],
    )


def incidents_for_detail() -> QuerySet[Incident]:
    """Incidents with their whole status history and their e-mails (without bodies)."""
    return Incident.objects.select_related(
        "status", "incident_type", "subtype", "assignee", "pole__contractor"
    ).prefetch_related(
        Prefetch("pole__contractor__emails", to_attr=CONTRACTOR_EMAIL_ROWS),
        *_base_station(),
        Prefetch(
            "status_history",
            queryset=IncidentStatusHistory.objects.select_related("status", "user").only(
                "id",
                "incident_id",
                "created_at",
                "actor",
                "comment",
                "status__id",
                "status__key",
                "status__name",
                *(f"user__{name}" for name in USER_BRIEF),
            ),
        ),
        Prefetch(
            "emails",
            queryset=EmailMessage.objects.order_by("sent_at", "id")
            .only("incident_id", *SUMMARY_COLUMNS)
            .prefetch_related(
                Prefetch(
                    "recipients",
                    EmailRecipient.objects.only("id", "email_id", "kind", "address", "name"),
                ),
                Prefetch("attachments", EmailAttachment.objects.defer("content_id")),
            ),
        ),
    )


def incident_emails(incident: Incident) -> QuerySet[EmailMessage]:
    return (
        EmailMessage.objects.filter(incident=incident)
        .order_by("sent_at", "id")
        .prefetch_related("recipients", "attachments")
    )


def incident_types() -> QuerySet[IncidentType]:
    return IncidentType.objects.order_by("name", "id")


def incident_statuses() -> QuerySet[IncidentStatus]:
    return IncidentStatus.objects.order_by("id")


def incident_comments(incident: Incident) -> QuerySet[IncidentComment]:
    """The incident's comments, newest first, with their authors."""
    return (
        IncidentComment.objects.filter(incident=incident)
        .select_related("author")
        .order_by("-created_at", "-id")
    )


def incident_changes(incident: Incident) -> QuerySet[IncidentChange]:
    """The incident's change log, newest first, with who made each change."""
    return (
        IncidentChange.objects.filter(incident=incident)
        .select_related("user")
        .order_by("-created_at", "-id")
    )


def incident_links(incident: Incident) -> QuerySet[IncidentLink]:
    """The incident's links with the other incidents and their statuses."""
    return (
        IncidentLink.objects.filter(incident=incident)
        .select_related("other__status")
        .order_by("kind", "created_at", "id")
    )


def incident_works(incident: Incident) -> QuerySet[IncidentWork]:
    """The incident's work categories with their priorities, by start."""
    return (
        IncidentWork.objects.filter(incident=incident)
        .select_related("priority")
        .order_by("started_at", "id")
    )


def rvr_priorities() -> QuerySet[RvrPriority]:
    return RvrPriority.objects.order_by("sla_minutes", "name", "id")
