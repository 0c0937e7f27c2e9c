"""The one write path for incident fields: validation, SLA refresh, change log — per writer."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dispatch.api.testing import client_for
from incidents.models import (
    Incident,
    IncidentChange,
    IncidentMove,
    IncidentType,
    SlaState,
    StatusKey,
)
from incidents.services import (
    IncidentEditError,
    create_incident,
    log_many_changes,
    record_status,
    update_incident,
)
from incidents.tests.factories import make_site
from users.models import Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(notification_setup):
    return create_incident(incident_date=timezone.now() - timedelta(minutes=5), subject="Авария")


@pytest.fixture
def kind(notification_setup) -> IncidentType:
    return IncidentType.objects.order_by("sla_minutes").first()


def _log(incident) -> list[tuple[str, str, str, str]]:
    rows = IncidentChange.objects.filter(incident=incident).order_by("id")
    return [(c.field, c.old_value, c.new_value, c.actor) for c in rows]


def test_a_change_is_written_recorded_and_refreshes_the_sla(incident, kind):
    pole, station = make_site("77-012345")
    assert incident.sla_state == SlaState.UNKNOWN
    changed = update_incident(
        incident,
        changes={"incident_type": kind, "base_station": station},
        actor="console",
    )
    assert sorted(changed) == ["base_station", "incident_type", "pole"]  # the station's pole too
    incident.refresh_from_db()
    assert (incident.pole, incident.base_station, incident.incident_type) == (pole, station, kind)
    assert incident.sla_deadline is not None and incident.sla_state != SlaState.UNKNOWN
    assert sorted(_log(incident)) == sorted(
        [
            ("incident_type", "", str(kind), "console"),
            ("pole", "", str(pole), "console"),
            ("base_station", "", str(station), "console"),
        ]
    )
    assert update_incident(incident, changes={"incident_type": kind}, actor="console") == []
    assert len(_log(incident)) == 3  # nothing changed, nothing recorded


def test_invalid_changes_write_nothing(incident):
    _pole, station = make_site("77-012345")
    other_pole, _ = make_site("78-000001")
    guest = User.objects.create_user("guest", "g@example.ru", "x", role=Role.GUEST)
    with pytest.raises(IncidentEditError, match="не принадлежит"):
        update_incident(
            incident, changes={"pole": other_pole, "base_station": station}, actor="api"
        )
    with pytest.raises(IncidentEditError):
        update_incident(incident, changes={"assignee": guest}, actor="api")
    with pytest.raises(IncidentEditError):
        update_incident(incident, changes={"status": None}, actor="api")
    incident.refresh_from_db()
    assert incident.pole is None and incident.assignee is None
    assert _log(incident) == []


def test_fill_only_keeps_what_is_already_set(incident):
    pole, _ = make_site("77-012345")
    other, _ = make_site("78-000001")
    update_incident(incident, changes={"pole": pole}, actor="console")
    assert update_incident(incident, changes={"pole": other}, actor="email", fill_only=True) == []
    incident.refresh_from_db()
    assert incident.pole == pole


def test_every_status_change_refreshes_the_sla(incident, kind):
    update_incident(incident, changes={"incident_type": kind}, actor="console")
    record_status(incident, StatusKey.IN_PROGRESS, actor="tracker")
    record_status(incident, StatusKey.CLOSED, actor="tracker")
    incident.refresh_from_db()
    assert incident.sla_state == SlaState.CLOSED_ON_TIME


# -- every writer goes through the service ------------------------------------------------------


def test_console_edit_is_recorded_with_the_dispatcher(client, incident, kind, dispatcher_user):
    client.force_login(dispatcher_user)
    response = client.post(
        reverse("console:edit", args=[incident.pk]),
        {"incident_type": kind.pk, "pole": "", "base_station": "", "assignee": dispatcher_user.pk},
    )
    assert response.status_code == 302
    change = IncidentChange.objects.get(incident=incident, field="incident_type")
    assert (change.actor, change.user, change.new_value) == ("console", dispatcher_user, kind.name)
    incident.refresh_from_db()
    assert incident.sla_deadline is not None
    page = client.get(response["Location"]).content.decode()
    log = page.split('id="changes"', 1)[1].split("</section>", 1)[0]
    assert "Журнал изменений" in log and kind.name in log and "Анна" in log


def test_the_change_log_costs_the_page_the_same_queries_however_long(
    client, incident, kind, dispatcher_user, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(dispatcher_user)
    url = reverse("console:incident", args=[incident.pk])
    update_incident(incident, changes={"subject": "Авария 0"}, actor="console")  # a log to read
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(1, 60):
        update_incident(incident, changes={"subject": f"Авария {n}"}, actor="console")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) == len(few)  # a page of the log is one query, and no COUNT
    log = page.split('id="changes"', 1)[1].split("</section>", 1)[0]
    assert log.count('<li class="change') == 50 and "Авария 59" in log
    assert "?changes=2#changes" in log  # the older changes are one click away
    older = client.get(url, {"changes": "2"}).content.decode()
    log = older.split('id="changes"', 1)[1].split("</section>", 1)[0]
    assert log.count('<li class="change') == 10 and "Авария 0" in log and "Авария 59" not in log


def test_admin_edit_is_recorded_and_checked(admin_client, incident, kind):
    pole, station = make_site("77-012345")
    other_pole, _ = make_site("78-000001")
    url = reverse("admin:incidents_incident_change", args=[incident.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    form = {
        "subject": "Авария",
        "requester_email": "",
        "incident_type": kind.pk,
        "assignee": "",
        "pole": other_pole.pk,
        "base_station": station.pk,
    }
    prefixes = re.findall(r'name="([\w-]+)-TOTAL_FORMS"', page.content.decode())
    assert {"status_history", "changes", "emails"} <= set(prefixes)
    for prefix in prefixes:  # every inline of the page, whatever inlines the admin grows
        form.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    refused = admin_client.post(url, form)
    assert refused.status_code == 200  # shown again with the reason
    assert "не принадлежит" in refused.content.decode()
    form["pole"] = pole.pk
    saved = admin_client.post(url, form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    incident.refresh_from_db()
    assert incident.base_station == station and incident.sla_deadline is not None
    actors = {c.actor for c in IncidentChange.objects.filter(incident=incident)}
    assert actors == {"admin"}


def test_api_status_change_refreshes_the_sla(incident, kind, dispatcher_user):
    update_incident(incident, changes={"incident_type": kind}, actor="console")
    api = client_for(dispatcher_user)
    url = reverse("api:incident-change-status", args=[incident.pk])
    for key in (StatusKey.IN_PROGRESS, StatusKey.CLOSED):
        response = api.post(url, {"status": key}, format="json")
        assert response.status_code == 200, response.content
    incident.refresh_from_db()
    assert incident.sla_state == SlaState.CLOSED_ON_TIME


@pytest.fixture
def dispatcher_user(db) -> User:
    return User.objects.create_user(
        "disp", "disp@example.ru", "pw-123456789", role=Role.DISPATCH, first_name="Анна"
    )


# -- row locks lock one row -------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_status_changes_of_two_incidents_in_one_status_do_not_wait_on_each_other(
    notification_setup,
):
    """The lock is the incident's row, not the «Новый» status row every new incident shares."""
    from django.db import connection, transaction

    from incidents import workflow

    first, second = (create_incident(incident_date=timezone.now()) for _ in range(2))
    holding, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def hold_first() -> None:
        try:
            with transaction.atomic():
                workflow.change_status(first, StatusKey.IN_PROGRESS, actor="console")
                holding.set()
                release.wait(timeout=20)
        finally:
            connections.close_all()

    def change_second() -> None:
        try:
            holding.wait(timeout=20)
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '3s'")
                workflow.change_status(second, StatusKey.IN_PROGRESS, actor="console")
            outcome["second"] = "done"
        except Exception as exc:  # a lock timeout: it waited on the first one's lock
            outcome["second"] = exc
        finally:
            release.set()
            connections.close_all()

    threads = [threading.Thread(target=hold_first), threading.Thread(target=change_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcome["second"] == "done"
    keys = set(
        Incident.objects.filter(pk__in=[first.pk, second.pk]).values_list("status__key", flat=True)
    )
    assert keys == {StatusKey.IN_PROGRESS}


def test_subtype_must_belong_to_the_type_and_a_new_type_drops_it(incident, kind):
    from incidents.models import IncidentSubtype

    other_kind = IncidentType.objects.exclude(pk=kind.pk).first()
    cable = IncidentSubtype.objects.create(incident_type=kind, name="Обрыв кабеля")
    with pytest.raises(IncidentEditError, match="не подтип"):
        update_incident(incident, changes={"subtype": cable}, actor="api")
    update_incident(incident, changes={"incident_type": kind, "subtype": cable}, actor="api")
    incident.refresh_from_db()
    assert incident.subtype == cable
    assert ("subtype", "", f"{kind.name} — Обрыв кабеля", "api") in _log(incident)
    update_incident(incident, changes={"incident_type": other_kind}, actor="console")
    incident.refresh_from_db()
    assert incident.subtype is None  # the old type's subtype went with it
    assert ("subtype", f"{kind.name} — Обрыв кабеля", "", "console") in _log(incident)


def test_console_sets_the_subtype(client, incident, kind, dispatcher_user):
    from incidents.models import IncidentSubtype

    cable = IncidentSubtype.objects.create(incident_type=kind, name="Обрыв кабеля")
    client.force_login(dispatcher_user)
    url = reverse("console:incident", args=[incident.pk])
    assert f"{kind.name} — Обрыв кабеля" in client.get(url).content.decode()  # offered
    response = client.post(
        reverse("console:edit", args=[incident.pk]),
        {"incident_type": kind.pk, "subtype": cable.pk, "pole": "", "base_station": ""},
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert '<dd id="subtype">Обрыв кабеля</dd>' in page


def test_the_change_log_rows_are_what_the_orm_writes(incident, dispatcher_user):
    """``log_many_changes`` writes without model instances (``insert_rows``): every column as
    ``bulk_create`` wrote it — the person, the move, the moment, any text."""
    other = create_incident(incident_date=timezone.now(), subject="Другая")
    move = IncidentMove.objects.create(
        kind=IncidentMove.Kind.MOVE, source=incident, target=other, actor="console"
    )
    at = timezone.now() - timedelta(minutes=3)
    entries = [("pole", "", "77-0001"), ("subject", 'It\'s "odd" %s $1\n', "Ёлка")]
    orm = IncidentChange.objects.bulk_create(
        IncidentChange(
            incident=other, field=field, old_value=old, new_value=new, actor="console",
            user=dispatcher_user, created_at=at, move=move,
        )
        for field, old, new in entries
    )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        log_many_changes(
            [(incident.pk, entries[:1]), (incident.pk, entries[1:])],
            actor="console", user=dispatcher_user, at=at, move=move,
        )  # fmt: skip
    assert len(queries) == 1

    def rows(of) -> list[dict]:
        found = IncidentChange.objects.filter(incident=of).order_by("id")
        return [{**model_to_dict(row), "id": None, "incident": None} for row in found]

    assert rows(incident) == rows(other) and len(orm) == 2
    log_many_changes([(other.pk, [("pole", "", "x")])], actor="email")
    assert IncidentChange.objects.filter(incident=other).last().user_id is None
