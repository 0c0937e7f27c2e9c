"""The sender ignore list: admins edit it; mail from a listed sender is stored and linked but never
opens an incident nor gets an automatic reply; ingestion reads it once a batch."""

from __future__ import annotations

import json
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from emails.ignore import IgnoreList
from emails.loops import classify
from emails.models import EmailMessage, IgnoredSender
from emails.outbox.models import OutboundEmail
from emails.parsing import parse_email
from emails.tests.conftest import MAILBOX_PASSWORD, MAILBOX_USER, build_message
from incidents.models import Incident, StatusKey
from incidents.workflow import change_status
from users.models import User

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@tower.example", "Admin-Ignore-Parol-2026"


@pytest.fixture
def admin_client(client, db):
    admin = User.objects.create_superuser(email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
    client.force_login(admin)
    return client


def add_rule(client, pattern: str, kind: str, reason: str = ""):
    data = {"pattern": pattern, "kind": kind, "reason": reason, "is_active": "on"}
    return client.post(reverse("admin:emails_ignoredsender_add"), data)


def verdict(sender: str, ignore: IgnoreList, body: str = "Прошу проверить.") -> str:
    raw = build_message(sender=sender, body=body)
    return classify(parse_email(raw), ignore=ignore).auto_kind


@pytest.mark.django_db
def test_the_defaults_that_were_regexes_in_loops_are_data():
    defaults = set(IgnoredSender.objects.values_list("kind", "pattern"))
    assert {("glob", "mailer-daemon@*"), ("glob", "postmaster@*")} <= defaults
    ignore = IgnoreList.load()
    assert verdict("MAILER-DAEMON@mx.example", ignore) == "ignored"
    assert verdict("Postmaster@operator.example", ignore) == "ignored"
    assert verdict("engineer@operator.example", ignore) == ""
    assert verdict("mailer-daemon@mx.example", IgnoreList()) == ""  # nothing hard-coded left


def test_admin_adds_rules_and_is_told_in_russian_what_is_wrong(admin_client):
    assert add_rule(admin_client, " Robot@Spam.Example ", "address").status_code == 302
    assert add_rule(admin_client, "*@noise.example", "glob", "Рассылка").status_code == 302
    assert add_rule(admin_client, r"^alerts?\+.*@", "regex").status_code == 302
    assert IgnoredSender.objects.get(kind="address").pattern == "robot@spam.example"
    for pattern, kind, message in [
        ("([", "regex", "Неверное регулярное выражение"),
        ("robot", "address", "Это не адрес электронной почты"),
        ("*.example", "glob", "Шаблон должен содержать @"),
    ]:
        refused = add_rule(admin_client, pattern, kind)
        assert refused.status_code == 200
        assert message in refused.content.decode(), pattern
    ignore = IgnoreList.load()
    assert verdict("robot@spam.example", ignore) == "ignored"
    assert verdict("news@noise.example", ignore) == "ignored"
    assert verdict("alert+42@monitoring.example", ignore) == "ignored"
    assert verdict("robot@spam.example.org", ignore) == ""  # a glob/address covers it all
    IgnoredSender.objects.filter(kind="address").update(is_active=False)
    assert verdict("robot@spam.example", IgnoreList.load()) == ""


def test_an_admins_backtracking_regex_cannot_stall_ingestion_on_a_hostile_sender(admin_client):
    assert add_rule(admin_client, "^(a+)+$", "regex").status_code == 302
    hostile = "a" * 300 + "!@x.example"
    started = time.monotonic()
    assert verdict(hostile, IgnoreList.load()) == ""
    assert time.monotonic() - started < 1  # Python's re takes longer than the universe here


@pytest.mark.django_db(transaction=True)
def test_ignored_senders_mail_is_stored_but_opens_no_incident_and_gets_no_reply(
    admin_client, dovecot, statuses, settings
):
    settings.PARSING_EMAIL_SERVER, settings.PARSING_EMAIL_PORT = "127.0.0.1", dovecot.port
    settings.PARSING_EMAIL_LOGIN, settings.PARSING_EMAIL_PSWD = MAILBOX_USER, MAILBOX_PASSWORD
    settings.PARSING_EMAIL_SSL, settings.MAIL_SOURCE = False, "imap"
    assert add_rule(admin_client, "*@spam.example", "glob", "Спам-робот").status_code == 302
    assert add_rule(admin_client, "bot@site.example", "address").status_code == 302
    form = json.dumps({"Описание": "Нет связи", "E-mail для обратной связи": "bot@site.example"})
    dovecot.append("INBOX", [
        build_message("Нет связи на опоре 02-00123", message_id="<human@op.example>",
                      sender="noc@operator.example"),
        build_message("Реклама", message_id="<ad@spam.example>", sender="promo@spam.example"),
        build_message("Заявка с сайта", form, message_id="<form@site.example>",
                      sender="forms@site.example"),
        build_message("RE: Нет связи на опоре 02-00123", "Купите!", sender="promo@spam.example",
                      message_id="<ad-reply@spam.example>", in_reply_to="<human@op.example>",
                      references=["<human@op.example>"]),
    ])  # fmt: skip
    call_command("ingest_mail", "--role", "inbox", "--once")
    kinds = dict(EmailMessage.objects.values_list("message_id", "auto_kind"))
    assert kinds == {
        "<human@op.example>": "", "<ad@spam.example>": "ignored",
        "<form@site.example>": "ignored", "<ad-reply@spam.example>": "ignored",
    }  # fmt: skip
    incident = Incident.objects.get()  # only the person's mail opened one
    reply = EmailMessage.objects.get(message_id="<ad-reply@spam.example>")
    assert reply.incident == incident  # the ignored reply is kept in its thread
    change_status(incident, StatusKey.IN_PROGRESS, actor="console")
    change_status(incident, StatusKey.NOTIFY_OPERATOR, actor="console")
    assert OutboundEmail.objects.get().to == ["noc@operator.example"]


@pytest.mark.django_db
def test_ingestion_reads_the_list_once_a_batch(statuses, tmp_path):
    IgnoredSender.objects.create(kind="glob", pattern="*@spam.example")
    for sub in ("cur", "new", "tmp"):
        (tmp_path / sub).mkdir()
    for n in range(12):
        sender = "promo@spam.example" if n % 2 else f"noc{n}@operator.example"
        raw = build_message(f"Авария №{n}", message_id=f"<m{n}@op.example>", sender=sender)
        (tmp_path / "new" / f"{n}.M{n}.host").write_bytes(raw)
    with CaptureQueriesContext(connection) as queries:
        source = f"maildir:{tmp_path}"
        call_command("ingest_mail", "--source", source, "--folder", "INBOX", "--batch-size", "6")
    reads = [q["sql"] for q in queries if "emails_ignoredsender" in q["sql"]]
    assert len(reads) == 2  # two batches of six
    assert EmailMessage.objects.filter(auto_kind="ignored").count() == 6
    assert Incident.objects.count() == 6
