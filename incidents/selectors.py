"""Incident reads."""

from __future__ import annotations

from django.db import connection
from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver

from emails.models import EmailMessage
from incidents.models import Incident, IncidentStatus, StatusKey

# Status ids by (database, key). A status's id never changes; statuses are created and deleted
# only through the ORM (``load_defaults``, the admin), so every save or delete of a status and
# every migrate/flush empties the cache, and the database identity in the key keeps one (test)
# database's ids from being used in another.
_status_ids: dict[tuple[str, str, str], int] = {}


def _database() -> tuple[str, str]:
    db = connection.settings_dict
    return connection.alias, f"{db.get('HOST')}:{db.get('PORT')}/{db.get('NAME')}"


@receiver(post_save, sender=IncidentStatus)
@receiver(post_delete, sender=IncidentStatus)
@receiver(post_migrate)
def _forget_status_ids(**_kwargs) -> None:
    _status_ids.clear()


def get_status(key: StatusKey | str) -> IncidentStatus:
    """The status with this key (``load_defaults`` creates them all)."""
    return IncidentStatus.objects.get(key=str(key))


def get_status_id(key: StatusKey | str) -> int:
    """The id of the status with this key, read once per database and process."""
    cache_key = (*_database(), str(key))
    pk = _status_ids.get(cache_key)
    if pk is None:
        pk = _status_ids[cache_key] = get_status(key).pk
    return pk


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
