"""The outbox in the admin is a record of what was (or will be) sent: its change page saves
without a 500 and changes nothing an admin cannot see as editable."""

from __future__ import annotations

import re

import pytest

from emails.outbox.tests.test_send_outbox import queue

pytestmark = pytest.mark.django_db


def test_saving_the_change_page_as_shown_keeps_the_record(admin_client):
    message = queue(dropped=["extra@operator.example"])[0]
    url = f"/admin/outbox/outboundemail/{message.pk}/change/"
    page = admin_client.get(url).content.decode()
    fields = set(re.findall(r'<(?:input|textarea|select)[^>]* name="([^"]+)"', page))
    assert fields <= {"csrfmiddlewaretoken", "_save", "_continue", "_addanother"}, fields

    # what the browser posts when the admin clears the field and saves
    response = admin_client.post(url, {"dropped": "", "attachments": ["1"], "_save": "Сохранить"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.dropped == ["extra@operator.example"]
