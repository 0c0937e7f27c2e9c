"""Incident reads."""

from __future__ import annotations

from emails.models import EmailMessage
from incidents.models import Incident, IncidentStatus, StatusKey


def get_status(key: StatusKey | str) -> IncidentStatus:
    """The status with this key (``load_defaults`` creates them all)."""
    return IncidentStatus.objects.get(key=str(key))


def request_email(incident: Incident) -> EmailMessage | None:
    """The requester's message that opened the conversation (first incoming e-mail)."""
    return (
        EmailMessage.objects.filter(incident=incident, direction=EmailMessage.Direction.INBOUND)
        .order_by("-is_first", "sent_at", "id")
        .prefetch_related("recipients")
        .first()
    )


def latest_human_email(incident: Incident) -> EmailMessage | None:
    """The newest incoming e-mail of the incident written by a person."""
    return (
        EmailMessage.objects.filter(
            incident=incident,
            direction=EmailMessage.Direction.INBOUND,
            auto_kind=EmailMessage.AutoKind.NONE,
        )
        .order_by("-sent_at", "-id")
        .prefetch_related("recipients")
        .first()
    )


def conversation_message_ids(incident: Incident) -> list[str]:
    """Message-IDs of the incident's e-mails, oldest first (real ones only)."""
    return list(
        EmailMessage.objects.filter(incident=incident, has_synthetic_id=False)
        .order_by("sent_at", "id")
        .values_list("message_id", flat=True)
    )


def conversation_emails(incident: Incident) -> list[EmailMessage]:
    """The incident's e-mails with a text body, oldest first."""
    return list(
        EmailMessage.objects.filter(incident=incident)
        .exclude(body_text="")
        .order_by("sent_at", "id")
        .only("sent_at", "body_text", "from_address", "subject")
    )
