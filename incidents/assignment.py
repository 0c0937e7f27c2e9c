"""Least-loaded assignment of new incidents to dispatchers on shift.

Load = the dispatcher's open incidents created within ``ASSIGNMENT_WINDOW_HOURS`` (12 h as in
the original). Among active dispatchers on shift — with Yandex Tracker on, only those whose
tracker login is one of the tracker's users (``TrackerUser``, read by the pull) — the least
loaded wins; ties go to the one
assigned least recently (never assigned first), then the lowest id. On PostgreSQL the choice is
serialised by a transaction-level advisory lock, so concurrent workers never pick from the same
stale counts; the lock is released when the caller's transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import router
from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.locks import name_key, transaction_lock
from dispatch.statements import NO_ID, CompiledQuery, Many
from dispatch.statements.update import update_rows
from incidents.models import Incident
from users.models import User, WorkShift
from users.shifts import is_on_shift

logger = logging.getLogger(__name__)

ASSIGNMENT_LOCK_KEY = name_key("incidents.assignment")


def lock_assignment() -> None:
    """Serialise assignment until the current transaction ends (PostgreSQL advisory lock)."""
    transaction_lock(ASSIGNMENT_LOCK_KEY)


def tracker_logins() -> set[str] | None:
    """Lower-cased logins of Yandex Tracker's users when the tracker is on (None when off)."""
    if not settings.YT_ENABLED:
        return None
    from yandex_tracker.selectors import known_logins  # the tracker is an optional plugin

    return known_logins()


def not_assignable_reason(user: User, logins: set[str] | None) -> str:
    """Why ``user`` gets no incidents whatever their shift ("" when they can get them): with
    the tracker on, an incident goes only to a dispatcher the tracker can show as assignee."""
    if logins is None or user.tracker_user.lower() in logins:
        return ""
    if not logins:
        return _("Yandex Tracker's users have not been read yet (pull_tracker).")
    if not user.tracker_login:
        return _("No tracker login, and the username «%(login)s» is not a Yandex Tracker user.") % {
            "login": user.username
        }
    return _("The tracker login «%(login)s» is not a Yandex Tracker user.") % {
        "login": user.tracker_login
    }


def candidates(now: datetime | None = None) -> list[User]:
    """Active dispatchers on shift (and, with the tracker on, known to it), best first, each
    with ``load`` annotated (2 queries, 3 with the tracker)."""
    now = now or timezone.now()
    since = now - timedelta(hours=settings.ASSIGNMENT_WINDOW_HOURS)
    alias = router.db_for_read(User)
    users = []
    for *values, load in _DISPATCHERS.rows(since, using=alias):
        user = User.from_db(alias, _USER_COLUMNS, values)
        user.load = load
        users.append(user)
    shifts: dict[int, list[WorkShift]] = {}
    for values in _SHIFTS.rows([user.pk for user in users], using=alias):
        shift = WorkShift.from_db(alias, _SHIFT_COLUMNS, values)
        shifts.setdefault(shift.user_id, []).append(shift)
    logins = tracker_logins()
    return [
        user
        for user in users
        if is_on_shift(shifts.get(user.pk, ()), now) and not not_assignable_reason(user, logins)
    ]


def _dispatchers(since: datetime) -> QuerySet:
    """Active dispatchers with their ``load`` (open incidents created since ``since``), best
    first; every column of the user, then the load."""
    # A correlated count per dispatcher reads only the recent open rows through ``inc_load_idx``;
    # a join would drag every dispatcher's whole incident history through a GROUP BY.
    recent_open = (
        Incident.objects.filter(assignee=OuterRef("pk"), is_finished=False, created_at__gte=since)
        .order_by()
        .values("assignee")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        User.objects.dispatchers()
        .annotate(load=Coalesce(Subquery(recent_open), 0))
        .order_by("load", F("last_assigned_at").asc(nulls_first=True), "id")
        .values_list(*_USER_COLUMNS, "load")
    )


# Compiled once a process (dispatch.statements: mail ingestion chooses dispatchers every batch,
# and compiling these cost more than running them); read as the model instances they were.
_USER_COLUMNS = [field.attname for field in User._meta.concrete_fields]
_SHIFT_COLUMNS = [field.attname for field in WorkShift._meta.concrete_fields]
_DISPATCHERS = CompiledQuery(_dispatchers, datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC))
_SHIFTS = CompiledQuery(
    lambda ids: WorkShift.objects.filter(user__in=ids).values_list(*_SHIFT_COLUMNS),
    Many(NO_ID),
)


def choose_dispatchers(count: int, now: datetime) -> list[User | None]:
    """The dispatchers ``count`` new incidents go to, in order, exactly as if each were chosen
    alone after the previous one was created and marked: every pick adds
    one to the dispatcher's load and makes them the most recently assigned (at ``now`` plus
    the pick's number in microseconds). Call under :func:`lock_assignment`; one read of the
    candidates for the whole batch."""
    users = candidates(now)
    if not users:
        return [None] * count
    rank = {
        user.pk: (user.load, user.last_assigned_at is not None, user.last_assigned_at, user.pk)
        for user in users
    }
    picks: list[User | None] = []
    for number in range(count):
        best = min(users, key=lambda user: rank[user.pk])
        best.last_assigned_at = now + timedelta(microseconds=number)
        rank[best.pk] = (rank[best.pk][0] + 1, True, best.last_assigned_at, best.pk)
        picks.append(best)
    return picks


def mark_assigned(dispatchers: Iterable[User]) -> None:
    """Store when each of ``dispatchers`` last got an incident (their ``last_assigned_at``, the
    tie-breaker), in one UPDATE."""
    moments = {user.pk: user.last_assigned_at for user in dispatchers if user is not None}
    update_rows(User, ["last_assigned_at"], list(moments.items()))
