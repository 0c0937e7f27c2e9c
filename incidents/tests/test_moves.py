"""Moving e-mails and merging incidents: what moves, both change logs, undo, replies following
a moved e-mail, and two concurrent moves/merges on PostgreSQL."""

from __future__ import annotations

import pytest

from dispatch.api.testing import make_user
from dispatch.testing.threads import run_together
from emails.models import EmailMessage, MailFolder
from emails.parsing import parse_email
from emails.services import Incoming, get_folder, store_messages
from emails.tests.conftest import build_message
from incidents.comments import add_comment
from incidents.defaults import load_defaults
from incidents.links import link_incidents
from incidents.models import (
    Incident,
    IncidentChange,
    IncidentComment,
    IncidentLink,
    IncidentMove,
    StatusKey,
)
from incidents.moves import MoveError, merge_incidents, move_emails, thread_from, undo_move
from incidents.services import record_status
from users.models import User

CONSOLE = "console"


def store(folder: MailFolder, *raws: bytes, uid: int = 1) -> None:
    items = [Incoming(uid + n, raw, parse_email(raw)) for n, raw in enumerate(raws)]
    store_messages(folder, 1, items)


def email(message_id: str) -> EmailMessage:
    return EmailMessage.objects.get(message_id=message_id)


def log(incident: Incident) -> list[tuple[str, str, str, int | None]]:
    rows = IncidentChange.objects.filter(incident=incident, field__in=["emails_moved", "merge"])
    return [(c.field, c.old_value, c.new_value, c.move_id) for c in rows.order_by("id")]


@pytest.fixture
def inbox(db, settings) -> MailFolder:
    load_defaults()
    settings.YT_ENABLED = False
    settings.INCIDENT_CODE_PREFIX = "DSP"
    settings.INCIDENT_CODE_PATTERN = r"\bDSP-\d+\b"
    return get_folder("test", "INBOX")


@pytest.fixture
def dispatcher(inbox) -> User:
    return make_user()


@pytest.fixture
def two_threads(inbox) -> tuple[Incident, Incident]:
    """Incident A: a request, a reply to it, a second reply to that reply and an unrelated
    message with A's code in the subject; incident B: one request."""
    store(inbox, build_message("Нет питания", message_id="<a1@op.example>"))
    a = Incident.objects.get()
    store(
        inbox,
        build_message("Re: Нет питания", "Сетевой кабель", message_id="<a2@op.example>",
                      in_reply_to="<a1@op.example>"),
        build_message("Re: Re: Нет питания", "И ещё", message_id="<a3@op.example>",
                      in_reply_to="<a2@op.example>",
                      references=["<a1@op.example>", "<a2@op.example>"]),
        build_message(f"{a.code}: другое", "Про другое", message_id="<a4@op.example>"),
        uid=10,
    )  # fmt: skip
    store(inbox, build_message("Авария на БС", message_id="<b1@op.example>"), uid=20)
    b = Incident.objects.exclude(pk=a.pk).get()
    assert a.emails.count() == 4 and b.emails.count() == 1
    return a, b


@pytest.mark.django_db
def test_thread_from_takes_the_email_and_the_later_replies_to_it(two_threads):
    picked = thread_from(email("<a2@op.example>"))
    assert [e.message_id for e in picked] == ["<a2@op.example>", "<a3@op.example>"]


@pytest.mark.django_db
def test_move_one_email_is_logged_on_both_sides_and_undone(two_threads, dispatcher):
    a, b = two_threads
    move = move_emails(email("<a4@op.example>"), b, actor=CONSOLE, user=dispatcher)
    assert email("<a4@op.example>").incident == b
    assert a.emails.count() == 3 and b.emails.count() == 2
    what = f"1 письмо: «{a.code}: другое»"
    assert log(a) == [("emails_moved", what, f"перенесено в {b.code}", move.pk)]
    assert log(b) == [("emails_moved", f"из {a.code}", what, move.pk)]
    entry = IncidentChange.objects.filter(incident=b).latest("id")
    assert entry.user == dispatcher and entry.actor == CONSOLE

    undo_move(move, actor=CONSOLE, user=dispatcher)
    assert email("<a4@op.example>").incident == a
    move.refresh_from_db()
    assert move.undone_at is not None and move.undone_by == dispatcher
    assert log(a)[-1][2] == f"отменено: 1 письмо снова в {a.code}" == log(b)[-1][2]
    with pytest.raises(MoveError, match="уже отменено"):
        undo_move(move, actor=CONSOLE, user=dispatcher)


@pytest.mark.django_db
def test_move_with_replies_to_a_new_incident_and_replies_follow(two_threads, inbox, dispatcher):
    a, _b = two_threads
    move = move_emails(email("<a2@op.example>"), None, with_replies=True, actor=CONSOLE,
                       user=dispatcher)  # fmt: skip
    new = move.target
    assert move.new_target and new.subject == "Re: Нет питания"
    assert new.requester_email == "engineer@operator.example"
    assert set(new.emails.values_list("message_id", flat=True)) == {
        "<a2@op.example>",
        "<a3@op.example>",
    }
    # a later reply to a moved e-mail follows it to its new incident
    reply = build_message("Re: Нет питания", "Ответ", message_id="<a5@op.example>",
                          in_reply_to="<a3@op.example>")  # fmt: skip
    store(inbox, reply, uid=30)
    assert email("<a5@op.example>").incident == new
    # undoing brings back what was moved; the emptied new incident is closed
    undo_move(move, actor=CONSOLE, user=dispatcher)
    assert email("<a2@op.example>").incident == a == email("<a3@op.example>").incident
    assert email("<a5@op.example>").incident == new  # came later: not part of the move
    new.refresh_from_db()
    assert not new.is_finished  # it still has a message
    assert IncidentMove.objects.get().undone_at is not None


@pytest.mark.django_db
def test_moves_that_make_no_sense_are_refused(two_threads, dispatcher):
    a, b = two_threads
    with pytest.raises(MoveError, match="уже в этом инциденте"):
        move_emails(email("<a1@op.example>"), a, actor=CONSOLE)
    merge_incidents(b, a, actor=CONSOLE, user=dispatcher)
    with pytest.raises(MoveError, match=f"объединён с {a.code}"):
        move_emails(email("<a1@op.example>"), b, actor=CONSOLE)
    with pytest.raises(MoveError, match="самим собой"):
        merge_incidents(a, a, actor=CONSOLE)


@pytest.mark.django_db
def test_merge_moves_everything_links_closes_and_unmerge_restores(two_threads, dispatcher):
    a, b = two_threads
    record_status(b, StatusKey.IN_PROGRESS, actor=CONSOLE, user=dispatcher)
    third = Incident.objects.create(
        incident_date=a.incident_date, status=a.status, code="DSP-99", subject="Соседняя опора"
    )
    link_incidents(b, third, "relates", actor=CONSOLE, user=dispatcher)
    link_incidents(b, a, "relates", actor=CONSOLE, user=dispatcher)
    note = add_comment(b, body="Позвонил оператор", user=dispatcher)

    move = merge_incidents(b, a, actor=CONSOLE, user=dispatcher)
    b.refresh_from_db()
    assert b.status.key == StatusKey.CLOSED and b.is_finished
    assert b.emails.count() == 0 and a.emails.count() == 5
    assert IncidentComment.objects.get(pk=note.pk).incident == a
    assert set(IncidentLink.objects.filter(incident=a).values_list("other_id", "kind")) == {
        (b.pk, "duplicated_by"),
        (third.pk, "relates"),
    }
    assert IncidentLink.objects.get(incident=third).other == a
    what = "1 письмо: «Авария на БС»"
    assert log(b) == [("merge", "", f"объединён с {a.code}; {what}", move.pk)]
    assert log(a) == [("merge", "", f"{b.code} объединён с этим; {what}", move.pk)]
    assert b.status_history.latest("created_at").comment == f"Объединён с {a.code}."

    undo_move(move, actor=CONSOLE, user=dispatcher)
    b.refresh_from_db()
    assert b.status.key == StatusKey.IN_PROGRESS and not b.is_finished
    assert list(b.emails.values_list("message_id", flat=True)) == ["<b1@op.example>"]
    assert IncidentComment.objects.get(pk=note.pk).incident == b
    assert set(IncidentLink.objects.filter(incident=b).values_list("other_id", "kind")) == {
        (a.pk, "relates"),
        (third.pk, "relates"),
    }
    assert IncidentLink.objects.get(incident=third).other == b
    assert log(a)[-1][2] == f"отменено: 1 письмо снова в {b.code}"


@pytest.mark.django_db
def test_mail_with_a_merged_incidents_code_goes_to_the_target(two_threads, inbox, dispatcher):
    a, b = two_threads
    merge_incidents(b, a, actor=CONSOLE, user=dispatcher)
    store(inbox, build_message(f"{b.code}: ещё", "Опять", message_id="<late@op.example>"), uid=40)
    assert email("<late@op.example>").incident == a


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_crossing_merges_at_once_one_wins_no_deadlock(two_threads):
    """A into B and B into A at the same moment: both lock in id order, so one waits for the
    other, then finds its incident merged and is refused — never a deadlock."""
    a, b = two_threads
    pairs = iter([(a, b), (b, a)])

    def merge() -> IncidentMove:
        source, target = next(pairs)
        return merge_incidents(source, target, actor=CONSOLE)

    results, errors = run_together(merge, 2)
    assert len(results) == 1 and len(errors) == 1, errors
    assert isinstance(errors[0], MoveError)
    assert IncidentMove.objects.filter(undone_at__isnull=True).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_moves_of_one_email_at_once_move_it_once(two_threads, inbox):
    a, b = two_threads
    store(inbox, build_message("Третья", message_id="<c1@op.example>"), uid=50)
    c = Incident.objects.exclude(pk__in=[a.pk, b.pk]).get()
    targets = iter([b, c])

    def move() -> IncidentMove:
        return move_emails(email("<a4@op.example>"), next(targets), actor=CONSOLE)

    results, errors = run_together(move, 2)
    assert len(results) == 1 and len(errors) == 1, errors
    assert isinstance(errors[0], MoveError)
    assert email("<a4@op.example>").incident == results[0].target
    assert IncidentMove.objects.count() == 1
