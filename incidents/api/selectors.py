"""Read queries of the incident API: everything a representation needs in a fixed query count.

A list page joins only the three small reference tables (status, type, subtype: a prefetch would
be a query and its ORM work each) and prefetches the other relations: PostgreSQL spends ~3 ms
planning a six-way join, and a page's OFFSET would join every skipped row too. One incident
joins its to-one relations (cheap to plan up to four joins, and each query saved is ~0.3 ms of ORM).
Prefetched rows carry only the columns the representation shows (``only()``).
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from emails.api.serializers import SUMMARY_COLUMNS
from emails.models import EmailAttachment, EmailMessage, EmailRecipient
from incidents.api.report import REPORT_HISTORY, REPORT_STATUS_KEYS
from incidents.api.representation import CONTRACTOR_EMAIL_ROWS, OPERATOR_ROWS
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
from ts.models import BaseStation, Pole
from users.models import User

USER_BRIEF = ("id", "username", "first_name", "last_name")


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
            Pole.objects.select_related("contractor").only(
                "id",
                "code",
                "region_ru",
                "address",
                "latitude",
                "longitude",
                "contractor__id",
                "contractor__name",
            ),
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
