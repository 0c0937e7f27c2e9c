"""The demo Maildir (the embedded default) ingests into the expected incidents, once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from dispatch.testing.threads import run_together
from emails.ingest import ingest_folder
from emails.models import EmailMessage
from emails.sources.maildir import MaildirSource
from incidents.models import Incident
from ts.services import import_towerstore

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_maildir(tmp_path: Path) -> Path:
    target = tmp_path / "maildir"
    shutil.copytree(DEMO / "maildir", target)
    return target


def test_demo_mailbox_becomes_incidents_with_poles(demo_maildir, statuses, capsys):
    import_towerstore(DEMO / "towerstore")
    call_command("ingest_mail", "--source", f"maildir:{demo_maildir}", "--once")
    assert "INBOX: fetched=7 stored=7 incidents=4" in capsys.readouterr().out
    incidents = {i.subject: i for i in Incident.objects.select_related("pole", "base_station")}
    assert set(incidents) == {
        "Нет связи на БС-77-12345",
        "Авария на опоре 02-00123: упала антенна",
        "Новая заявка с сайта",
        "Отключение питания 78-03310",
    }
    mts = incidents["Нет связи на БС-77-12345"]
    assert mts.base_station.name == "БС-77-12345" and mts.pole.code == "77-12345"
    assert incidents["Авария на опоре 02-00123: упала антенна"].pole.code == "02-00123"
    assert incidents["Новая заявка с сайта"].requester_email == "engineer@megafon.example"
    assert incidents["Новая заявка с сайта"].pole.code == "50-00871"
    thread = EmailMessage.objects.filter(incident=mts).values_list("message_id", flat=True)
    assert set(thread) == {
        "<noc-4711@mts.example>", "<dispatch-answer-1@localhost>",
        "<noc-4712@mts.example>", "<ooo-55@mts.example>",
    }  # fmt: skip
    kinds = dict(EmailMessage.objects.values_list("message_id", "auto_kind"))
    assert kinds["<ooo-55@mts.example>"] == "auto_reply"
    assert kinds["<bounce-1@mx.localhost>"] == "bounce"
    assert EmailMessage.objects.count() == 9


def test_second_pass_over_unchanged_maildir_stores_nothing(demo_maildir, statuses):
    source = MaildirSource(demo_maildir)
    first = ingest_folder(source, "INBOX")
    files_before = sorted(p.name for p in demo_maildir.rglob("*") if p.is_file())
    again = ingest_folder(source, "INBOX")
    assert first.result.stored == 7
    assert again.fetched == 0 and again.result.stored == 0
    assert sorted(p.name for p in demo_maildir.rglob("*") if p.is_file()) == files_before


def test_embedded_default_starts_from_the_demo_mailbox(tmp_path, settings, statuses):
    settings.MAILDIR_PATH = tmp_path / "data" / "maildir"
    call_command("ingest_mail", "--source", "maildir", "--once")
    assert (settings.MAILDIR_PATH / "cur").is_dir()
    assert EmailMessage.objects.count() == 9
    assert Incident.objects.count() == 4


def test_two_workers_creating_the_default_maildir_at_once(tmp_path):
    target = tmp_path / "maildir"
    results, errors = run_together(
        lambda: MaildirSource(target).create_from(DEMO / "maildir"), 2, timeout=30
    )
    assert not errors
    assert sorted(results) == [False, True]
    assert len(list((target / "cur").iterdir())) == 7
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".maildir-")]


def test_reply_naming_a_pole_fills_an_incident_without_one(statuses):
    from emails.parsing import parse_email
    from emails.services import Incoming, get_folder, store_messages
    from emails.tests.conftest import build_message

    import_towerstore(DEMO / "towerstore")
    folder = get_folder("t", "INBOX")
    first = build_message("Нет света на площадке", "Адрес уточню.", message_id="<p1@x.example>")
    reply = build_message(
        "RE: Нет света на площадке",
        "Это опора 02-00123.\n\n-----Исходное сообщение-----\nОпора 77-12345",
        message_id="<p2@x.example>",
        in_reply_to="<p1@x.example>",
    )
    store_messages(folder, 1, [Incoming(1, first, parse_email(first))])
    incident = Incident.objects.get()
    assert incident.pole is None
    store_messages(folder, 1, [Incoming(2, reply, parse_email(reply))])
    incident.refresh_from_db()
    assert incident.pole.code == "02-00123"  # the quoted history is not searched
    change = incident.changes.get(field="pole")
    assert (change.actor, change.old_value, change.new_value) == ("email", "", "02-00123")
