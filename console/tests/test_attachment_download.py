"""Attachments are served through a view to logged-in staff only, always as a download."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from emails.models import EmailAttachment

pytestmark = pytest.mark.django_db


@pytest.fixture
def attachment(incident, settings, tmp_path) -> EmailAttachment:
    settings.MEDIA_ROOT = str(tmp_path)
    email = incident.emails.get()
    item = EmailAttachment(
        email=email,
        filename="акт <script>.html",
        content_type="text/html",
        size=26,
        sha256="0" * 64,
    )
    item.file.save("act.html", ContentFile(b"<script>alert(1)</script>"), save=False)
    item.save()
    return item


def test_staff_downloads_the_file_as_an_attachment(client, reader, attachment):
    client.force_login(reader)
    response = client.get(reverse("console:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]


def test_anonymous_and_guests_get_no_file(client, guest, attachment):
    url = reverse("console:attachment", args=[attachment.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users:login"))
    client.force_login(guest)
    assert client.get(url)["Location"] == reverse("users:awaiting_approval")


def test_media_is_not_published(client, attachment):
    assert client.get("/media/" + attachment.file.name).status_code == 404


def test_attachment_without_stored_file_is_404(client, reader, incident):
    client.force_login(reader)
    rejected = EmailAttachment.objects.create(
        email=incident.emails.get(),
        filename="huge.iso",
        content_type="application/octet-stream",
        size=10**10,
        sha256="1" * 64,
        rejected_reason="too large",
    )
    assert client.get(reverse("console:attachment", args=[rejected.pk])).status_code == 404
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    assert "huge.iso" in page
    assert reverse("console:attachment", args=[rejected.pk]) not in page
