"""The embedded demo shows a dispatcher's day, all of it through the ingest worker and the
console's services: dispatchers on shift get the incidents, types are set, one reply is unread,
a closed incident got a late reply and one automatic answer, one message is quarantined."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from emails.models import EmailLocation, EmailMessage, QuarantinedEmail
from emails.outbox.models import OutboundEmail
from incidents.models import Incident, StatusKey
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_install(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.MAIL_SOURCE = "maildir"
    settings.MAILDIR_PATH = tmp_path / "maildir"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_defaults")
    call_command("import_towerstore", demo=True)
    return tmp_path


def test_demo_day_through_the_pipeline(fresh_install, capsys):
    call_command("demo_day")
    assert "demo day: 2 dispatchers, 3 afternoon messages" in capsys.readouterr().out
    dispatchers = set(User.objects.dispatchers())
    assert len(dispatchers) == 2
    incidents = list(Incident.objects.select_related("status", "assignee", "incident_type"))
    assert len(incidents) == 4
    assert {i.assignee for i in incidents} == dispatchers
    assert all(i.incident_type is not None for i in incidents)
    assert sorted(i.status.key for i in incidents) == sorted(
        [StatusKey.NEW, StatusKey.IN_PROGRESS, StatusKey.IN_PROGRESS, StatusKey.CLOSED]
    )
    # Every e-mail was read from the Maildir by the worker (none written straight in).
    assert EmailMessage.objects.count() == 9  # 7 in the morning, 2 in the afternoon
    assert EmailLocation.objects.values("email").distinct().count() == 9

    unread = [i for i in incidents if i.unread_since is not None]
    mts = Incident.objects.get(emails__message_id="<noc-4711@mts.example>")
    new = Incident.objects.get(status__key=StatusKey.NEW)
    closed = Incident.objects.get(status__key=StatusKey.CLOSED)
    # The reply in work, the late reply on the closed one, the one nobody has taken yet.
    assert {i.pk for i in unread} == {mts.pk, closed.pk, new.pk}

    assert closed.emails.filter(message_id="<AM0PR01MB78@tele2.example>").exists()
    [answer] = OutboundEmail.objects.filter(kind=OutboundEmail.Kind.CLOSED_AUTO_REPLY)
    assert answer.incident == closed and answer.to == ["sidorov@tele2.example"]

    [quarantined] = QuarantinedEmail.objects.all()
    assert "nested more than 32 levels" in quarantined.error

    call_command("demo_day")  # not a fresh install any more: nothing happens twice
    assert "nothing done" in capsys.readouterr().out
    assert Incident.objects.count() == 4 and OutboundEmail.objects.count() == 1
