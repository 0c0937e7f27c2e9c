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


class MissingStatus(IncidentStatus.DoesNotExist):
    """A workflow status the code relies on is not in the database."""


def get_status(key: StatusKey | str) -> IncidentStatus:
    """The status with this key (``load_defaults`` creates them all)."""
    try:
        return IncidentStatus.objects.get(key=str(key))
    except IncidentStatus.DoesNotExist:
        raise MissingStatus(
            f"The incident status {str(key)!r} is missing: the database was migrated but not "
            "initialised. Run `python manage.py init_dispatch` (it loads the default statuses "
            "and types)."
        ) from None


def get_status_id(key: StatusKey | str) -> int:
    """The id of the status with this key, read once per database and process."""
    cache_key = (*_database(), str(key))
    pk = _status_ids.get(cache_key)
    if pk is None:
        pk = _status_ids[cache_key] = get_status(key).pk
    return pk


# Mail that is not part of the conversation with people: automatic answers (out-of-office,
# delivery reports, lists) and messages flagged for the dispatcher's check.
_NOT_CONVERSATION = (
    EmailMessage.AutoKind.AUTO_REPLY,
    EmailMessage.AutoKind.BOUNCE,
    EmailMessage.AutoKind.BULK,
)


def _conversation(incident: Incident):
    return EmailMessage.objects.filter(incident=incident, review="").exclude(
        auto_kind__in=_NOT_CONVERSATION
    )


def request_email(incident: Incident) -> EmailMessage | None:
    """The message that opened the conversation (first incoming e-mail, by arrival)."""
    return (
        EmailMessage.objects.filter(incident=incident, direction=EmailMessage.Direction.INBOUND)
        .order_by("-is_first", "id")
        .prefetch_related("recipients")
        .first()
    )


def requester_message(incident: Incident) -> EmailMessage | None:
    """The requester's own newest message by arrival (never an automatic answer, never the
    ``Date`` header's order): what our mail about the incident answers."""
    requester = incident.requester_email.strip().lower()
    mail = EmailMessage.objects.filter(
        incident=incident,
        direction=EmailMessage.Direction.INBOUND,
        auto_kind=EmailMessage.AutoKind.NONE,
        review="",
        has_synthetic_id=False,
    )
    own = mail.filter(from_address=requester).order_by("-id").first() if requester else None
    return own or mail.filter(is_first=True).first()


def conversation_message_ids(incident: Incident) -> list[str]:
    """Message-IDs of the incident's conversation, by arrival (real ones only)."""
    return list(
        _conversation(incident)
        .filter(has_synthetic_id=False)
        .order_by("id")
        .values_list("message_id", flat=True)
    )


def conversation_emails(incident: Incident) -> list[EmailMessage]:
    """The conversation's e-mails with a text body, oldest first: no automatic answers, nothing
    flagged for the dispatcher's check."""
    return list(
        _conversation(incident)
        .filter(auto_kind=EmailMessage.AutoKind.NONE)
        .exclude(body_text="")
        .order_by("sent_at", "id")
        .only("sent_at", "body_text", "from_address", "subject")
    )
