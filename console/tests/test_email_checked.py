"""«Проверено» on an e-mail flagged for a check: a dispatcher clears the flag from the incident
page (POST, then back to the e-mail); the change log keeps who checked which sender and why it
was flagged. Mail arrives from a real Dovecot through the ingest worker."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from emails.ingest import ingest_folder
from emails.models import EmailMessage
from emails.tests.conftest import MAILBOX_USER, build_message
from incidents.models import Incident, IncidentChange

pytestmark = pytest.mark.django_db


def _flagged(dovecot, imap_source, settings) -> EmailMessage:
    settings.DISPATCH_MAILBOX = MAILBOX_USER
    dovecot.append("INBOX", [build_message("Нет связи", "Проверьте.", sender="eng@megafon.example",
                                           message_id="<req@megafon.example>")])  # fmt: skip
    ingest_folder(imap_source, "INBOX")
    incident = Incident.objects.get(emails__message_id="<req@megafon.example>")
    dovecot.append("INBOX", [build_message(f"Re: {incident.code}", "Пишите мне.",
                                           sender="attacker@evil.example",
                                           message_id="<evil@evil.example>")])  # fmt: skip
    ingest_folder(imap_source, "INBOX")
    email = EmailMessage.objects.get(message_id="<evil@evil.example>")
    assert email.review == EmailMessage.Review.OUTSIDER and email.incident == incident
    return email


def test_dispatcher_marks_the_outsiders_mail_checked(
    client, dispatcher, reader, dovecot, imap_source, settings
):
    email = _flagged(dovecot, imap_source, settings)
    incident = email.incident
    url = reverse("console:email_checked", args=[incident.pk, email.pk])

    client.force_login(reader)
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    assert f'id="email-{email.pk}-checked"' not in page
    assert client.post(url).status_code == 403
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(dispatcher)
    assert csrf_client.post(url).status_code == 403
    email.refresh_from_db()
    assert email.review == EmailMessage.Review.OUTSIDER

    client.force_login(dispatcher)
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    assert f'id="email-{email.pk}-checked"' in page and "Проверено" in page
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/incidents/{incident.pk}/#email-{email.pk}-head")
    email.refresh_from_db()
    assert email.review == ""
    change = IncidentChange.objects.get(incident=incident, field="email_check")
    assert change.user == dispatcher and change.new_value == "проверено"
    assert change.old_value.startswith("attacker@evil.example: Привязано по коду инцидента")
    page = client.get(response["Location"]).content.decode()
    assert "Письмо отмечено как проверенное." in page
    assert f'id="email-{email.pk}-checked"' not in page
    changes = page.split('id="changes"', 1)[1]
    assert "Проверка письма" in changes and "attacker@evil.example" in changes

    again = client.post(url, follow=True).content.decode()
    assert "Письмо уже проверено." in again
    assert IncidentChange.objects.filter(field="email_check").count() == 1
    assert client.get(url)["Location"].endswith("#thread")


def test_an_email_of_another_incident_is_not_found(
    client, dispatcher, incident, dovecot, imap_source, settings
):
    email = _flagged(dovecot, imap_source, settings)
    other = incident
    client.force_login(dispatcher)
    response = client.post(reverse("console:email_checked", args=[other.pk, email.pk]))
    assert response.status_code == 404
    email.refresh_from_db()
    assert email.review == EmailMessage.Review.OUTSIDER
