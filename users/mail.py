"""Account e-mails (confirmation links, approval, notices), queued in the outbox.

A request never talks to the mail server: how long an SMTP conversation takes (or whether one
happens) would tell an outsider which addresses have accounts. Each e-mail becomes an
``OutboundEmail`` of kind ``account`` that the ``send_outbox`` worker delivers and retries.
Once delivered, its text (which may hold a one-time link) is blanked in the outbox.
Templates: ``users/email/<name>_subject.txt`` and ``users/email/<name>_body.txt``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from emails.outbox.models import OutboundEmail
from users.tokens import link_lifetime_text

DELIVERED_TEXT = "(removed after delivery: account e-mails may hold one-time links)"


def queue_account_mail(name: str, to: Iterable[str], context: dict) -> OutboundEmail | None:
    """Render one account e-mail and queue it; None when there is nobody to send it to."""
    recipients = [address for address in to if address]
    if not recipients:
        return None
    with translation.override(settings.LANGUAGE_CODE):  # account mail is Russian for everyone
        context = {"link_lifetime": link_lifetime_text(), **context}
        subject = render_to_string(f"users/email/{name}_subject.txt", context)
        body = render_to_string(f"users/email/{name}_body.txt", context)
    key = uuid.uuid4().hex
    return OutboundEmail.objects.create(
        kind=OutboundEmail.Kind.ACCOUNT,
        dedupe_key=f"account:{name}:{key}",
        message_id=f"<dispatch.account.{key}@{settings.MESSAGE_ID_DOMAIN}>",
        to=recipients,
        subject=" ".join(subject.split()),
        body_text=body,
        headers={"Auto-Submitted": "auto-generated"},
    )


def forget_delivered_text(message: OutboundEmail) -> None:
    """After delivery: an account e-mail's text is not kept (links in it stay secret)."""
    if message.kind == OutboundEmail.Kind.ACCOUNT:
        OutboundEmail.objects.filter(pk=message.pk).update(body_text=DELIVERED_TEXT)
