"""The tracker follows moves, merges and the unread state (against the fake tracker, mail from
Dovecot through ingestion): a moved e-mail's comment leaves the old issue for the new one, a
merge links the issues as duplicates and closes the merged one, an undo reverses both, and
«Новое сообщение» is lowered when the dispatcher opens the incident in the console."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from emails.ingest import ingest_folder
from emails.models import EmailMessage
from emails.tests.conftest import build_message
from incidents.models import Incident, IncidentMove, StatusKey
from incidents.moves import merge_incidents, move_emails, undo_move
from incidents.services import record_status
from users.models import Role, User
from yandex_tracker.push import push_cycle

pytestmark = pytest.mark.django_db(transaction=True)


def texts(fake_tracker, key: str) -> list[str]:
    return [c["text"] for c in fake_tracker.state.comments[key]]


@pytest.fixture
def two_issues(dovecot, imap_source, defaults, client, directory):
    """DISP-1: a request and a reply (a comment); DISP-2: a request."""
    dovecot.append("INBOX", [build_message("Нет питания", "Авария", message_id="<t1@op.example>")])
    ingest_folder(imap_source, "INBOX")
    dovecot.append(
        "INBOX",
        [build_message("Re: Нет питания", "Это про другую опору", message_id="<t2@op.example>",
                       in_reply_to="<t1@op.example>"),
         build_message("Авария на БС", "БС не работает", message_id="<u1@op.example>")],
    )  # fmt: skip
    push_cycle(client, directory)  # the first issue
    ingest_folder(imap_source, "INBOX")
    push_cycle(client, directory)
    first = Incident.objects.get(emails__message_id="<t1@op.example>")
    second = Incident.objects.get(emails__message_id="<u1@op.example>")
    assert (first.code, second.code) == ("DISP-1", "DISP-2")
    return first, second


def test_moved_email_comment_follows_it_and_back(two_issues, fake_tracker, client, directory):
    """The comment and the issues' «Local emails IDs» on both sides, both ways."""
    _first, second = two_issues
    t1, t2, u1 = (EmailMessage.objects.get(message_id=f"<{n}@op.example>").pk
                  for n in ("t1", "t2", "u1"))  # fmt: skip

    def email_ids(key: str) -> str:
        return fake_tracker.state.issues[key][directory.ids.emails_ids]

    assert any("Это про другую опору" in t for t in texts(fake_tracker, "DISP-1"))
    assert email_ids("DISP-1") == f"{t1}, {t2}"
    move = move_emails(EmailMessage.objects.get(pk=t2), second, actor="console")
    report = push_cycle(client, directory)
    assert report.comments_moved == 1 and report.comments_posted == 1, report.errors
    assert not any("Это про другую опору" in t for t in texts(fake_tracker, "DISP-1"))
    assert any("Это про другую опору" in t for t in texts(fake_tracker, "DISP-2"))
    assert (email_ids("DISP-1"), email_ids("DISP-2")) == (f"{t1}", f"{t2}, {u1}")

    undo_move(move, actor="console")
    push_cycle(client, directory)
    assert any("Это про другую опору" in t for t in texts(fake_tracker, "DISP-1"))
    assert not any("Это про другую опору" in t for t in texts(fake_tracker, "DISP-2"))
    assert (email_ids("DISP-1"), email_ids("DISP-2")) == (f"{t1}, {t2}", f"{u1}")
    assert push_cycle(client, directory).comments_moved == 0  # settled


def read_in_console(incident: Incident) -> Client:
    """A dispatcher opens the incident in the console (nobody is assigned: it reads it)."""
    person, _ = User.objects.get_or_create(email="anna@dispatch.example",
                                           defaults={"role": Role.DISPATCH})  # fmt: skip
    browser = Client()
    browser.force_login(person)
    assert browser.get(reverse("console:incident", args=[incident.pk])).status_code == 200
    return browser


def test_moved_email_raises_new_message_on_the_target_issue(
    two_issues, fake_tracker, client, directory
):
    """The e-mail moved in is new mail there: «Новое сообщение» goes up and stays up."""
    first, second = two_issues
    flag = directory.ids.new_message
    browser = read_in_console(second)
    push_cycle(client, directory)
    assert fake_tracker.state.issues["DISP-2"][flag] == "✖️ Нет"

    email = EmailMessage.objects.get(message_id="<t2@op.example>")
    url = reverse("console:move_email", args=[first.pk, email.pk])
    assert browser.post(url, {"target": second.code}).status_code == 302
    report = push_cycle(client, directory)
    assert report.failed == 0, report.errors
    assert fake_tracker.state.issues["DISP-2"][flag] == "✔️ Да"
    assert push_cycle(client, directory).unread_synced == 0  # settled, not lowered again
    assert fake_tracker.state.issues["DISP-2"][flag] == "✔️ Да"


def test_merge_links_duplicates_closes_and_unmerge_unlinks(
    two_issues, fake_tracker, client, directory
):
    first, second = two_issues
    record_status(second, StatusKey.IN_PROGRESS, actor="console")  # «Новый» cannot close
    push_cycle(client, directory)
    move = merge_incidents(second, first, actor="console")
    report = push_cycle(client, directory)
    assert report.failed == 0, report.errors
    [link] = fake_tracker.state.links["DISP-2"]
    assert (link["object"], link["type"]) == ("DISP-1", "duplicates")
    assert fake_tracker.state.issues["DISP-2"]["status"] == "closed"
    assert "Объединён с DISP-1." in texts(fake_tracker, "DISP-2")  # the closing's comment
    assert any("БС не работает" in t for t in texts(fake_tracker, "DISP-1"))  # its mail moved

    undo_move(move, actor="console")
    report = push_cycle(client, directory)
    assert report.failed == 0, report.errors
    assert fake_tracker.state.links["DISP-2"] == [] == fake_tracker.state.links["DISP-1"]
    assert fake_tracker.state.issues["DISP-2"]["status"] == "inProgress"  # reopened
    assert not any("БС не работает" in t for t in texts(fake_tracker, "DISP-1"))
    assert IncidentMove.objects.get().undone_at is not None


def test_new_message_flag_is_lowered_when_the_dispatcher_opens_the_incident(
    dovecot,
    imap_source,
    defaults,
    client,
    directory,
    fake_tracker,
):
    dovecot.append("INBOX", [build_message("Нет питания", "Авария", message_id="<r1@op.example>")])
    ingest_folder(imap_source, "INBOX")
    push_cycle(client, directory)
    incident = Incident.objects.get()
    flag = directory.ids.new_message
    assert fake_tracker.state.issues[incident.code][flag] == "✔️ Да"

    person = User.objects.create_user(email="anna@dispatch.example", password="x-Secret-1",
                                      role=Role.DISPATCH)  # fmt: skip
    browser = Client()
    browser.force_login(person)  # nobody is assigned: any dispatcher reads it
    assert browser.get(reverse("console:incident", args=[incident.pk])).status_code == 200
    assert push_cycle(client, directory).unread_synced == 1
    assert fake_tracker.state.issues[incident.code][flag] == "✖️ Нет"
    assert push_cycle(client, directory).unread_synced == 0

    dovecot.append(
        "INBOX",
        [build_message(f"RE: {incident.code}: Нет питания", "Всё ещё нет",
                       message_id="<r2@op.example>", in_reply_to="<r1@op.example>")],
    )  # fmt: skip
    ingest_folder(imap_source, "INBOX")
    push_cycle(client, directory)
    assert fake_tracker.state.issues[incident.code][flag] == "✔️ Да"
    assert push_cycle(client, directory).unread_synced == 0


def test_merging_a_new_incident_closes_its_issue_and_undo_reopens_it(
    two_issues, fake_tracker, client, directory
):
    """«Открыт» has no transition to «Закрыт»: the issue goes the workflow's way (through
    «В работе»); the undo reopens it («В работе»: nothing leads back to «Новый»)."""
    first, second = two_issues
    assert fake_tracker.state.issues["DISP-2"]["status"] == "open"
    browser = read_in_console(second)
    merge = reverse("console:merge", args=[second.pk])
    assert browser.post(merge, {"target": first.code}).status_code == 302
    report = push_cycle(client, directory)
    assert report.failed == 0 and report.statuses_moved == 1, report.errors
    assert fake_tracker.state.issues["DISP-2"]["status"] == "closed"
    assert "Объединён с DISP-1." in texts(fake_tracker, "DISP-2")  # the closing's comment
    [link] = fake_tracker.state.links["DISP-2"]
    assert (link["object"], link["type"]) == ("DISP-1", "duplicates")

    move = IncidentMove.objects.get()
    assert browser.post(reverse("console:undo_move", args=[second.pk, move.pk])).status_code == 302
    second.refresh_from_db()
    assert second.status.key == StatusKey.IN_PROGRESS and not second.is_finished
    report = push_cycle(client, directory)
    assert report.failed == 0, report.errors
    assert fake_tracker.state.issues["DISP-2"]["status"] == "inProgress"
    assert fake_tracker.state.links["DISP-2"] == []
