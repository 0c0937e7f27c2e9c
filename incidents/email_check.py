"""A dispatcher's «Проверено» on an e-mail flagged for a check (``EmailMessage.review``): the flag
is cleared and the change log keeps what was flagged, why, by whom and when."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from emails.models import EmailMessage
from incidents.models import Incident
from incidents.services import lock_incident, log_changes, mark_first_action


def mark_checked(email_pk: int, incident_pk: int, *, actor: str, user) -> bool:
    """Clear the check flag of e-mail ``email_pk`` of incident ``incident_pk``; False when the
    e-mail is not flagged (already checked by someone else). The entry records the sender and the
    reason as the old value."""
    with transaction.atomic():
        incident = lock_incident(incident_pk)
        email = (
            EmailMessage.objects.select_for_update(no_key=True)
            .filter(pk=email_pk, incident_id=incident_pk)
            .exclude(review="")
            .first()
        )
        if email is None:
            return False
        flagged = f"{email.from_address or '—'}: {email.get_review_display()}"
        EmailMessage.objects.filter(pk=email.pk).update(review="")
        now = timezone.now()
        entry = ("email_check", flagged, _("checked"))
        log_changes(incident, [entry], actor=actor, user=user, at=now)
        mark_first_action(incident, now)
        Incident.objects.filter(pk=incident.pk).update(updated_at=now)
    return True
