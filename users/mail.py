"""Account e-mails (confirmation links, approval, notices), sent with Django's mail API.

These are account mail, not incident mail: they do not go through the incident outbox.
Templates: ``users/email/<name>_subject.txt`` and ``users/email/<name>_body.txt``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from users.tokens import link_lifetime_text


def send_account_mail(name: str, to: Iterable[str], context: dict) -> None:
    """Render and send one account e-mail; delivery errors propagate to the caller."""
    recipients = [address for address in to if address]
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):  # account mail is Russian for everyone
        context = {"link_lifetime": link_lifetime_text(), **context}
        subject = render_to_string(f"users/email/{name}_subject.txt", context)
        body = render_to_string(f"users/email/{name}_body.txt", context)
    message = EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.send(fail_silently=False)
