"""The tracker carries what it has fields for, against the fake: work categories with their
times and the РВР priority as issue fields, the subtype as a local field (edited in the tracker
too), incident links as issue links (made once, from one side, removed with the link), internal
comments as issue comments (posted once, edited with the text); ``setup_tracker`` creates the
new fields; an unchanged incident costs no request."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from incidents.comments import add_comment, edit_comment
from incidents.links import link_incidents, unlink_incidents
from incidents.models import IncidentChange, IncidentSubtype, IncidentType, RvrPriority
from incidents.work import set_work
from users.models import Role, User
from yandex_tracker.client import TrackerClient, format_dt
from yandex_tracker.fake import FakeTrackerServer
from yandex_tracker.pull import pull_cycle
from yandex_tracker.push import push_cycle

pytestmark = pytest.mark.django_db


def test_setup_tracker_creates_the_work_fields_and_the_subtype_field(tracker_settings):
    server = FakeTrackerServer(queue="DISP", provision_fields=False).start()
    tracker_settings.YT_API_BASE_URL = server.url
    tracker_settings.YT_OAUTH_URL = server.oauth_url
    try:
        out = StringIO()
        call_command("setup_tracker", stdout=out)
        fields = server.state.fields
        for name in ("avrStartedAt", "avrEndedAt", "eksStartedAt", "dguEndedAt"):
            assert fields[name]["kind"] == "datetime", name
        assert fields["rvrPriority"]["kind"] == "string"
        assert "subtypeOfProblem" in server.state.local_fields["DISP"]
        assert "created  field avrStartedAt «АВР: начало» (datetime)" in out.getvalue()
        assert "local field subtypeOfProblem «Подтип проблемы»" in out.getvalue()
    finally:
        server.stop()


def test_works_subtype_links_and_comments_reach_the_issue(
    client, directory, fake_tracker, make_incident
):
    author = User.objects.create_user(
        email="anna@dispatch.ru", username="anna", role=Role.DISPATCH, first_name="Анна"
    )
    kind = IncidentType.objects.first()
    subtype = IncidentSubtype.objects.create(incident_type=kind, name="Обрыв ВОЛС")
    first, second = make_incident(), make_incident()
    first.incident_type, first.subtype = kind, subtype
    first.save()
    start = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    set_work(first, "avr", started_at=start, ended_at=start + timedelta(hours=1), actor="console")
    urgent = RvrPriority.objects.create(name="Срочный", sla_minutes=120)
    set_work(first, "rvr", started_at=start, priority=urgent, actor="console")
    push_cycle(client, directory)
    first.refresh_from_db()
    second.refresh_from_db()
    issue = fake_tracker.state.issues[first.code]
    assert format_dt(issue["avrStartedAt"]) == format_dt(start)
    assert format_dt(issue["avrEndedAt"]) == format_dt(start + timedelta(hours=1))
    assert issue["rvrPriority"] == "Срочный" and "rvrEndedAt" not in issue
    assert issue[directory.subtype_field_id()] == "Обрыв ВОЛС"

    comment = add_comment(first, body="Подрядчик выехал", user=author)
    link_incidents(second, first, "subtask_of", actor="console")
    report = push_cycle(client, directory)
    assert report.extras_updated == 1 and report.failed == 0
    [note] = fake_tracker.state.comments[first.code]
    assert note["text"].startswith("💬 **Анна**") and "Подрядчик выехал" in note["text"]
    [mine] = fake_tracker.state.links[first.code]
    [theirs] = fake_tracker.state.links[second.code]
    assert (mine["type"], mine["direction"], mine["object"]) == ("subtask", "outward", second.code)
    assert (theirs["direction"], theirs["object"]) == ("inward", first.code)

    pull_cycle(client, directory)  # the cursor (the other issue saw the link: a change)
    before = len(fake_tracker.state.requests)
    assert push_cycle(client, directory).extras_updated == 0
    assert len(fake_tracker.state.requests) == before  # nothing changed: no request

    edit_comment(comment, body="Подрядчик на месте", user=author, actor="console")
    unlink_incidents(first, second, actor="console")
    push_cycle(client, directory)
    [note] = fake_tracker.state.comments[first.code]
    assert "Подрядчик на месте" in note["text"] and note["version"] == 2
    assert fake_tracker.state.links[first.code] == fake_tracker.state.links[second.code] == []
    changes = IncidentChange.objects.count()
    report = pull_cycle(client, directory)  # the unlink gave both issues a new version
    assert (report.patched, report.statuses, report.invalid, report.comments) == (0, 0, 0, 0)
    assert IncidentChange.objects.count() == changes  # our own writes change nothing here
    assert not first.links.exists() and not second.links.exists()


def test_subtype_chosen_in_the_tracker_is_taken_or_refused(
    client, directory, fake_tracker, make_incident, dispatcher
):
    kind = IncidentType.objects.first()
    IncidentSubtype.objects.create(incident_type=kind, name="Обрыв ВОЛС")
    incident = make_incident()
    incident.incident_type = kind
    incident.save()
    push_cycle(client, directory)
    pull_cycle(client, directory)
    incident.refresh_from_db()
    field_id = directory.subtype_field_id()
    dispatcher.update_issue(incident.code, {field_id: "Обрыв ВОЛС"})
    pull_cycle(client, directory)
    incident.refresh_from_db()
    assert incident.subtype.name == "Обрыв ВОЛС"
    change = IncidentChange.objects.get(incident=incident, field="subtype")
    assert change.actor == "tracker" and change.new_value.endswith("Обрыв ВОЛС")

    dispatcher.update_issue(incident.code, {field_id: "Падение опоры"})
    assert pull_cycle(client, directory).invalid == 1
    incident.refresh_from_db()
    assert incident.status.key == "error" and incident.subtype.name == "Обрыв ВОЛС"
    reason = incident.status_history.latest("created_at").comment
    assert reason.startswith("Неверно указан подтип (Падение опоры).") and "Обрыв ВОЛС" in reason


def test_a_group_parent_moved_in_the_tracker_takes_its_subtasks_along(
    client, directory, fake_tracker, make_incident, dispatcher
):
    from incidents.mass_outage import group_incidents

    parent, child = make_incident(), make_incident()
    group_incidents(parent, [child], actor="console")
    push_cycle(client, directory)
    pull_cycle(client, directory)
    parent.refresh_from_db()
    assert dispatcher.transition_to(parent.code, "inProgress")
    pull_cycle(client, directory)
    child.refresh_from_db()
    assert child.status.key == "in_progress"
    assert child.status_history.latest("created_at").comment.startswith("Вслед за")
    push_cycle(client, directory)  # the subtask's issue follows in the tracker
    assert fake_tracker.state.issues[child.code]["status"] == "inProgress"


def test_work_times_edited_in_the_tracker_come_back_validated(
    client, directory, fake_tracker, make_incident, dispatcher
):
    """A dispatcher's end of АВР, a new ДГУ and a РВР priority set in the issue are taken
    (change log: tracker) and stay as he wrote them; an end before the start or an unknown priority
    puts the issue in «Ошибка» with the reason; a removed start removes the work; while DISPATCH
    has its own change to push, the issue's older values are not read."""
    incident = make_incident()
    start = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    set_work(incident, "avr", started_at=start, actor="console")
    RvrPriority.objects.create(name="Срочный", sla_minutes=120)
    push_cycle(client, directory)
    pull_cycle(client, directory)
    incident.refresh_from_db()  # its code is the issue's key now

    end = start + timedelta(hours=2)
    dispatcher.update_issue(
        incident.code,
        {"avrEndedAt": format_dt(end), "dguStartedAt": format_dt(start + timedelta(hours=1)),
         "rvrStartedAt": format_dt(start), "rvrPriority": "Срочный"},
    )  # fmt: skip
    report = pull_cycle(client, directory)
    assert (report.processed, report.invalid) == (1, 0)
    works = {w.category: w for w in incident.works.select_related("priority")}
    assert works["avr"].ended_at == end
    assert works["dgu"].started_at == start + timedelta(hours=1)
    assert works["rvr"].priority.name == "Срочный" and works["rvr"].deadline is not None
    logged = IncidentChange.objects.filter(incident=incident, field__startswith="work_")
    assert {(c.field, c.actor) for c in logged.exclude(actor="console")} == {
        ("work_avr", "tracker"),
        ("work_dgu", "tracker"),
        ("work_rvr", "tracker"),
    }
    push_cycle(client, directory)  # writes DISPATCH's values: the dispatcher's, unchanged
    issue = fake_tracker.state.issues[incident.code]
    assert format_dt(issue["avrEndedAt"]) == format_dt(end) and issue["rvrPriority"] == "Срочный"

    dispatcher.update_issue(incident.code, {"avrEndedAt": format_dt(start - timedelta(hours=1))})
    assert pull_cycle(client, directory).invalid == 1
    incident.refresh_from_db()
    assert incident.status.key == "error"
    reason = incident.status_history.latest("created_at").comment
    assert reason.startswith("АВР: ") and "раньше" in reason, reason
    assert incident.works.get(category="avr").ended_at == end  # nothing taken

    dispatcher.update_issue(
        incident.code, {"avrEndedAt": format_dt(end), "rvrPriority": "Вчерашний"}
    )
    pull_cycle(client, directory)  # already in «Ошибка»: the reason comes as a comment
    reason = fake_tracker.state.comments[incident.code][-1]["text"]
    assert reason.startswith("Неверно указан приоритет РВР (Вчерашний).") and "Срочный" in reason

    dispatcher.update_issue(incident.code, {"rvrPriority": "Срочный", "dguStartedAt": None})
    pull_cycle(client, directory)
    assert not incident.works.filter(category="dgu").exists()
    assert IncidentChange.objects.filter(
        incident=incident, field="work_dgu", new_value="", actor="tracker"
    ).exists()

    set_work(incident, "eks", started_at=start, actor="console")  # not pushed yet
    dispatcher.update_issue(incident.code, {"avrEndedAt": format_dt(end + timedelta(hours=1))})
    pull_cycle(client, directory)
    assert incident.works.get(category="avr").ended_at == end  # DISPATCH's change goes first
    push_cycle(client, directory)
    issue = fake_tracker.state.issues[incident.code]
    assert format_dt(issue["avrEndedAt"]) == format_dt(end) and "eksStartedAt" in issue


def test_a_dispatchers_comment_in_the_tracker_becomes_an_internal_comment(
    client, directory, fake_tracker, make_incident, dispatcher
):
    """Ivanov comments in the issue: the pull adds it as his internal comment (once), the push
    neither posts it back nor rewrites it; a tracker user without a DISPATCH account is named in
    the text; DISPATCH's own comments are not taken; an issue whose comments did not move costs
    no comments request."""
    incident = make_incident()
    push_cycle(client, directory)
    pull_cycle(client, directory)
    incident.refresh_from_db()
    dispatcher.add_comment(incident.code, "Бригада выехала, будут к 15:00")
    fake_tracker.state.add_user("petrova", "Ольга Петрова")
    fake_tracker.state.add_token("petrova-token", fake_tracker.state.user_by("petrova")["uid"])
    guest = TrackerClient(access_token="petrova-token", sleep=lambda s: None)
    guest.add_comment(incident.code, "Опора доступна только с юга")

    requests = len(fake_tracker.state.requests)
    assert pull_cycle(client, directory).comments == 2
    assert _comment_reads(fake_tracker, requests) == 1
    ivanov = User.objects.get(username="ivanov")
    taken = list(incident.comments.order_by("id").values_list("author", "body"))
    assert taken == [
        (ivanov.pk, "Бригада выехала, будут к 15:00"),
        (None, "Ольга Петрова: Опора доступна только с юга"),
    ]
    texts_before = [c["text"] for c in fake_tracker.state.comments[incident.code]]
    push_cycle(client, directory)
    assert [c["text"] for c in fake_tracker.state.comments[incident.code]] == texts_before

    add_comment(incident, body="Ответ диспетчера DISPATCH", user=ivanov)
    push_cycle(client, directory)  # posted by the robot
    dispatcher.update_issue(incident.code, {"summary": "Опора 12: нет питания"})
    report = pull_cycle(client, directory)
    assert report.comments == 0 and incident.comments.count() == 3

    requests = len(fake_tracker.state.requests)
    dispatcher.update_issue(incident.code, {"summary": "Опора 12: питание восстановлено"})
    assert pull_cycle(client, directory).processed == 1
    assert _comment_reads(fake_tracker, requests) == 0


def _comment_reads(fake_tracker, since: int) -> int:
    return sum(
        1 for method, path in fake_tracker.state.requests[since:]
        if method == "GET" and path.endswith("/comments")
    )  # fmt: skip


def test_links_made_and_removed_in_the_tracker_come_back(
    client, directory, fake_tracker, make_incident, dispatcher
):
    """Ivanov makes one issue a subtask of another in the tracker: both incidents show the link
    (change log: tracker) and the push makes no second link; a second parent is refused with
    «Ошибка» and the reason; he removes the first link there: gone here, and the second one,
    valid now, is taken."""
    parent, child, other = make_incident(), make_incident(), make_incident()
    push_cycle(client, directory)
    pull_cycle(client, directory)
    for incident in (parent, child, other):
        incident.refresh_from_db()

    dispatcher.add_link(child.code, "is subtask for", parent.code)
    assert pull_cycle(client, directory).invalid == 0
    assert list(child.links.values_list("other", "kind")) == [(parent.pk, "subtask_of")]
    assert list(parent.links.values_list("other", "kind")) == [(child.pk, "parent_of")]
    assert IncidentChange.objects.filter(incident=child, field="link", actor="tracker").exists()
    posted = len(fake_tracker.state.requests)
    push_cycle(client, directory)
    assert not any(
        m == "POST" and p.endswith("/links") for m, p in fake_tracker.state.requests[posted:]
    )
    assert len(fake_tracker.state.links[parent.code]) == 1

    dispatcher.add_link(child.code, "is subtask for", other.code)  # a second parent
    assert pull_cycle(client, directory).invalid >= 1
    child.refresh_from_db()
    assert child.status.key == "error"
    reason = child.status_history.latest("created_at").comment
    assert other.code in reason, reason
    assert child.links.count() == 1

    [link] = fake_tracker.state.links[parent.code]
    dispatcher.delete_link(parent.code, str(link["id"]))
    pull_cycle(client, directory)
    assert not parent.links.exists()
    # with its first parent gone, the tracker's other link of the child is valid and taken
    assert list(child.links.values_list("other", "kind")) == [(other.pk, "subtask_of")]
    assert IncidentChange.objects.filter(
        incident=parent, field="link", new_value="", actor="tracker"
    ).exists()
