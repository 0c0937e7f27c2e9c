"""Push: incidents become issues and later e-mails comments, exactly once, against the fake."""

from __future__ import annotations

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from emails.models import EmailMessage
from incidents.models import Incident, IncidentType
from incidents.services import mark_unread
from yandex_tracker.models import TrackerComment, TrackerIssue
from yandex_tracker.push import claim_incidents, issue_unique, push_cycle

pytestmark = pytest.mark.django_db


def test_new_incident_becomes_an_issue_whose_key_is_the_incident_code(
    client, directory, fake_tracker, make_incident
):
    incident = make_incident()
    incident.incident_type = IncidentType.objects.first()
    incident.save()
    mark_unread([incident.pk])  # as ingestion does: «Новое сообщение» follows it
    report = push_cycle(client, directory)
    assert report.issues_created == 1 and report.failed == 0 and report.unread_synced == 0
    incident.refresh_from_db()
    issue = fake_tracker.state.issues[incident.code]
    assert incident.code == "DISP-1" and incident.tracker_issue.key == "DISP-1"
    assert issue["localId"] == incident.pk
    assert issue["summary"] == "Авария на опоре"
    assert "Нет питания на БС" in issue["description"]
    assert issue["emailFrom"] == "noc@operator.ru"
    assert issue["emailTo"] == "desk@dispatch.ru" and issue["emailCc"] == "boss@operator.ru"
    assert issue["type"] == "incident" and issue["newMessage"] == "✔️ Да"
    assert issue["slaStatus"] in {"🟦 В работе", "🟨 Осталось менее часа"}
    assert issue["deadlineSla"] > issue["emailDatetime"]
    type_field = directory.type_field_id()
    assert issue[type_field] == incident.incident_type.name
    assert issue["unique"] == issue_unique(incident)
    first = incident.emails.get()
    assert first.tracker_state == EmailMessage.TrackerState.PUSHED


def test_push_is_idempotent_and_costs_about_one_request_per_incident(
    client, directory, fake_tracker, make_incident
):
    for _ in range(10):
        make_incident()
    push_cycle(client, directory)
    assert len(fake_tracker.state.issues) == 10
    creates = fake_tracker.state.request_count("POST", "/issues/")
    assert creates == 10
    assert client.request_count <= 12  # + local fields once (+ users when assigning)
    again = push_cycle(client, directory)
    assert str(again) == (
        "issues=0 recovered=0 comments=0 statuses=0 sla=0 moved=0 unread=0 failed=0"
    )
    assert len(fake_tracker.state.issues) == 10


def test_crash_between_create_and_save_recovers_the_same_issue(
    client, directory, fake_tracker, make_incident
):
    incident = make_incident()
    [claim] = claim_incidents(10)
    # the worker created the issue, then died before recording it
    client.create_issue({"queue": "DISP", "summary": "x"}, unique=issue_unique(incident))
    TrackerIssue.objects.filter(pk=claim.pk).update(claimed_at=claim.claimed_at.replace(year=2000))
    report = push_cycle(client, directory)
    assert report.issues_recovered == 1
    assert len(fake_tracker.state.issues) == 1
    incident.refresh_from_db()
    assert incident.code == "DISP-1"


def test_time_zone_change_between_a_lost_create_and_its_retry_recovers_the_issue(
    client, directory, fake_tracker, make_incident, settings
):
    settings.TIME_ZONE = "Europe/Moscow"
    incident = make_incident()
    [claim] = claim_incidents(10)
    # the issue was created with this unique, then the worker died before recording it
    client.create_issue({"queue": "DISP", "summary": "x"}, unique=issue_unique(incident))
    TrackerIssue.objects.filter(pk=claim.pk).update(claimed_at=claim.claimed_at.replace(year=2000))
    settings.TIME_ZONE = "Asia/Vladivostok"  # the installation moved before the retry
    report = push_cycle(client, directory)
    assert (report.issues_created, report.issues_recovered) == (0, 1)
    assert len(fake_tracker.state.issues) == 1


def test_a_fresh_claim_is_not_taken_by_a_second_worker(client, directory, make_incident):
    make_incident()
    assert len(claim_incidents(10)) == 1
    assert claim_incidents(10) == []


def test_later_emails_become_comments_once(
    client, directory, fake_tracker, make_incident, add_reply
):
    incident = make_incident()
    push_cycle(client, directory)
    reply = add_reply(incident)
    report = push_cycle(client, directory)
    assert report.comments_posted == 1
    [comment] = fake_tracker.state.comments["DISP-1"]
    assert comment["text"].startswith('### 📧 "**RE: Авария на опоре**"')
    assert "| **От** | noc@operator.ru |" in comment["text"]
    assert reply.message_id in comment["text"]
    assert "```text\nПитание восстановлено\n```" in comment["text"]
    reply.refresh_from_db()
    assert reply.tracker_state == EmailMessage.TrackerState.PUSHED
    first = incident.emails.get(is_first=True)
    assert fake_tracker.state.issues["DISP-1"]["localEmailsIds"] == f"{first.pk}, {reply.pk}"
    assert reply.tracker_comment_id == str(comment["id"])
    push_cycle(client, directory)
    assert len(fake_tracker.state.comments["DISP-1"]) == 1


def test_a_flagged_email_is_posted_with_the_warning(
    client, directory, fake_tracker, make_incident, add_reply
):
    incident = make_incident()
    push_cycle(client, directory)
    reply = add_reply(incident, body="Пишите мне на этот адрес.")
    EmailMessage.objects.filter(pk=reply.pk).update(review=EmailMessage.Review.OUTSIDER)
    push_cycle(client, directory)
    [comment] = fake_tracker.state.comments["DISP-1"]
    assert (
        "> ⚠ **Проверьте письмо:** Привязано по коду инцидента в теме, но отправитель не "
        "участвует в переписке по инциденту" in comment["text"]
    )


def test_comment_posted_before_a_crash_is_not_posted_again(
    client, directory, fake_tracker, make_incident, add_reply
):
    incident = make_incident()
    push_cycle(client, directory)
    reply = add_reply(incident)
    # the comment went out, the reply was lost (504), and the worker died before recording
    fake_tracker.state.inject(504, method="POST", path="/comments", after=True)
    report = push_cycle(client, directory)
    assert report.failed == 1
    claim = TrackerComment.objects.get(email=reply)
    assert claim.claimed_at is None and claim.next_attempt_at > timezone.now()
    TrackerComment.objects.filter(pk=claim.pk).update(next_attempt_at=timezone.now())
    push_cycle(client, directory)
    assert len(fake_tracker.state.comments["DISP-1"]) == 1
    assert TrackerComment.objects.get(email=reply).posted_at is not None


def test_rate_limit_stops_the_cycle_and_nothing_is_lost(
    client, directory, fake_tracker, make_incident
):
    for _ in range(3):
        make_incident()
    fake_tracker.state.inject(429, count=50, method="POST", path="/issues")
    report = push_cycle(client, directory)
    assert report.failed == 1 and report.issues_created == 0
    # every claim is given back with a back-off; the next cycle does not hammer the tracker
    assert not TrackerIssue.objects.filter(claimed_at__isnull=False).exists()
    assert not TrackerIssue.objects.filter(next_attempt_at__lte=timezone.now()).exists()
    assert TrackerIssue.objects.filter(attempts=1).count() == 1  # only one was tried
    posts = fake_tracker.state.request_count("POST", "/issues")
    push_cycle(client, directory)
    assert fake_tracker.state.request_count("POST", "/issues") == posts
    fake_tracker.state.faults.clear()
    TrackerIssue.objects.update(next_attempt_at=timezone.now())  # the back-off is over
    push_cycle(client, directory)
    assert len(fake_tracker.state.issues) == 3
    assert Incident.objects.filter(code__isnull=True).count() == 0


def test_push_worker_idles_without_tracker_settings(settings, db, caplog):
    settings.YT_ENABLED = False
    call_command("push_tracker", "--once")
    assert "not configured" in caplog.text


def test_attachments_of_the_first_email_are_uploaded_with_the_issue(
    client, directory, fake_tracker, make_incident, add_reply
):
    import hashlib

    from django.core.files.base import ContentFile

    from emails.models import EmailAttachment

    incident = make_incident()
    first = incident.emails.get()
    content = b"%PDF-1.4 act"
    attachment = EmailAttachment(
        email=first,
        filename="акт.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    attachment.file.save("act.pdf", ContentFile(content), save=True)
    EmailAttachment.objects.create(
        email=first, filename="huge.iso", content_type="application/octet-stream",
        size=10**10, sha256="0" * 64, rejected_reason="too large",
    )  # fmt: skip
    push_cycle(client, directory)
    issue = fake_tracker.state.issues["DISP-1"]
    [uploaded] = issue["attachments"]
    stored = fake_tracker.state.attachments[uploaded]
    assert (stored["name"], stored["content"]) == ("акт.pdf", content)

    reply = add_reply(incident)
    photo = EmailAttachment(
        email=reply, filename="фото.jpg", content_type="image/jpeg", size=4,
        sha256=hashlib.sha256(b"JPEG").hexdigest(),
    )  # fmt: skip
    photo.file.save("photo.jpg", ContentFile(b"JPEG"), save=True)
    push_cycle(client, directory)
    [comment] = fake_tracker.state.comments["DISP-1"]
    [on_comment] = comment["attachments"]
    assert fake_tracker.state.attachments[on_comment]["name"] == "фото.jpg"


def test_push_queries_do_not_grow_per_incident_beyond_a_constant(
    client, directory, make_incident, django_assert_max_num_queries
):
    for _ in range(20):
        make_incident()
    directory.type_field_id()
    # per incident: claim insert, record (issue, code, first e-mail); loading is batched; the
    # cycle's constant includes one query each for moved e-mails and «Новое сообщение»
    with django_assert_max_num_queries(20 * 10 + 22):
        push_cycle(client, directory)


def test_sla_state_changed_by_the_sweep_is_written_to_the_issue_once(
    client, directory, fake_tracker, make_incident
):
    from datetime import timedelta

    from django.utils import timezone

    from incidents.sla_sweep import sweep_sla

    incident = make_incident()
    incident.incident_type = IncidentType.objects.order_by("sla_minutes").first()
    incident.save()
    sweep_sla()
    push_cycle(client, directory)
    assert fake_tracker.state.issues["DISP-1"]["slaStatus"] in {
        "🟦 В работе",
        "🟨 Осталось менее часа",
    }
    later = timezone.now() + timedelta(minutes=incident.incident_type.sla_minutes + 60)
    with time_machine.travel(later, tick=True):
        sweep_sla()
        incident.refresh_from_db()
        assert incident.sla_state == "expired"
        report = push_cycle(client, directory)
        assert report.sla_updated == 1
        assert fake_tracker.state.issues["DISP-1"]["slaStatus"] == "🟥 Просрочен"
        assert push_cycle(client, directory).sla_updated == 0


def test_finished_incidents_are_not_pushed(client, directory, fake_tracker, make_incident):
    from incidents.services import record_status

    closed = make_incident()
    record_status(closed, "closed", actor="console")
    push_cycle(client, directory)
    assert fake_tracker.state.issues == {}


def test_a_status_the_tracker_cannot_reach_stays_not_synced_with_the_reason(
    client, directory, fake_tracker, make_incident
):
    """No transition path in the queue's workflow: the status is not recorded as synced, the
    issue shows why (admin «last error», the back-off), and a later push moves it once the
    tracker allows it."""
    from datetime import timedelta

    from incidents.models import StatusKey
    from incidents.services import record_status

    incident = make_incident()
    push_cycle(client, directory)
    issue = TrackerIssue.objects.get(incident=incident)
    assert issue.synced_status == "open"
    allowed = fake_tracker.state.workflow["open"]
    fake_tracker.state.workflow["open"] = []  # the queue's workflow lost the way
    record_status(incident, StatusKey.IN_PROGRESS, actor="console")
    report = push_cycle(client, directory)
    assert report.statuses_moved == 0 and report.failed == 1
    assert "no transition from «open» to «inProgress»" in report.errors[0]
    issue.refresh_from_db()
    assert issue.synced_status == "open"
    assert issue.last_error.startswith("TrackerNoTransition: DISP-1: the queue's workflow")
    assert issue.next_attempt_at > timezone.now()
    assert fake_tracker.state.issues["DISP-1"]["status"] == "open"
    fake_tracker.state.workflow["open"] = allowed
    with time_machine.travel(issue.next_attempt_at + timedelta(seconds=1), tick=True):
        assert push_cycle(client, directory).statuses_moved == 1
    issue.refresh_from_db()
    assert (issue.synced_status, issue.last_error) == ("inProgress", "")
    assert fake_tracker.state.issues["DISP-1"]["status"] == "inProgress"
