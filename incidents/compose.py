"""A dispatcher's new e-mail about an incident (console «New e-mail», API ``compose``).

A mail template chosen from the list pre-fills To, Cc (by its audience: the requester, the pole's
contractor, the repair contractor ``RVR_CONTRACTOR_EMAILS``, the base station's operators),
subject and body; the dispatcher edits them and the message goes through the outbox as kind
``compose``: the incident code in the subject, our mailbox in Cc, our Message-ID, References to
the conversation, no ``Auto-Submitted`` (a person wrote it). Stored attachments of the thread may
be forwarded (by reference, at most ``MAIL_FORWARD_MAX_BYTES``). Every address is checked: a
real address, not an automatic mailbox, not our own, at most ``MAIL_MAX_RECIPIENTS`` in all.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from emails.models import EmailAttachment
from emails.outbox.models import MailTemplate, OutboundEmail
from incidents import mail_defaults
from incidents.mail_templates import (
    MailTemplateError,
    Rendered,
    incident_pole,
    render_template,
    template_context,
)
from incidents.models import Incident
from incidents.notifications import (
    MAX_REFERENCES,
    Draft,
    NotificationError,
    clean_addresses,
    contractor_recipients,
    enqueue,
    is_automated_address,
    our_addresses,
    with_code,
    with_our_mailbox,
)
from incidents.selectors import conversation_message_ids, request_email

Audience = MailTemplate.Audience
MAX_BODY = 20_000
MAX_SUBJECT = 900
SEPARATORS = re.compile(r"[,;\s]+")
TOKEN = re.compile(r"[0-9a-f]{32}")


class ComposeError(NotificationError):
    """The e-mail cannot be sent as written; ``field`` names what to fix."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Letter:
    """A composed e-mail, validated and ready to queue (or to preview)."""

    draft: Draft
    attachments: list[EmailAttachment]

    @property
    def attachments_size(self) -> int:
        return sum(a.size for a in self.attachments)


def templates() -> QuerySet[MailTemplate]:
    """The templates offered for a new e-mail."""
    return MailTemplate.objects.filter(is_active=True).order_by("name")


def audience_recipients(incident: Incident, audience: str) -> tuple[list[str], list[str]]:
    """(To, Cc) the audience pre-fills, where known; never ourselves or automatic mailboxes."""
    if audience == Audience.REQUESTER:
        to = clean_addresses([incident.requester_email], set())
        email = request_email(incident)
        others = [r.address for r in email.recipients.all() if r.kind != "bcc"] if email else []
        return to, clean_addresses(others, set(to)) if to else []
    if audience == Audience.CONTRACTOR:
        try:
            return contractor_recipients(incident_pole(incident)), []
        except NotificationError:
            return [], []
    if audience == Audience.RVR_CONTRACTOR:
        return clean_addresses(list(settings.RVR_CONTRACTOR_EMAILS), set()), []
    if audience == Audience.OPERATOR and incident.base_station_id:
        found = incident.base_station.operators.exclude(email="").values_list("email", flat=True)
        return clean_addresses(list(found), set()), []
    return [], []


@dataclass(frozen=True)
class Prefill:
    to: list[str]
    cc: list[str]
    subject: str
    body: str


def prefill(incident: Incident, template: MailTemplate, *, user) -> Prefill:
    """What ``template`` puts into the form for ``incident`` (the shipped text of its key if
    the stored one cannot render; ComposeError when neither can)."""
    context = template_context(incident, user=user)
    try:
        rendered = render_template(template.subject, template.body, context)
    except MailTemplateError as exc:
        shipped = mail_defaults.BY_KEY.get(template.key)
        if shipped is None:
            raise ComposeError(str(exc), "template") from exc
        rendered = render_template(shipped.subject, shipped.body, context)
    to, cc = audience_recipients(incident, template.audience)
    return Prefill(to=to, cc=cc, subject=with_code(incident, rendered.subject), body=rendered.body)


def parse_addresses(raw: str | list[str], field: str) -> list[str]:
    """Addresses typed by a person (comma, semicolon or space separated): each a plain valid
    address, not an automatic mailbox; lower-cased, each once."""
    parts = raw if isinstance(raw, list) else SEPARATORS.split(raw or "")
    found: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        address = part.lower()
        try:
            validate_email(address)
        except ValidationError:
            raise ComposeError(
                _("«%(address)s» is not an e-mail address (write bare addresses, separated by "
                  "commas).") % {"address": part[:100]},
                field,
            ) from None  # fmt: skip
        if is_automated_address(address):
            raise ComposeError(
                _("«%(address)s» is an automatic mailbox; mail to it is not sent.")
                % {"address": address},
                field,
            )
        if address not in found:
            found.append(address)
    return found


def _recipients(to_raw, cc_raw) -> tuple[list[str], list[str]]:
    ours = our_addresses()
    to = parse_addresses(to_raw, "to")
    for address in to:
        if address in ours:
            raise ComposeError(
                _("«%(address)s» is our own mailbox: the e-mail would come back to us.")
                % {"address": address},
                "to",
            )
    if not to:
        raise ComposeError(_("Write at least one address in «To»."), "to")
    cc = [a for a in parse_addresses(cc_raw, "cc") if a not in ours and a not in to]
    limit = settings.MAIL_MAX_RECIPIENTS
    if len(to) + len(cc) > limit:
        raise ComposeError(
            _("At most %(limit)s recipients in To and Cc together (now %(count)s).")
            % {"limit": limit, "count": len(to) + len(cc)},
            "cc" if len(to) <= limit else "to",
        )
    return to, with_our_mailbox(cc)


def forwardable_attachments(incident: Incident) -> QuerySet[EmailAttachment]:
    """Attachments of the incident's mail that are stored (not refused), oldest first."""
    return (
        EmailAttachment.objects.filter(email__incident=incident, rejected_reason="")
        .exclude(file="")
        .select_related("email")
        .order_by("email__sent_at", "email_id", "id")
    )


def _attachments(incident: Incident, ids: list[int]) -> list[EmailAttachment]:
    wanted = set(ids)
    chosen = [a for a in forwardable_attachments(incident) if a.pk in wanted]
    if len(chosen) != len(wanted):
        raise ComposeError(
            _("An attachment is not one of this incident's stored files."), "attachments"
        )
    total = sum(a.size for a in chosen)
    if total > settings.MAIL_FORWARD_MAX_BYTES:
        raise ComposeError(
            _("The attachments take %(size)s; at most %(limit)s can be forwarded.")
            % {
                "size": filesizeformat(total),
                "limit": filesizeformat(settings.MAIL_FORWARD_MAX_BYTES),
            },
            "attachments",
        )
    return chosen


def compose_headers(incident: Incident) -> dict[str, str]:
    """A new message of the incident's conversation: References (so answers link to it), no
    In-Reply-To (it answers nobody), no Auto-Submitted (a person wrote it)."""
    headers = {"X-Dispatch-Incident": str(incident)}
    ids = conversation_message_ids(incident)
    if ids:
        refs = ids if len(ids) <= MAX_REFERENCES else [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
        headers["References"] = " ".join(refs)
    return headers


def build_letter(
    incident: Incident,
    *,
    to: str | list[str],
    cc: str | list[str] = "",
    subject: str,
    body: str,
    attachment_ids: list[int] = (),
) -> Letter:
    """The e-mail exactly as it will be sent; ComposeError (with the field) what to fix."""
    to_list, cc_list = _recipients(to, cc)
    text = (body or "").strip("\r\n")
    if not text.strip():
        raise ComposeError(_("The e-mail is empty."), "body")
    if len(text) > MAX_BODY:
        raise ComposeError(
            _("The text is longer than %(limit)s characters.") % {"limit": MAX_BODY}, "body"
        )
    line = " ".join((subject or "").split())
    if not line:
        raise ComposeError(_("Write the subject."), "subject")
    if len(line) > MAX_SUBJECT:
        raise ComposeError(
            _("The subject is longer than %(limit)s characters.") % {"limit": MAX_SUBJECT},
            "subject",
        )
    draft = Draft(
        kind=OutboundEmail.Kind.COMPOSE,
        to=to_list,
        cc=cc_list,
        subject=with_code(incident, line),
        body=text.replace("\r\n", "\n") + "\n",
        headers=compose_headers(incident),
    )
    return Letter(draft=draft, attachments=_attachments(incident, list(attachment_ids)))


def new_token() -> str:
    """A one-time key of a composed e-mail: sending the same preview twice queues it once."""
    return uuid.uuid4().hex


def queue_letter(incident: Incident, letter: Letter, *, token: str = "") -> OutboundEmail:
    """Queue ``letter`` (once per ``token``): SMTP when it forwards files (the tracker channel
    carries none), else the notification channel."""
    key = f"compose:{token if TOKEN.fullmatch(token or '') else new_token()}"
    if OutboundEmail.objects.filter(dedupe_key=key).exists():
        raise ComposeError(_("This e-mail is already queued for sending."), "")
    draft = letter.draft
    channel = "smtp" if letter.attachments else settings.NOTIFICATION_CHANNEL
    try:
        with transaction.atomic():
            outbound = enqueue(incident, draft, channel=channel, dedupe_key=key)
            outbound.attachments.set(letter.attachments)
    except IntegrityError:
        raise ComposeError(_("This e-mail is already queued for sending."), "") from None
    return outbound


def rendered_for_admin(template: MailTemplate, incident: Incident) -> Rendered:
    """The stored template on a real incident (the admin's preview); MailTemplateError."""
    rendered = render_template(template.subject, template.body, template_context(incident))
    return Rendered(subject=with_code(incident, rendered.subject), body=rendered.body)
