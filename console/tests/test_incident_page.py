"""The incident page: thread, history, reference data; e-mail text never rendered as HTML."""

from __future__ import annotations

import pytest
from django.urls import reverse

from emails.models import EmailAttachment, EmailMessage
from incidents.models import StatusKey
from incidents.services import record_status
from incidents.tests.factories import make_request, make_site

pytestmark = pytest.mark.django_db


def test_page_shows_thread_history_and_site(client, dispatcher):
    pole, station = make_site("77-012345", contractor_emails=("avr@contractor.example",))
    incident = make_request(
        body='<img src=x onerror="alert(1)"> <b>жирный</b>', pole=pole, base_station=station
    )
    record_status(incident, StatusKey.IN_PROGRESS, actor="console", comment="Принято")
    client.force_login(dispatcher)
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &lt;b&gt;жирный&lt;/b&gt;" in page
    assert "<img src=x" not in page
    assert "noc@operator.example" in page
    assert "77-012345" in page and station.name in page
    assert "avr@contractor.example" in page
    assert "МТС" in page and "Билайн" in page
    assert "Принято" in page
    assert '<span class="status status-in_progress" id="current-status">В работе</span>' in page


def test_page_query_count_does_not_grow_with_emails(
    client, dispatcher, django_assert_max_num_queries
):
    incident = make_request()
    first = incident.emails.get()
    EmailAttachment.objects.create(  # attachments are read once some e-mail has one
        email=first, filename="f.txt", content_type="text/plain", size=1, sha256="0" * 64
    )
    client.force_login(dispatcher)
    url = reverse("console:incident", args=[incident.pk])
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for n in range(10):
        email = EmailMessage.objects.create(
            message_id=f"<r{n}@x>",
            from_address="noc@operator.example",
            sent_at=first.sent_at,
            body_text=f"Ответ {n}",
            incident=incident,
        )
        EmailAttachment.objects.create(
            email=email, filename=f"f{n}.txt", content_type="text/plain", size=1, sha256="0" * 64
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "Ответ 9" in page and "f9.txt" in page


def test_unknown_incident_is_404(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get(reverse("console:incident", args=[999999])).status_code == 404
