"""E-mail storage invariants."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from emails.models import EmailLocation, EmailMessage, EmailReference, MailFolder

pytestmark = pytest.mark.django_db


def make_email(message_id: str) -> EmailMessage:
    return EmailMessage.objects.create(message_id=message_id, sent_at=timezone.now())


def test_message_id_is_unique():
    make_email("<a@example.com>")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_email("<a@example.com>")


def test_mailbox_location_is_unique_per_folder_uidvalidity_uid():
    email = make_email("<a@example.com>")
    other = make_email("<b@example.com>")
    inbox = MailFolder.objects.create(mailbox="m", name="INBOX")
    sent = MailFolder.objects.create(mailbox="m", name="Sent", role=MailFolder.Role.SENT)
    EmailLocation.objects.create(email=email, folder=inbox, uidvalidity=1, uid=10)
    EmailLocation.objects.create(email=email, folder=sent, uidvalidity=1, uid=10)
    EmailLocation.objects.create(email=other, folder=inbox, uidvalidity=2, uid=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        EmailLocation.objects.create(email=other, folder=inbox, uidvalidity=1, uid=10)


def test_reference_is_stored_once_per_message():
    email = make_email("<a@example.com>")
    EmailReference.objects.create(email=email, message_id="<root@x>", position=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        EmailReference.objects.create(email=email, message_id="<root@x>", position=1)
