"""One timeline: our replies and templated e-mails appear in «Переписка» with their text, between
the incoming mail, marked as ours and with their delivery state; a copy read back from the Sent
folder is the same entry, not a second one."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from dispatch.testing.smtp import smtp_sink  # noqa: F401
from emails.models import EmailMessage
from incidents.models import StatusKey
from incidents.tests.factories import make_site

pytestmark = pytest.mark.django_db


def _entries(page: str) -> list[str]:
    """The timeline's entries in page order: ``email-…`` / ``outbound-…`` header ids."""
    thread = page[page.index('id="thread"') :]
    return re.findall(r'<header id="((?:email|outbound)-\d+)-head">', thread)


def _page(client, incident) -> str:
    return client.get(reverse("console:incident", args=[incident.pk])).content.decode()


def test_sent_mail_shows_in_the_thread_with_text_and_delivery(
    client,
    dispatcher,
    incident,
    smtp_sink,  # noqa: F811
    tmp_path: Path,
):
    pole, _ = make_site("77-012345", contractor_emails=("avr@contractor.example",))
    incident.pole = pole
    incident.save()
    client.force_login(dispatcher)
    status_url = reverse("console:status", args=[incident.pk])
    client.post(status_url, {"to": StatusKey.IN_PROGRESS})
    client.post(status_url, {"to": StatusKey.NOTIFY_CONTRACTOR})
    client.post(
        reverse("console:reply", args=[incident.pk]), {"body": "Бригада выехала, ждите звонка."}
    )
    page = _page(client, incident)
    first = incident.emails.get()
    card, reply = incident.outbound_emails.order_by("id")
    assert _entries(page) == [f"email-{first.pk}", f"outbound-{card.pk}", f"outbound-{reply.pk}"]
    assert "Бригада выехала, ждите звонка." in page  # the text, not only a row
    assert "77-012345" in page.split(f'id="outbound-{card.pk}"')[1]  # the card's text
    assert page.count('<span class="delivery delivery-queued">в очереди</span>') == 2
    assert page.count('<span class="tag tag-ours">наше</span>') == 2
    assert 'id="outbox"' not in page  # no separate table any more

    incident.refresh_from_db()
    before = incident.updated_at
    call_command("send_outbox", "--once")
    sent = smtp_sink.wait_for(2)
    incident.refresh_from_db()
    assert incident.updated_at > before  # the live stream tells open pages of the delivery
    page = _page(client, incident)
    assert page.count('<span class="delivery delivery-sent">отправлено</span>') == 2

    # The mailbox's Sent folder gives our reply back, then the requester answers it.
    sent_folder = tmp_path / "maildir" / ".Sent"
    for sub in ("cur", "new", "tmp"):
        (sent_folder / sub).mkdir(parents=True)
    (sent_folder / "new" / "1795500001.M1P1.test").write_bytes(sent[1].as_bytes())
    call_command(
        "ingest_mail", "--once", "--source", f"maildir:{tmp_path / 'maildir'}", "--folder", "Sent"
    )
    copy = EmailMessage.objects.get(message_id=reply.message_id)
    assert copy.incident_id == incident.pk
    answer = EmailMessage.objects.create(
        message_id="<answer@operator.example>",
        from_address="noc@operator.example",
        sent_at=copy.sent_at + timedelta(minutes=1),
        body_text="Спасибо, ждём.",
        incident=incident,
    )
    page = _page(client, incident)
    assert _entries(page) == [
        f"email-{first.pk}",
        f"outbound-{card.pk}",
        f"email-{copy.pk}",  # one entry for the reply: the stored copy …
        f"email-{answer.pk}",
    ]
    ours = page.split(f'id="email-{copy.pk}-head"')[1].split("</article>")[0]
    assert '<span class="delivery delivery-sent">отправлено</span>' in ours  # … with its state
    assert "наше" in ours


def test_every_value_of_the_timeline_is_escaped(client, dispatcher, incident):
    """The entries are built in Python (``console.timeline_html``): a sender's name, addresses,
    subjects, attachment names, our mail's text, recipients and delivery error stay text."""
    from emails.models import EmailAttachment, EmailRecipient
    from emails.outbox.models import OutboundEmail

    evil = '<img src=x onerror="alert(1)">'
    email = incident.emails.get()
    email.from_name, email.subject, email.body_text = evil, evil, f"{evil}\nвторая строка"
    email.save()
    EmailRecipient.objects.create(email=email, kind="cc", address=f"a{evil}@x.example")
    EmailAttachment.objects.create(
        email=email, filename=f"{evil}.txt", content_type="text/plain", size=1, sha256="0" * 64
    )
    OutboundEmail.objects.create(
        incident=incident,
        kind=OutboundEmail.Kind.REPLY,
        message_id="<evil@dispatch>",
        dedupe_key="evil",
        to=[f"b{evil}@x.example"],
        cc=[f"c{evil}@x.example"],
        subject=evil,
        body_text=evil,
        state=OutboundEmail.State.FAILED,
        last_error=evil,
    )
    client.force_login(dispatcher)
    thread = _page(client, incident).split('id="thread"', 1)[1].split("</section>", 1)[0]
    assert "<img" not in thread
    escaped = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
    assert thread.count(escaped) >= 9, thread
    assert f"{escaped}<br>вторая строка" in thread
