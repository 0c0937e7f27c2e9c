"""Who takes part in an incident's conversation.

Incident codes are sequential and anyone can put one in a subject, so a message linked only by
its subject code is trusted when its sender already takes part: the requester, a sender or
recipient of the incident's unflagged mail, an addressee of our own mail about it, or us.
Anyone else's message is linked but flagged for the dispatcher (``EmailMessage.Review.OUTSIDER``).
Mail the tracker sends (``X-Yandex-Tracker-*`` headers) is not flagged, but it adds nobody.
"""

from __future__ import annotations

from emails.models import EmailMessage, EmailRecipient
from emails.outbox.models import OutboundEmail
from incidents.models import Incident


def incident_participants(incident_id: int) -> set[str]:
    """Lower-cased addresses taking part in the incident (our own mailboxes included)."""
    from incidents.notifications import our_addresses

    found = set(our_addresses())
    found.update(Incident.objects.filter(pk=incident_id).values_list("requester_email", flat=True))
    # Incoming mail not pushed to the tracker (the tracker's own mail) names nobody: its
    # headers alone say it is the tracker's, and anyone can write those.
    trusted = EmailMessage.objects.filter(incident_id=incident_id, review="").exclude(
        direction=EmailMessage.Direction.INBOUND, tracker_state=EmailMessage.TrackerState.SKIPPED
    )
    found.update(trusted.values_list("from_address", flat=True))
    found.update(
        EmailRecipient.objects.filter(email__in=trusted)
        .exclude(kind=EmailRecipient.Kind.BCC)
        .values_list("address", flat=True)
    )
    for to, cc in OutboundEmail.objects.filter(incident_id=incident_id).values_list("to", "cc"):
        found.update(to or [])
        found.update(cc or [])
    return {address.strip().lower() for address in found if address}


class Participants:
    """Participants per incident, each incident loaded once (for one ingest batch)."""

    def __init__(self) -> None:
        self._known: dict[int, set[str]] = {}

    def includes(self, incident_id: int, address: str) -> bool:
        if incident_id not in self._known:
            self._known[incident_id] = incident_participants(incident_id)
        return address.strip().lower() in self._known[incident_id]
