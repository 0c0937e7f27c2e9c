"""``{% id_url %}`` builds the same URLs as ``{% url %}`` (also under a script prefix), and the
page's per-row forms carry each e-mail's own id."""

from __future__ import annotations

import pytest
from django.urls import reverse, set_script_prefix

from console.templatetags.timeline import id_url
from emails.models import EmailMessage


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
