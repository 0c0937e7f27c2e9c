"""Templated e-mails about an incident, queued in the outbox (delivered by ``send_outbox``).

Kinds: ``accepted`` and ``closed`` go to the incident's requester (``Incident.requester_email``:
the sender of the first e-mail, or the address inside a web-form mail; the other To/Cc addresses
of that first e-mail in CC), ``contractor`` sends the incident card to the pole's emergency
contractor, ``reply`` (the console) goes to the requester and the addresses the dispatcher
picked. No message has more than ``MAIL_MAX_RECIPIENTS`` addressees (To + Cc; our mailbox not
counted): the rest are left out and recorded on the outbox row (``dropped``). Every message has
the incident code in the subject, our collecting mailbox in CC, our own Message-ID
``<dispatch.<incident id>.<kind>.<random>@MESSAGE_ID_DOMAIN>``, In-Reply-To the requester's own
newest message (by arrival; never an automatic answer) and References to the conversation, and
``Auto-Submitted: auto-replied``. Subjects and bodies of ``accepted``, ``closed`` and
``contractor`` are the admin-editable mail templates of that key (``incidents.mail_templates``;
the shipped text of ``incidents.mail_defaults`` when the row is missing or inactive).
The same notification to the same people is queued once
(``dedupe_key``); asking again raises ``NotificationAlreadySent``.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from emails.models import EmailMessage
from emails.outbox.models import OutboundEmail
from incidents.mail_templates import incident_pole, one_line, render_kind
from incidents.models import Incident, IncidentSource
from incidents.selectors import (
    conversation_message_ids,
    request_email,
    requester_message,
)
from ts.models import Contractor, Pole

Kind = OutboundEmail.Kind
NOTIFICATION_KINDS = (Kind.ACCEPTED, Kind.CLOSED, Kind.CONTRACTOR)
MAX_REFERENCES = 20
AUTOMATED_ADDRESS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?|auto-?reply)([+.-][^@]*)?@",
    re.IGNORECASE,
)


class NotificationError(Exception):
    """The notification cannot be sent; ``str()`` is the reason in Russian."""


class NotificationAlreadySent(NotificationError):
    """The same notification to the same people was already sent or is being sent."""

    def __init__(self, message: str, outbound: OutboundEmail) -> None:
        super().__init__(message)
        self.outbound = outbound


@dataclass
class Draft:
    """An outgoing message before it is queued."""

    kind: str
    to: list[str]
    cc: list[str]
    subject: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.to, self.cc, dropped = limit_recipients(self.to, self.cc)
        self.dropped = [*self.dropped, *dropped]

    def dedupe_key(self, incident: Incident) -> str:
        people = hashlib.sha256(",".join(sorted(a.lower() for a in self.to)).encode()).hexdigest()
        return f"{self.kind}:{incident.pk}:{people[:24]}"


# --- addresses ------------------------------------------------------------------------------
def our_addresses() -> set[str]:
    """Addresses that are us: mail to them would loop back into the mailbox."""
    ours = {settings.DISPATCH_MAILBOX, settings.DEFAULT_FROM_EMAIL}
    login = getattr(settings, "PARSING_EMAIL_LOGIN", "")
    if "@" in login:
        ours.add(login)
    return {a.strip().lower() for a in ours if a}


def is_automated_address(address: str) -> bool:
    return bool(AUTOMATED_ADDRESS.match(address.strip()))


def clean_addresses(addresses: list[str], exclude: set[str]) -> list[str]:
    """Unique, lower-cased, without ``exclude``, ourselves and automated mailboxes."""
    ours = our_addresses()
    seen: list[str] = []
    for raw in addresses:
        address = raw.strip().lower()
        if (
            address
            and address not in seen
            and address not in exclude
            and address not in ours
            and not is_automated_address(address)
        ):
            seen.append(address)
    return seen


def with_our_mailbox(cc: list[str]) -> list[str]:
    mailbox = settings.DISPATCH_MAILBOX.lower()
    return [*cc, mailbox] if mailbox not in cc else cc


def limit_recipients(to: list[str], cc: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(To, Cc, left out): at most ``MAIL_MAX_RECIPIENTS`` addressees, To first, then Cc in
    order; our own mailbox in Cc is kept and not counted."""
    limit = settings.MAIL_MAX_RECIPIENTS
    mailbox = settings.DISPATCH_MAILBOX.lower()
    people = [address for address in cc if address.lower() != mailbox]
    room = max(0, limit - len(to[:limit]))
    kept_cc = people[:room] + [address for address in cc if address.lower() == mailbox][:1]
    return to[:limit], kept_cc, to[limit:] + people[room:]


def requester_address(incident: Incident) -> str:
    """The incident's requester, if we may write to them; NotificationError otherwise."""
    requester = incident.requester_email.strip().lower()
    if not requester:
        raise NotificationError(_("The requester's address is unknown."))
    if requester in our_addresses():
        raise NotificationError(
            _("The requester is our own mailbox; a notification would loop back to us.")
        )
    if not clean_addresses([requester], set()):
        raise NotificationError(
            _("The requester's address %(address)s is an automatic mailbox.")
            % {"address": requester}
        )
    return requester


def _requester_recipients(email: EmailMessage | None, incident: Incident) -> tuple[list, list]:
    """(To, CC) for a notice to the incident's requester (never merely the sender of the first
    mail: a web form's robot is not the requester); NotificationError when nobody may get it."""
    if incident.source == IncidentSource.MANUAL:
        raise NotificationError(
            _(
                "Cannot send an automatic notification to the requester of an incident "
                "created manually."
            )
        )
    if email is not None and email.auto_kind:
        raise NotificationError(
            _(
                "The requester's message was sent automatically (%(kind)s); "
                "no notification is sent to automatic mail."
            )
            % {"kind": email.get_auto_kind_display()}
        )
    to = [requester_address(incident)]
    others = [r.address for r in email.recipients.all() if r.kind != "bcc"] if email else []
    return to, with_our_mailbox(clean_addresses(others, set(to)))


def contractor_recipients(pole: Pole | None) -> list[str]:
    if pole is None:
        raise NotificationError(
            _(
                "To pass the incident to a contractor, specify the pole code and/or the base "
                "station."
            )
        )
    contractor = pole.contractor or Contractor.objects.get_default()
    addresses = list(contractor.emails.values_list("email", flat=True))
    if not addresses and contractor.is_default:
        addresses = list(settings.DEFAULT_CONTRACTOR_EMAILS)
    to = clean_addresses(addresses, set())
    if not to:
        raise NotificationError(
            _("No e-mail address of the contractor %(name)s for the notification.")
            % {"name": contractor.name}
        )
    return to


# --- content --------------------------------------------------------------------------------
def subject_for(incident: Incident) -> str:
    """``Re: <code>: <subject>`` — the code lets any reply find the incident."""
    base = f"{incident}: {incident.subject}" if incident.subject else str(incident)
    return one_line(f"Re: {base}")  # one line: a summary may hold line breaks


def with_code(incident: Incident, subject: str) -> str:
    """``subject`` on one line, with the incident code in it (prefixed when missing), so any
    reply finds the incident."""
    line = one_line(subject)
    code = str(incident)
    return line if code in line else one_line(f"{code}: {line}" if line else code)


def threading_headers(incident: Incident) -> dict[str, str]:
    """In-Reply-To the requester's own newest message, References the conversation."""
    ids = conversation_message_ids(incident)
    parent = requester_message(incident)
    if parent is not None:
        ids = [mid for mid in ids if mid != parent.message_id] + [parent.message_id]
    headers = {"X-Dispatch-Incident": str(incident)}
    if ids:
        refs = ids if len(ids) <= MAX_REFERENCES else [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
        headers["In-Reply-To"] = ids[-1]
        headers["References"] = " ".join(refs)
    return headers


def auto_headers() -> dict[str, str]:
    """RFC 3834: we are an automatic responder; ask Exchange not to answer us."""
    return {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}


def _local(moment) -> str:
    return date_format(timezone.localtime(moment), "d.m.Y H:i") if moment else ""


def build_notification(incident: Incident, kind: str) -> Draft:
    """The message for ``kind`` (not queued); NotificationError with the reason otherwise.
    Subject and body come from the ``kind`` mail template (``incidents.mail_templates``)."""
    if kind not in NOTIFICATION_KINDS:
        raise NotificationError(_("Unknown notification kind: %(kind)s.") % {"kind": kind})
    if kind == Kind.CONTRACTOR:
        to, cc = (
            contractor_recipients(incident_pole(incident)),
            [settings.DISPATCH_MAILBOX.lower()],
        )
    else:
        to, cc = _requester_recipients(request_email(incident), incident)
    rendered = render_kind(kind, incident)
    return Draft(
        kind=kind,
        to=to,
        cc=cc,
        subject=with_code(incident, rendered.subject),
        body=rendered.body,
        headers={**threading_headers(incident), **auto_headers()},
    )


def new_message_id(incident: Incident, kind: str) -> str:
    return f"<dispatch.{incident.pk}.{kind}.{uuid.uuid4().hex[:20]}@{settings.MESSAGE_ID_DOMAIN}>"


def _already_sent_message(existing: OutboundEmail) -> str:
    if existing.state == OutboundEmail.State.SENT:
        return _(
            "This notification was already sent to %(to)s on %(date)s; it is not sent twice."
        ) % {"to": ", ".join(existing.to), "date": _local(existing.sent_at)}
    return _("This notification to %(to)s is already queued for sending.") % {
        "to": ", ".join(existing.to)
    }


def enqueue(incident: Incident, draft: Draft, *, channel: str, dedupe_key: str) -> OutboundEmail:
    """Queue ``draft`` in the outbox (``dedupe_key`` unique: a second one raises IntegrityError)."""
    with transaction.atomic():
        return OutboundEmail.objects.create(
            incident=incident,
            kind=draft.kind,
            channel=channel,
            dedupe_key=dedupe_key,
            message_id=new_message_id(incident, draft.kind),
            to=draft.to,
            cc=draft.cc,
            dropped=draft.dropped,
            subject=draft.subject,
            body_text=draft.body,
            headers=draft.headers,
        )


def already_sent(incident: Incident, draft: Draft) -> NotificationAlreadySent | None:
    """The error to report if this notification was already sent or queued, else None."""
    existing = (
        OutboundEmail.objects.filter(dedupe_key=draft.dedupe_key(incident))
        .exclude(state__in=[OutboundEmail.State.FAILED, OutboundEmail.State.SUPPRESSED])
        .first()
    )
    return NotificationAlreadySent(_already_sent_message(existing), existing) if existing else None


def queue_draft(incident: Incident, draft: Draft, *, channel: str = "smtp") -> OutboundEmail:
    """Queue a built notification once; a failed earlier copy is queued again."""
    key = draft.dedupe_key(incident)
    existing = OutboundEmail.objects.filter(dedupe_key=key).first()
    if existing is None:
        try:
            return enqueue(incident, draft, channel=channel, dedupe_key=key)
        except IntegrityError:
            existing = OutboundEmail.objects.get(dedupe_key=key)
    if existing.state in (OutboundEmail.State.FAILED, OutboundEmail.State.SUPPRESSED):
        retried = OutboundEmail.objects.filter(pk=existing.pk, state=existing.state).update(
            state=OutboundEmail.State.QUEUED,
            attempts=0,
            next_attempt_at=timezone.now(),
            channel=channel,
            cc=draft.cc,
            dropped=draft.dropped,
            subject=draft.subject,
            body_text=draft.body,
            headers=draft.headers,
        )
        if retried:
            existing.refresh_from_db()
            return existing
    raise NotificationAlreadySent(_already_sent_message(existing), existing)


def queue_notification(incident: Incident, kind: str, *, channel: str = "smtp") -> OutboundEmail:
    """Queue the ``kind`` e-mail about ``incident`` (call inside the status change transaction)."""
    return queue_draft(incident, build_notification(incident, kind), channel=channel)


def queue_reply(
    incident: Incident, body: str, *, user, cc: list[str] = (), channel: str = "smtp"
) -> OutboundEmail:
    """Queue a dispatcher's reply to the incident's requester (never to whoever wrote last),
    with the addresses the dispatcher chose in CC."""
    text = (body or "").strip()
    if not text:
        raise NotificationError(_("The reply is empty."))
    if not incident.requester_email.strip():
        raise NotificationError(_("Nobody to reply to: the incident has no e-mail from a person."))
    to = [requester_address(incident)]
    signature = user.display_name if user else ""
    draft = Draft(
        kind=Kind.REPLY,
        to=to,
        cc=with_our_mailbox(clean_addresses(list(cc), set(to))),
        subject=subject_for(incident),
        body=render_to_string(
            "incidents/email/reply.txt",
            {"incident": incident, "body": text, "signature": signature},
        ),
        headers=threading_headers(incident),
    )
    return enqueue(incident, draft, channel=channel, dedupe_key=f"reply:{uuid.uuid4().hex}")


LIST_ADDRESS = re.compile(r"^(owner-[^@]*|[^@]*-(request|owner|bounces?))@", re.IGNORECASE)


def build_closed_auto_reply(incident: Incident, email: EmailMessage) -> Draft:
    """The automatic answer to ``email``, written by a person into the closed ``incident``
    (RFC 3834: to its sender only, never to ourselves, automatic mailboxes or list robots;
    ``Auto-Submitted: auto-replied``, ``Auto:`` subject, threaded on the message it answers).
    NotificationError when nobody may get it."""
    sender = email.from_address.strip().lower()
    to = clean_addresses([sender], set())
    if not to or LIST_ADDRESS.match(sender):
        raise NotificationError(
            _("No automatic answer to %(address)s: an automatic or our own mailbox.")
            % {"address": sender or "—"}
        )
    references = [
        *email.references.order_by("position").values_list("message_id", flat=True),
        email.message_id,
    ]
    headers = {"X-Dispatch-Incident": str(incident), **auto_headers()}
    if not email.has_synthetic_id:
        headers["In-Reply-To"] = email.message_id
        headers["References"] = " ".join(references[-MAX_REFERENCES:])
    return Draft(
        kind=Kind.CLOSED_AUTO_REPLY,
        to=to,
        cc=[],
        subject=f"Auto: {subject_for(incident)}"[:1024],
        body=render_to_string(
            "incidents/email/closed_auto_reply.txt",
            {"incident": incident, "reopen_after": settings.MAX_EMAILS_ON_CLOSED_INCIDENTS},
        ),
        headers=headers,
    )


def queue_closed_auto_reply(
    incident: Incident, email: EmailMessage, *, channel: str = "smtp"
) -> OutboundEmail:
    """Queue the automatic answer to ``email`` (once per e-mail; the caller keeps it to once
    per incident per period)."""
    draft = build_closed_auto_reply(incident, email)
    return enqueue(incident, draft, channel=channel, dedupe_key=f"closed_reply:{email.pk}")
