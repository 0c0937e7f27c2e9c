"""Least-loaded assignment of new incidents among dispatchers on shift."""

from __future__ import annotations

import time as time_module
from collections import Counter
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from dispatch.testing.threads import run_together
from incidents.defaults import load_defaults
from incidents.models import Incident, StatusKey
from incidents.services import NewIncident, create_incident, create_incidents, record_status
from users.models import Role, User, WorkShift

MSK = ZoneInfo("Europe/Moscow")
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=MSK)


@pytest.fixture(autouse=True)
def _setup(db, settings):
    load_defaults()
    settings.TIME_ZONE = "Europe/Moscow"
    settings.ASSIGNMENT_WINDOW_HOURS = 12


def dispatcher(name: str, **fields) -> User:
    fields.setdefault("role", Role.DISPATCH)
    return User.objects.create_user(email=f"{name}@example.ru", username=name, **fields)


def new_incident() -> Incident:
    return create_incident(incident_date=timezone.now(), subject="Авария")


@pytest.mark.django_db
def test_only_active_dispatchers_are_chosen_and_none_means_unassigned():
    dispatcher("guest1", role=Role.GUEST)
    dispatcher("admin1", role=Role.ADMIN, is_staff=True)
    dispatcher("gone1", is_active=False)
    assert new_incident().assignee is None
    ivanov = dispatcher("ivanov")
    incident = new_incident()
    assert incident.assignee == ivanov
    assert Incident.objects.get(pk=incident.pk).assignee == ivanov
    ivanov.refresh_from_db()
    assert ivanov.last_assigned_at is not None


@pytest.mark.django_db
def test_the_least_loaded_dispatcher_wins_and_ties_go_to_the_least_recently_assigned():
    a, b, c = dispatcher("aaaa"), dispatcher("bbbb"), dispatcher("cccc")
    picks = [new_incident().assignee for _ in range(6)]
    assert picks == [a, b, c, a, b, c]  # round robin through equal loads
    assert Counter(Incident.objects.values_list("assignee", flat=True)) == {
        a.pk: 2,
        b.pk: 2,
        c.pk: 2,
    }


@pytest.mark.django_db
def test_load_counts_only_open_incidents_created_within_the_window():
    busy, free = dispatcher("busy"), dispatcher("free")
    with time_machine.travel(timezone.now() - timedelta(hours=13)):
        for _ in range(3):  # outside the 12 h window
            Incident.objects.filter(pk=new_incident().pk).update(assignee=busy)
    done = new_incident()
    Incident.objects.filter(pk=done.pk).update(assignee=busy)
    record_status(done, StatusKey.IN_PROGRESS, actor="console")
    record_status(done, StatusKey.CLOSED, actor="console")  # finished: not counted
    User.objects.filter(pk=free.pk).update(last_assigned_at=timezone.now())
    busy_open = new_incident()
    assert busy_open.assignee == busy  # busy has load 0 and was never assigned
    assert new_incident().assignee == free


@pytest.mark.django_db
def test_only_dispatchers_on_shift_get_incidents():
    day, night, always = dispatcher("day1"), dispatcher("night1"), dispatcher("always1")
    WorkShift.objects.create(user=day, weekday=2, start_time=time(9), end_time=time(18))
    WorkShift.objects.create(user=night, weekday=2, start_time=time(21), end_time=time(9))
    User.objects.filter(pk=always.pk).update(last_assigned_at=timezone.now())

    with time_machine.travel(WEDNESDAY_NOON, tick=False):
        assert new_incident().assignee == day
    with time_machine.travel(datetime(2026, 11, 26, 3, 0, tzinfo=MSK), tick=False):
        assert new_incident().assignee == night  # Wednesday's night shift, Thursday 03:00
    with time_machine.travel(datetime(2026, 11, 26, 12, 0, tzinfo=MSK), tick=False):
        assert new_incident().assignee == always  # Thursday noon: only the one without shifts


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_assign_from_stale_loads():
    people = [dispatcher(f"disp{i}") for i in range(3)]
    per_thread, threads_count = 10, 3

    def worker() -> None:
        for _ in range(per_thread):
            with transaction.atomic():  # as ingestion does: more work after creation
                new_incident()
                time_module.sleep(0.03)

    _results, errors = run_together(worker, threads_count)
    assert not errors
    loads = Counter(Incident.objects.values_list("assignee", flat=True))
    assert loads == {p.pk: per_thread for p in people}  # 30 incidents, exactly 10 each
    # In the order the assignments happened, every 3 in a row went to 3 different people:
    # nobody chose from counts another worker had not committed yet.
    order = list(Incident.objects.order_by("updated_at", "id").values_list("assignee", flat=True))
    for start in range(0, len(order), 3):
        assert len(set(order[start : start + 3])) == 3, order


@pytest.mark.django_db
def test_a_batch_of_incidents_is_assigned_as_if_they_were_opened_one_by_one():
    a, b, c = dispatcher("aaaa"), dispatcher("bbbb"), dispatcher("cccc")
    for _ in range(3):  # b starts with more open incidents than a and c
        Incident.objects.filter(pk=new_incident().pk).update(assignee=b)
    one_by_one = []
    with transaction.atomic():
        one_by_one = [new_incident().assignee for _ in range(8)]
        transaction.set_rollback(True)
    batch = create_incidents(
        [NewIncident(incident_date=timezone.now(), subject=f"№{n}") for n in range(8)]
    )
    assert [incident.assignee for incident in batch] == one_by_one
    assert one_by_one.count(b) < one_by_one.count(a)  # b had more open incidents
    stored = dict(
        Incident.objects.filter(pk__in=[i.pk for i in batch]).values_list("pk", "assignee")
    )
    assert [stored[incident.pk] for incident in batch] == [user.pk for user in one_by_one]
    last = {
        user.pk: user.last_assigned_at for user in User.objects.filter(pk__in=[a.pk, b.pk, c.pk])
    }
    assert last[one_by_one[-1].pk] == max(last.values())  # the next tie goes to the right one
