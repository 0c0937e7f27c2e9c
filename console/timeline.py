"""One timeline of an incident's mail: what arrived and what DISPATCH sent, in time order.

The thread (``EmailMessage``: incoming mail and our mail read back from the Sent folder) and the
outbox (``OutboundEmail``: replies and templated e-mails with their delivery state) are merged
into one list. A message of ours that was also read back from Sent is one entry: the stored copy
(with its attachments and .eml) carrying the outbox row's delivery state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from emails.models import EmailMessage
from emails.outbox.models import OutboundEmail


@dataclass(frozen=True)
class TimelineEntry:
    """One message of the timeline: a stored e-mail, an outbox row, or both (the same message)."""

    at: datetime
    email: EmailMessage | None = None
    outbound: OutboundEmail | None = None

    @property
    def ours(self) -> bool:
        """Sent by the desk (through DISPATCH or from the desk's mailbox)."""
        return self.outbound is not None or (
            self.email is not None and self.email.direction == EmailMessage.Direction.OUTBOUND
        )


def outbound_moment(outbound: OutboundEmail) -> datetime:
    """When an outbox row took its place in the conversation: sent, else queued."""
    return outbound.sent_at or outbound.created_at


def merge(emails: list[EmailMessage], outgoing: list[OutboundEmail]) -> list[TimelineEntry]:
    """Both lists (already loaded) as one list, oldest first; no query."""
    by_message_id = {outbound.message_id: outbound for outbound in outgoing}
    entries = []
    for email in emails:
        outbound = by_message_id.pop(email.message_id, None)
        at = email.sent_at if outbound is None else outbound_moment(outbound)  # (to the µs)
        entries.append(TimelineEntry(at=at, email=email, outbound=outbound))
    entries.extend(
        TimelineEntry(at=outbound_moment(outbound), outbound=outbound)
        for outbound in by_message_id.values()
    )
    return sorted(entries, key=lambda entry: entry.at)
