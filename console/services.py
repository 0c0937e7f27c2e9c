"""Console writes: dispatcher edits of an incident, status changes, replies to the requester.

Status changes go through ``incidents.workflow`` (which queues the templated e-mails) and
replies through ``incidents.notifications.queue_reply`` (the outbox delivers them after commit).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from emails.outbox.models import OutboundEmail
from incidents import comments, links, services, work, workflow
from incidents.manual import ManualIncident
from incidents.manual import register_manual_incident as register
from incidents.models import (
    Incident,
    IncidentComment,
    IncidentStatusHistory,
    IncidentSubtype,
    IncidentType,
    IncidentWork,
    StatusKey,
)
from incidents.notifications import queue_reply
from ts.models import BaseStation, Pole
from users.models import User

CONSOLE = IncidentStatusHistory.Actor.CONSOLE


@dataclass(frozen=True)
class IncidentEdits:
    """Validated values for the editable fields of an incident (see ``console.forms``)."""

    incident_type: IncidentType | None
    subtype: IncidentSubtype | None
    pole: Pole | None
    base_station: BaseStation | None
    assignee: User | None


def update_incident(incident: Incident, edits: IncidentEdits, *, user: User) -> list[str]:
    """Apply the dispatcher's ``edits`` through the one incident write path.

    Returns the changed fields; raises ``IncidentEditError`` with what to fix.
    """
    return services.update_incident(incident, changes=dict(vars(edits)), actor=CONSOLE, user=user)


def register_manual_incident(
    data: ManualIncident, *, user: User
) -> tuple[Incident, OutboundEmail | None]:
    """Open an incident the dispatcher took by phone (raises ``NotificationError`` when the
    first e-mail cannot go to the requester; nothing is created then)."""
    return register(data, actor=CONSOLE, user=user, channel=settings.NOTIFICATION_CHANNEL)


def set_work(incident: Incident, data: dict, *, user: User) -> IncidentWork | None:
    """Set one work category from the work form's cleaned ``data`` (raises ``WorkError``)."""
    return work.set_work(
        incident,
        data["category"],
        started_at=data["started_at"],
        ended_at=data.get("ended_at"),
        priority=data.get("priority"),
        actor=CONSOLE,
        user=user,
    )


def remove_work(incident: Incident, category: str, *, user: User) -> bool:
    return work.remove_work(incident, category, actor=CONSOLE, user=user)


def link_incidents(incident: Incident, other: Incident, kind: str, *, user: User) -> None:
    """Link the two incidents (both sides); raises ``LinkError`` with the reason."""
    links.link_incidents(incident, other, kind, actor=CONSOLE, user=user)


def unlink_incidents(incident: Incident, other: Incident, *, user: User) -> bool:
    """Remove the link between the two incidents (both sides)."""
    return links.unlink_incidents(incident, other, actor=CONSOLE, user=user)


def add_comment(incident: Incident, body: str, *, user: User) -> IncidentComment:
    """Add ``user``'s internal comment (raises ``CommentError`` with the reason)."""
    return comments.add_comment(incident, body=body, user=user)


def edit_comment(comment: IncidentComment, body: str, *, user: User) -> bool:
    """Change ``user``'s own comment; the edit is recorded in the change log."""
    return comments.edit_comment(comment, body=body, user=user, actor=CONSOLE)


def change_status(
    incident: Incident, to_key: str, *, user: User, comment: str = ""
) -> IncidentStatusHistory:
    """Move the incident along the workflow as ``user``; raises ``workflow.TransitionError``."""
    return workflow.change_status(
        incident, to_key, actor=CONSOLE, user=user, comment=comment.strip()
    )


def take(incident: Incident, *, user: User, comment: str = "") -> IncidentStatusHistory | None:
    """«Взять себе»: ``user`` becomes the incident's dispatcher and a «Новый» incident goes «В
    работе» (that history row is returned; None when the status stays). Raises
    ``IncidentEditError`` when ``user`` cannot be assigned, ``workflow.TransitionError``."""
    services.update_incident(incident, changes={"assignee": user}, actor=CONSOLE, user=user)
    if incident.status.key != StatusKey.NEW:
        return None
    return change_status(incident, StatusKey.IN_PROGRESS, user=user, comment=comment)


def reply_to_requester(
    incident: Incident, body: str, *, user: User, cc: list[str] = ()
) -> OutboundEmail:
    """Queue the dispatcher's reply to the requester, copies to ``cc`` (raises
    ``NotificationError`` with the reason)."""
    with transaction.atomic():
        return queue_reply(
            incident, body, user=user, cc=list(cc), channel=settings.NOTIFICATION_CHANNEL
        )


def set_thread_linking(incident: Incident, *, linked: bool, user: User) -> list[str]:
    """Link new mail to the incident by thread again, or stop (it then opens new incidents)."""
    return services.update_incident(
        incident, changes={"no_thread_linking": not linked}, actor=CONSOLE, user=user
    )


class BulkError(Exception):
    """A bulk action that was not applied to any incident, with the reason."""


def bulk_update(incidents: list[Incident], changes: dict, *, user: User) -> int:
    """Apply the same field ``changes`` to each incident (each through the one write path);
    returns how many changed. Raises ``BulkError`` naming the incidents refused (the others
    are changed)."""
    changed, refused = 0, []
    for incident in incidents:
        try:
            changed += bool(
                services.update_incident(incident, changes=changes, actor=CONSOLE, user=user)
            )
        except services.IncidentEditError as exc:
            refused.append(f"{incident}: {exc}")
    if refused:
        raise BulkError("; ".join(refused))
    return changed


def bulk_change_status(incidents: list[Incident], to_key: str, *, user: User) -> int:
    """Move every incident to ``to_key``, only if the workflow allows it for all of them
    (otherwise ``BulkError`` names those it does not, and nothing changes)."""
    blocked = [str(i) for i in incidents if not workflow.is_allowed(i.status.key, to_key)]
    if blocked:
        raise BulkError(", ".join(blocked))
    changed, refused = 0, []
    for incident in incidents:
        try:
            workflow.change_status(incident, to_key, actor=CONSOLE, user=user)
        except workflow.TransitionError as exc:
            refused.append(f"{incident}: {exc}")
        else:
            changed += 1
    if refused:
        raise BulkError("; ".join(refused))
    return changed
