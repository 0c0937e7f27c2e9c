"""``{% id_url %}`` builds the same URLs as ``{% url %}`` (also under a script prefix), and the
page's per-row forms carry each e-mail's own id."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse, set_script_prefix
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from console.templatetags.timeline import id_url
from console.timeline import TimelineEntry
from console.timeline_html import _linebreaksbr, render_entries
from emails.models import EmailMessage
from emails.outbox.models import OutboundEmail


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("console:incident", (7,)),
        ("console:email_eml", (123456,)),
        ("console:move_email", (12, 345)),
        ("console:unlink", (1, 2)),
        ("console:comment_edit", (99, 1)),
    ],
)
@pytest.mark.parametrize("prefix", ["/", "/dispatch/"])
def test_id_url_is_reverse(name, args, prefix):
    set_script_prefix(prefix)
    try:
        assert id_url(name, *args) == reverse(name, args=args)
    finally:
        set_script_prefix("/")


@pytest.mark.django_db
def test_each_email_has_its_own_move_form(client, dispatcher, incident):
    first = incident.emails.get()
    second = EmailMessage.objects.create(
        message_id="<second@x>",
        from_address="noc@operator.example",
        sent_at=first.sent_at,
        body_text="Второе",
        incident=incident,
    )
    client.force_login(dispatcher)
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    for email in (first, second):
        action = reverse("console:move_email", args=[incident.pk, email.pk])
        assert f'id="move-{email.pk}"' in page and f'action="{action}"' in page
        assert reverse("console:email_eml", args=[email.pk]) in page
    assert "9100000000000000017" not in page


def test_the_timeline_follows_the_active_language_and_time_zone_at_once():
    """The entries' labels and choices' names are translated once per language, the time zone
    is the page's: switching either shows in the very next render."""
    moment = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)
    sent = OutboundEmail(pk=5, kind="accepted", state="sent", to=["noc@x"], cc=[], dropped=[],
                         subject="<b>", body_text="a\nb", last_error="")  # fmt: skip
    odd = OutboundEmail(pk=6, kind="<no such kind>", state="queued", to=["noc@x"], cc=[],
                        dropped=[], subject="", body_text="", last_error="")  # fmt: skip
    entries = [TimelineEntry(at=moment, outbound=sent), TimelineEntry(at=moment, outbound=odd)]

    def render(language: str, zone: str) -> str:
        with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
            return render_entries(entries, url=id_url, per_email=None)

    english = render("en", "UTC")
    assert "Accepted → requester" in english and "&lt;no such kind&gt;" in english
    assert "04.12.2026 01:30" in english and 'datetime="2026-12-04T01:30:00+00:00"' in english
    russian = render("ru", "Asia/Vladivostok")
    assert "Принято → заявителю" in russian and "Accepted" not in russian
    assert "04.12.2026 11:30" in russian and "&lt;b&gt;" in russian
    assert render("en", "UTC") == english


@pytest.mark.parametrize(
    "text", ['a\r\nb\r<c> & "q" \'s\n\n', "x\r\r\ny<z>", "", "<b>ok</b>", mark_safe("<i>\r\n</i>")]
)
def test_bodies_break_lines_as_the_linebreaksbr_filter(text):
    assert _linebreaksbr(text) == linebreaksbr(text)
    assert isinstance(_linebreaksbr(text), SafeString)
