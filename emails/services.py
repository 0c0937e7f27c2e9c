"""E-mail writes: store parsed messages idempotently, link them to incidents, quarantine failures.

The functions here run inside the caller's transaction (see :mod:`emails.ingest`), so a batch of
messages, their incidents and the folder cursor commit together or not at all.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from dispatch.statements import NO_ID, CompiledQuery, Many
from dispatch.statements.insert import insert_rows
from emails.attachment_files import ATTACHMENT_FIELDS, attachment_rows
from emails.folders import folder_role
from emails.ignore import IgnoreList
from emails.loops import classify
from emails.models import (
    EmailAttachment,
    EmailLocation,
    EmailMessage,
    EmailRaw,
    EmailRecipient,
    EmailReference,
    MailFolder,
    QuarantinedEmail,
)
from emails.outbox.models import OutboundEmail
from emails.parsing import ParsedEmail
from emails.parsing.text import clean_subject, form_addresses, strip_quoted
from emails.participants import Participants
from emails.reused_ids import separate_reused_ids
from emails.threading import CODE, ThreadIndex, thread_ids
from incidents.closed_mail import answer_mail_on_closed
from incidents.models import Actor, Incident, IncidentSource
from incidents.services import NewIncident, create_incident_ids, fill_incidents, mark_unread

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# How far before its receipt a new conversation's own Date header is believed (mail queues
# retry for hours; a day covers them). Beyond it, or after the receipt, the receipt counts.
DATE_HEADER_TRUST = timedelta(days=1)
Direction = EmailMessage.Direction
TrackerState = EmailMessage.TrackerState
Review = EmailMessage.Review


@dataclass
class Incoming:
    """A fetched and parsed message on its way into the database."""

    uid: int | None
    raw: bytes
    parsed: ParsedEmail
    internal_date: datetime | None = None


@dataclass
class StoreResult:
    stored: int = 0
    duplicates: int = 0
    incidents: int = 0
    linked: int = 0

    def add(self, other: StoreResult) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.incidents += other.incidents
        self.linked += other.linked


def get_folder(mailbox: str, name: str) -> MailFolder:
    folder, _created = MailFolder.objects.get_or_create(
        mailbox=mailbox, name=name, defaults={"role": folder_role(name)}
    )
    return folder


@dataclass(eq=False)
class Opening:
    """An incident a batch opens for a new conversation. Openings are created together once the
    whole batch is threaded (:func:`open_incidents`); until then later messages of the batch
    that answer this one are linked to the opening itself."""

    parsed: ParsedEmail
    sent_at: datetime
    pk: int | None = None


IncidentRef = int | Opening | None


def incident_start(claimed: datetime | None, received: datetime) -> datetime:
    """When a new conversation's incident starts (its SLA clock): the sender's ``Date`` when
    it is plausible — not after the desk received the message, not more than
    :data:`DATE_HEADER_TRUST` before — else the receipt. The header is the sender's to write: a
    date in 2100 would keep an incident from ever being overdue, one in 1970 would bury it."""
    if claimed is None or not received - DATE_HEADER_TRUST <= claimed <= received:
        return received
    return claimed


def _requester(parsed: ParsedEmail) -> str:
    """The sender, or the requester a web form names."""
    if parsed.form:
        named = form_addresses(parsed.form)[0].lower()
        if _ADDRESS.match(named) and len(named) <= 320:
            return named
    return parsed.from_address


def open_incidents(openings: list[Opening]) -> None:
    """Create the incidents of a batch's new conversations (pole/base station recognised in
    each first message), setting each opening's ``pk``; a fixed number of queries."""
    from ts.recognition import recognize_many

    found = recognize_many(
        [(o.parsed.subject, o.parsed.body_text) for o in openings],
        [o.parsed.pole_tokens for o in openings],
    )
    created = create_incident_ids(
        [
            NewIncident(
                incident_date=opening.sent_at,
                subject=clean_subject(opening.parsed.subject) or opening.parsed.subject,
                requester_email=_requester(opening.parsed)[:320],
                source=IncidentSource.EMAIL,
                actor=Actor.EMAIL,
                pole=recognition.pole,
                base_station=recognition.base_station,
            )
            for opening, recognition in zip(openings, found, strict=True)
        ]
    )
    for opening, pk in zip(openings, created, strict=True):
        opening.pk = pk


def _incident_id(ref: IncidentRef) -> int | None:
    return ref.pk if isinstance(ref, Opening) else ref


def _recipients(email_id: int, parsed: ParsedEmail, is_first: bool) -> list[tuple]:
    """The message's recipient rows, as ``RECIPIENT_FIELDS`` tuples, each (kind, address) once."""
    cc = list(parsed.cc)
    if is_first and parsed.form:
        watchers = form_addresses(parsed.form)[1]
        cc = [("", address.lower()) for address in watchers if _ADDRESS.match(address)] + cc
    rows: dict[tuple[str, str], tuple] = {}
    for kind, pairs in ((EmailRecipient.Kind.TO.value, parsed.to), ("cc", cc), ("bcc", parsed.bcc)):
        for name, address in pairs:
            rows.setdefault((kind, address[:320]), (email_id, kind, address[:320], name))
    return list(rows.values())


RECIPIENT_FIELDS = ["email", "kind", "address", "name"]
# The columns of a new message the batch writes (the others take their defaults).
EMAIL_FIELDS = [
    "message_id", "has_synthetic_id", "in_reply_to", "thread_root", "subject", "from_address",
    "from_name", "sent_at", "received_at", "body_text", "direction", "auto_kind", "is_first",
    "incident", "tracker_state", "review",
]  # fmt: skip
_email_row = attrgetter(*(EmailMessage._meta.get_field(name).attname for name in EMAIL_FIELDS))


def _adopt_orphans(linked: dict[str, int]) -> int:
    """Stored replies that arrived before their parent join the parent's incident."""
    if not linked:
        return 0
    mids = list(linked)
    by_incident: dict[int, set[int]] = defaultdict(set)
    for pk, parent in [*_ORPHANS.rows(mids), *_ORPHANS_BY_REFERENCE.rows(mids)]:
        by_incident[linked[parent]].add(pk)
    count = 0
    for incident_id, pks in by_incident.items():
        count += EmailMessage.objects.filter(pk__in=pks, incident__isnull=True).update(
            incident_id=incident_id
        )
    return count


@dataclass
class _Batch:
    """What threading one batch needs besides the messages themselves."""

    folder: MailFolder
    ours: dict[str, int | None]
    index: ThreadIndex
    reused: dict[str, str]  # derived Message-ID → the Message-ID it reused
    originals: dict[str, IncidentRef]  # reused Message-ID → its incident
    ignore: IgnoreList
    participants: Participants = field(default_factory=Participants)
    openings: list[Opening] = field(default_factory=list)


def _link(batch: _Batch, parsed: ParsedEmail, trusted: bool) -> tuple[IncidentRef, str]:
    """(incident, review flag) for a new message; ``trusted``: our own or the tracker's mail,
    which is never flagged (and never makes its addresses participants)."""
    if parsed.message_id in batch.reused:
        original = batch.reused[parsed.message_id]
        incident_id = batch.originals.get(original) or batch.index.find(parsed)
        return incident_id, Review.DUPLICATE_ID
    if parsed.message_id in batch.ours:
        return batch.ours[parsed.message_id], Review.NONE
    incident_id, how = batch.index.match(parsed)
    if (
        how == CODE
        and not trusted
        and not batch.participants.includes(incident_id, parsed.from_address)
    ):
        return incident_id, Review.OUTSIDER
    return incident_id, Review.NONE


def _new_email(
    batch: _Batch, item: Incoming, result: StoreResult, now: datetime
) -> tuple[EmailMessage, IncidentRef]:
    """Classify and thread one new message (an incident for a new conversation is an
    :class:`Opening` of the batch); the message's incident is set by the caller."""
    parsed = item.parsed
    folder = batch.folder
    is_ours = parsed.message_id in batch.ours
    verdict = classify(parsed, is_our_outbound=is_ours, ignore=batch.ignore)
    outbound = (
        folder.role == MailFolder.Role.SENT
        or is_ours
        or parsed.from_address == settings.DISPATCH_MAILBOX.lower()
    )
    sent_at = parsed.date or item.internal_date or now
    incident_id, review = _link(batch, parsed, outbound or verdict.from_tracker)
    opens_conversation = (
        incident_id is None
        and folder.role == MailFolder.Role.INBOX
        and not outbound
        and not verdict.auto_kind
        and not verdict.from_tracker
        and not review
    )
    if opens_conversation:
        received = min(item.internal_date or now, now)  # an APPEND may set any INTERNALDATE
        incident_id = Opening(parsed, incident_start(parsed.date, received))
        batch.openings.append(incident_id)
        result.incidents += 1
    elif incident_id is not None:
        result.linked += 1
    batch.originals.setdefault(parsed.message_id, incident_id)
    if parsed.message_id not in batch.reused:
        batch.index.remember(parsed, incident_id)
    skipped = verdict.from_tracker or is_ours
    email = EmailMessage(
        message_id=parsed.message_id,
        has_synthetic_id=parsed.has_synthetic_id,
        in_reply_to=parsed.in_reply_to,
        thread_root=parsed.thread_root,
        subject=parsed.subject,
        from_address=parsed.from_address[:320],
        from_name=parsed.from_name[:256],
        sent_at=sent_at,
        received_at=now,
        body_text=parsed.body_text,
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        auto_kind=verdict.auto_kind,
        is_first=opens_conversation,
        tracker_state=TrackerState.SKIPPED if skipped else TrackerState.PENDING,
        review=review,
    )
    return email, incident_id


def _insert(fresh: dict[str, tuple[Incoming, EmailMessage]]) -> list[EmailMessage]:
    """Insert new messages with their raw source, references, recipients, attachments (their
    files written where they were parsed, :mod:`emails.attachment_files`): one statement a
    table (:mod:`dispatch.statements.insert`, no ``bulk_create``)."""
    emails = [email for _item, email in fresh.values()]
    pks = insert_rows(EmailMessage, EMAIL_FIELDS, [_email_row(e) for e in emails], returning=True)
    raws, references, recipients, attachments = [], [], [], []
    for (item, email), pk in zip(fresh.values(), pks, strict=True):
        email.pk = pk
        email._state.adding, email._state.db = False, connection.alias
        raws.append((pk, item.raw))
        references += [(pk, mid, position) for position, mid in enumerate(item.parsed.references)]
        recipients += _recipients(pk, item.parsed, email.is_first)
        if item.parsed.attachments:
            attachments += attachment_rows(pk, item.parsed, email.sent_at)
    insert_rows(EmailRaw, ["email", "data"], raws)
    fields = ["email", "message_id", "position"]
    insert_rows(EmailReference, fields, references, ignore_conflicts=True)
    insert_rows(EmailRecipient, RECIPIENT_FIELDS, recipients, ignore_conflicts=True)
    insert_rows(EmailAttachment, ATTACHMENT_FIELDS, attachments, ignore_conflicts=True)
    return emails


def _adopt_parents(threads: list[tuple[list[str], int | None]]) -> int:
    """Stored messages a linked message answers, still without an incident, join it too (e.g.
    the dispatcher's first mail in Sent when the answer opens the incident)."""
    wanted: dict[str, int] = {}
    for ids, incident_id in threads:
        if incident_id is not None:
            for mid in ids:
                wanted.setdefault(mid, incident_id)
    if not wanted:
        return 0
    by_incident: dict[int, list[str]] = defaultdict(list)
    for (mid,) in _PARENTS.rows(list(wanted)):
        by_incident[wanted[mid]].append(mid)
    return sum(
        EmailMessage.objects.filter(message_id__in=mids, incident__isnull=True).update(
            incident_id=incident_id
        )
        for incident_id, mids in by_incident.items()
    )


def _fill_missing_poles(fresh: dict[str, tuple[Incoming, EmailMessage]]) -> None:
    """A human reply naming a pole fills the pole/base station of an incident that has none."""
    from ts.recognition import recognize_many

    replies: dict[int, ParsedEmail] = {}
    for item, email in fresh.values():
        if email.incident_id and not email.is_first and not email.auto_kind and not email.review:
            replies.setdefault(email.incident_id, item.parsed)
    if not replies:
        return
    pks = [pk for (pk,) in _POLELESS.rows(list(replies))]
    found = recognize_many(
        [_own_text(replies[pk]) for pk in pks], [replies[pk].reply_tokens for pk in pks]
    )
    fill_incidents(
        {
            pk: {"pole": recognition.pole, "base_station": recognition.base_station}
            for pk, recognition in zip(pks, found, strict=True)
            if recognition.pole is not None
        },
        actor=Actor.EMAIL,
    )


def _own_text(parsed: ParsedEmail) -> tuple[str, str]:
    """The subject and the reply's own text, which recognition reads; not cut out when the
    parser process tokenised it already (``reply_tokens``)."""
    if parsed.reply_tokens is not None:
        return parsed.subject, ""
    return parsed.subject, strip_quoted(parsed.body_text)


def _link_reused(reused: dict[str, str]) -> None:
    """A message that reused a Message-ID points at the first message with it."""
    if not reused:
        return
    pks = dict(
        EmailMessage.objects.filter(message_id__in={*reused, *reused.values()}).values_list(
            "message_id", "pk"
        )
    )
    for derived, original in reused.items():
        if derived in pks and original in pks:
            EmailMessage.objects.filter(pk=pks[derived], duplicate_of__isnull=True).update(
                duplicate_of_id=pks[original]
            )


def incidents_with_new_mail(emails: list[EmailMessage]) -> set[int]:
    """The incidents that new mail from outside (``is_from_outside``) was linked to."""
    return {email.incident_id for email in emails if email.incident_id and email.is_from_outside}


# The batch's reads, compiled once a process (dispatch.statements: compiling a queryset cost
# more than running it); the querysets are what they were.
_MID = "\x00message-id"
_STORED = CompiledQuery(
    lambda mids: EmailMessage.objects.filter(message_id__in=mids).values_list("message_id", "pk"),
    Many(_MID),
)
_OURS = CompiledQuery(
    lambda mids: OutboundEmail.objects.filter(message_id__in=mids).values_list(
        "message_id", "incident_id"
    ),
    Many(_MID),
)
_ORIGINALS = CompiledQuery(
    lambda mids: EmailMessage.objects.filter(message_id__in=mids).values_list(
        "message_id", "incident_id"
    ),
    Many(_MID),
)
_ORPHANS = CompiledQuery(
    lambda mids: EmailMessage.objects.filter(
        incident__isnull=True, in_reply_to__in=mids
    ).values_list("pk", "in_reply_to"),
    Many(_MID),
)
_ORPHANS_BY_REFERENCE = CompiledQuery(
    lambda mids: EmailReference.objects.filter(
        email__incident__isnull=True, message_id__in=mids
    ).values_list("email_id", "message_id"),
    Many(_MID),
)
_POLELESS = CompiledQuery(
    lambda ids: Incident.objects.filter(pk__in=ids, pole__isnull=True).values_list("pk"),
    Many(NO_ID),
)
_PARENTS = CompiledQuery(
    lambda mids: EmailMessage.objects.filter(
        incident__isnull=True, message_id__in=mids
    ).values_list("message_id"),
    Many(_MID),
)


def store_messages(folder: MailFolder, uidvalidity: int, items: list[Incoming]) -> StoreResult:
    """Store new messages once (by Message-ID), record every sighting, thread and link them."""
    result = StoreResult()
    reused = separate_reused_ids([item.parsed for item in items])
    ids = [item.parsed.message_id for item in items]
    existing = dict(_STORED.rows(ids))
    ours = dict(_OURS.rows(ids))
    originals = dict(_ORIGINALS.rows(list(set(reused.values()))))
    index = ThreadIndex([item.parsed for item in items if item.parsed.message_id not in existing])
    ignore = IgnoreList.load() if len(existing) < len(set(ids)) else IgnoreList()  # one query
    batch = _Batch(folder, ours, index, reused, originals, ignore)
    fresh: dict[str, tuple[Incoming, EmailMessage]] = {}
    links: list[tuple[EmailMessage, IncidentRef]] = []
    sightings: list[tuple[str, int]] = []
    now = timezone.now()
    for item in items:
        mid = item.parsed.message_id
        if item.uid is not None:
            sightings.append((mid, item.uid))
        if mid in existing or mid in fresh:
            result.duplicates += 1
            continue
        email, ref = _new_email(batch, item, result, now)
        fresh[mid] = (item, email)
        links.append((email, ref))
    open_incidents(batch.openings)
    for email, ref in links:
        email.incident_id = _incident_id(ref)
    emails = _insert(fresh)
    existing.update((email.message_id, email.pk) for email in emails)
    _link_reused(reused)
    add_locations(folder, uidvalidity, [(existing[mid], uid) for mid, uid in sightings])
    linked = {email.message_id: email.incident_id for email in emails if email.incident_id}
    result.linked += _adopt_orphans(linked)
    result.linked += _adopt_parents(
        [(thread_ids(item.parsed), email.incident_id) for item, email in fresh.values()]
    )
    _fill_missing_poles(fresh)
    mark_unread(incidents_with_new_mail(emails), now)
    answer_mail_on_closed(emails, now)
    result.stored = len(emails)
    return result


def add_locations(folder: MailFolder, uidvalidity: int, pairs: list[tuple[int, int]]) -> None:
    """Record where messages sit in the mailbox (repeat sightings are ignored)."""
    rows = [(email_id, folder.pk, uidvalidity, uid) for email_id, uid in pairs]
    fields = ["email", "folder", "uidvalidity", "uid"]
    insert_rows(EmailLocation, fields, rows, ignore_conflicts=True)


def quarantine(
    folder: MailFolder | None,
    uidvalidity: int | None,
    uid: int | None,
    raw: bytes,
    error: str,
    message_id: str = "",
) -> QuarantinedEmail:
    """Keep a message that could not be ingested, with the reason (one row per mailbox UID)."""
    now = timezone.now()
    if uid is not None:
        row, created = QuarantinedEmail.objects.get_or_create(
            folder=folder,
            uidvalidity=uidvalidity,
            uid=uid,
            defaults={"raw": raw, "error": error, "message_id": message_id[:998]},
        )
        if not created:
            QuarantinedEmail.objects.filter(pk=row.pk).update(
                error=error, attempts=F("attempts") + 1, last_attempt_at=now, resolved_at=None
            )
        return row
    return QuarantinedEmail.objects.create(
        folder=folder, raw=raw, error=error, message_id=message_id[:998]
    )


def advance_cursor(folder: MailFolder, uidvalidity: int, last_uid: int) -> None:
    """Remember the last UID ingested in ``folder`` (only ever forwards)."""
    folder.uidvalidity = uidvalidity
    folder.last_uid = max(folder.last_uid, last_uid)
    folder.last_polled_at = timezone.now()
    MailFolder.objects.filter(pk=folder.pk).update(
        uidvalidity=uidvalidity, last_uid=folder.last_uid, last_polled_at=folder.last_polled_at
    )
