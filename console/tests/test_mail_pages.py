"""The console's mail pages: the e-mail list with search and filters (a fixed number of queries
however many e-mails), the quarantine with retry and release, the attachments zip."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import reverse

from emails.models import EmailAttachment, EmailMessage, EmailRaw, QuarantinedEmail
from emails.services import get_folder, quarantine
from emails.tests.conftest import build_message
from incidents.models import Incident
from incidents.tests.factories import make_request

pytestmark = pytest.mark.django_db

MAIL = reverse("console:mail")


def _ids(client, **params) -> list[int]:
    page = client.get(MAIL, params).content.decode()
    return [int(chunk.split('"', 1)[0]) for chunk in page.split('data-email="')[1:]]


def _reply(incident: Incident, n: int, body: str, **fields) -> EmailMessage:
    first = incident.emails.first()
    return EmailMessage.objects.create(
        message_id=f"<r{n}@operator.example>",
        subject=fields.pop("subject", f"RE: {incident.subject}"),
        from_address=fields.pop("from_address", "noc@operator.example"),
        sent_at=first.sent_at,
        body_text=body,
        incident=incident,
        **fields,
    )


def test_search_and_filters(client, dispatcher):
    incident = make_request(subject="Нет питания на опоре 77-0001")
    first = incident.emails.get()
    other = make_request(subject="Авария БС", message_id="<other@operator.example>")
    reply = _reply(incident, 1, "Питание восстановлено, щит заменён", from_address="avr@c.example")
    auto = _reply(incident, 2, "Я в отпуске", auto_kind="auto_reply")
    out = _reply(incident, 3, "Принято", direction="out", from_address="dispatch@example.ru")
    client.force_login(dispatcher)
    assert set(_ids(client)) == {first.pk, other.emails.get().pk, reply.pk, auto.pk, out.pk}
    assert _ids(client, q="щит") == [reply.pk]
    assert _ids(client, q="avr@c.example") == [reply.pk]
    assert set(_ids(client, q=incident.code)) == {first.pk, reply.pk, auto.pk, out.pk}
    assert _ids(client, direction="out") == [out.pk]
    assert _ids(client, automatic="auto") == [auto.pk]
    assert auto.pk not in _ids(client, automatic="human")
    assert "Ничего не найдено" in client.get(MAIL, {"q": "несуществующее"}).content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
def test_search_finds_other_forms_of_a_russian_word(client, dispatcher):
    incident = make_request(subject="Заявка")
    reply = _reply(incident, 1, "Опоры на трассе повреждены ураганом")
    client.force_login(dispatcher)
    first = incident.emails.get(is_first=True)  # «На опоре 77-0001 пропало питание»
    assert set(_ids(client, q="опора")) == {first.pk, reply.pk}
    assert _ids(client, q="на трассах") == [reply.pk]


def test_list_queries_do_not_grow_with_emails(client, dispatcher, django_assert_max_num_queries):
    incident = make_request()
    client.force_login(dispatcher)
    with django_assert_max_num_queries(20) as few:
        client.get(MAIL)
    for n in range(30):
        _reply(incident, n, f"Ответ {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(MAIL).content.decode()
    assert page.count("data-email=") == 31


def test_attachments_zip_holds_every_stored_file(client, dispatcher, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    incident = make_request()
    reply = _reply(incident, 1, "Фото")
    for email, data in ((incident.emails.first(), b"first photo"), (reply, b"second photo")):
        attachment = EmailAttachment(
            email=email, filename="Фото.jpg", content_type="image/jpeg", size=len(data), sha256="0"
        )
        attachment.file.save("photo.jpg", ContentFile(data), save=True)
    EmailAttachment.objects.create(
        email=reply, filename="big.bin", content_type="x/y", size=10**9, sha256="1",
        rejected_reason="too large",
    )  # fmt: skip
    client.force_login(dispatcher)
    url = reverse("console:attachments_zip", args=[incident.pk])
    response = client.get(url)
    assert response.streaming and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == ["Фото.jpg", "Фото (2).jpg"]
    assert archive.read("Фото (2).jpg") == b"second photo"
    settings.ATTACHMENTS_ZIP_MAX_BYTES = 10
    refused = client.get(url, follow=True)
    assert "больше, чем помещается в один архив" in refused.content.decode()


def test_quarantine_retry_and_release(client, dispatcher, reader):
    folder = get_folder("test", "INBOX")
    fixed = quarantine(folder, 1, 1, build_message(message_id="<fixed@x.example>"), "db down")
    broken = quarantine(
        folder, 1, 2,
        b"From: =?utf-8?b?0JjQstCw0L0=?= <ivan@operator.example>\r\n"
        b"Subject: =?utf-8?b?0J3QtdGCINGB0LLRj9C30Lg=?=\r\n"
        b"Message-ID: <broken@x.example>\r\n\r\n\xff\x00body",
        "over budget: parts", "<broken@x.example>",
    )  # fmt: skip
    url = reverse("console:quarantine")
    client.force_login(reader)
    assert client.get(url).status_code == 403
    client.force_login(dispatcher)
    page = client.get(url).content.decode()
    assert "over budget: parts" in page and "&lt;broken@x.example&gt;" in page

    client.post(reverse("console:quarantine_retry", args=[fixed.pk]))
    assert EmailMessage.objects.filter(message_id="<fixed@x.example>").exists()
    assert QuarantinedEmail.objects.get(pk=fixed.pk).resolved_at is not None

    response = client.post(reverse("console:quarantine_release", args=[broken.pk]))
    email = EmailMessage.objects.get(message_id="<broken@x.example>")
    incident = email.incident
    assert response.url == reverse("console:incident", args=[incident.pk])
    assert incident.subject == "Нет связи" and incident.requester_email == "ivan@operator.example"
    assert incident.unread_since is not None and email.is_first
    assert bytes(EmailRaw.objects.get(email=email).data) == bytes(broken.raw)
    again = client.post(reverse("console:quarantine_release", args=[broken.pk]), follow=True)
    assert "больше нет в карантине" in again.content.decode()
    assert Incident.objects.filter(pk=incident.pk).count() == 1


def test_the_stored_document_is_the_searched_expression():
    from importlib import import_module

    from emails.search import fts_document

    migration = import_module("emails.migrations.0013_email_search_document")
    assert " ".join(migration.DOCUMENT.format(r="new.").split()) == " ".join(
        fts_document("new").split()
    )
