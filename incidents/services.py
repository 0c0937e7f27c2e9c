"""Incident writes: creation, field edits and status changes — the one place they happen.

Every writer (console, API, admin, tracker pull, mail ingestion) changes an incident's fields
through :func:`update_incident` and its status through :func:`record_status` (the workflow's
``change_status`` adds the transition rules on top). Both lock the incident's row alone, refresh
the stored SLA and record what changed: field edits in ``IncidentChange``, statuses in
``IncidentStatusHistory``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dispatch.statements import NO_ID, CompiledQuery, Many
from dispatch.statements.insert import insert_rows
from dispatch.statements.update import update_rows
from incidents.assignment import choose_dispatchers, lock_assignment, logger, mark_assigned
from incidents.models import (
    Incident,
    IncidentChange,
    IncidentSource,
    IncidentStatusHistory,
    IncidentType,
    StatusKey,
)
from incidents.new_rows import ID, INCIDENT_FIELDS, insert_incident_rows
from incidents.selectors import get_status, get_status_id
from incidents.sla import SlaResult, compute_sla
from users.permissions import can_work_incidents

Actor = IncidentStatusHistory.Actor


# The control characters (Unicode category Cc) that are not whitespace.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def one_line(text: str) -> str:
    """One line of text: line breaks and other whitespace become one space, NUL etc. are dropped
    (one regular expression: a loop over the characters cost ~0.3 µs each)."""
    return " ".join(_CONTROL.sub("", text or "").split())


@dataclass
class NewIncident:
    """What opening one incident needs (see :func:`create_incidents`)."""

    incident_date: datetime
    subject: str = ""
    requester_email: str = ""
    source: str = IncidentSource.EMAIL
    actor: str = Actor.EMAIL
    user: Any = None
    pole: Any = None
    base_station: Any = None
    code: str | None = None
    description: str = ""


def create_incident(**fields: Any) -> Incident:
    """Create one incident (the fields of :class:`NewIncident`); see :func:`create_incidents`."""
    return create_incidents([NewIncident(**fields)])[0]


def create_incidents(new: list[NewIncident]) -> list[Incident]:
    """Create incidents in status «Новый», each with exactly one history row, assigned in order
    to the least-loaded dispatchers on shift (``incidents.assignment``) — a fixed number of
    queries however many there are (mail ingestion opens a batch's incidents together).

    With the built-in tracker an incident's code is ``<INCIDENT_CODE_PREFIX>-<id>``; with Yandex
    Tracker the code is the issue key, set when the issue is created.

    Inside a caller's transaction no savepoint is taken (a failure fails that transaction); the
    dispatchers are chosen before the insert, so each row is written once with its assignee.
    """
    rows, dispatchers = _create(new)
    incidents = []
    for item, row, dispatcher in zip(new, rows, dispatchers, strict=True):
        incident = Incident(**dict(zip(_ATTNAMES, row, strict=True)))
        incident.assignee, incident.pole, incident.base_station = (
            dispatcher,
            item.pole,
            item.base_station,
        )
        incident._state.adding, incident._state.db = False, connection.alias
        incidents.append(incident)
    return incidents


def create_incident_ids(new: list[NewIncident]) -> list[int]:
    """:func:`create_incidents` without model instances: the new incidents' ids (mail
    ingestion opens hundreds a batch and needs no more)."""
    return [row[ID] for row in _create(new)[0]]


_ATTNAMES = [Incident._meta.get_field(name).attname for name in INCIDENT_FIELDS]


def _create(new: list[NewIncident]) -> tuple[list[list[Any]], list[Any]]:
    """The rows written (values of ``INCIDENT_FIELDS``) and the dispatchers assigned."""
    if not new:
        return [], []
    with transaction.atomic(savepoint=False):
        status = get_status_id(StatusKey.NEW)
        lock_assignment()
        now = timezone.now()
        dispatchers = choose_dispatchers(len(new), now)
        rows = [
            [
                None, item.code, one_line(item.subject)[:1024],
                item.description.replace("\x00", "").strip(),
                one_line(item.requester_email)[:320], item.source, item.incident_date, status,
                _raw(dispatcher), _raw(item.pole), _raw(item.base_station), now, now,
            ]
            for item, dispatcher in zip(new, dispatchers, strict=True)
        ]  # fmt: skip
        history = [(item.actor, _raw(item.user)) for item in new]
        insert_incident_rows(rows, history, builtin_codes=not settings.YT_ENABLED)
        mark_assigned(dispatcher for dispatcher in dispatchers if dispatcher is not None)
        for row, dispatcher in zip(rows, dispatchers, strict=True):
            if dispatcher is None:
                logger.info("incident=%s: no dispatcher on shift, left unassigned", row[ID])
    return rows, dispatchers


# Statuses that wait for the requester: without an answer the incident closes by itself.
WAITING_FOR_REQUESTER = frozenset({StatusKey.NEED_ACCEPTANCE, StatusKey.NOTIFIED_CLOSED})


def auto_close_date(key: str, entered_at: datetime) -> datetime | None:
    """When an incident that entered status ``key`` at ``entered_at`` closes by itself (None:
    not a waiting status, or ``AUTO_CLOSE_HOURS`` is 0)."""
    if key not in WAITING_FOR_REQUESTER or not settings.AUTO_CLOSE_HOURS:
        return None
    return entered_at + timedelta(hours=settings.AUTO_CLOSE_HOURS)


@transaction.atomic
def record_status(
    incident: Incident,
    key: StatusKey | str,
    *,
    actor: str,
    user=None,
    comment: str = "",
    at: datetime | None = None,
) -> IncidentStatusHistory | None:
    """Set the incident's status and append one history row; no-op if already in that status.

    Finishing statuses set ``is_finished``/``finished_at``; leaving them reopens the incident.
    Workflow rules (which transitions are allowed) are checked by the workflow layer.
    """
    status = get_status(key)
    locked = lock_incident(incident.pk)
    if locked.status_id == status.pk:
        return None
    moment = at or timezone.now()
    locked.status = status
    if status.is_final and not locked.is_finished:
        locked.is_finished, locked.finished_at = True, moment
    elif not status.is_final and locked.is_finished:
        locked.is_finished, locked.finished_at = False, None
    locked.auto_close_date = auto_close_date(status.key, moment)
    locked.save(
        update_fields=["status", "is_finished", "finished_at", "auto_close_date", "updated_at"]
    )
    incident.status, incident.is_finished, incident.finished_at, incident.auto_close_date = (
        locked.status,
        locked.is_finished,
        locked.finished_at,
        locked.auto_close_date,
    )
    history = IncidentStatusHistory.objects.create(
        incident=locked, status=status, actor=actor, user=user, comment=comment, created_at=moment
    )
    if user is not None:
        mark_first_action(locked, moment)
    refresh_sla(locked)
    incident.sla_deadline, incident.sla_state = locked.sla_deadline, locked.sla_state
    from incidents import work  # the work clocks build on this module

    if status.key == StatusKey.ON_GENERATION:
        work.start_generation(locked, moment, actor=actor, user=user)
    work.refresh_works(locked)  # a pausing status stops their clocks too
    return history


def refresh_sla(incident: Incident, now: datetime | None = None) -> SlaResult:
    """Store the incident's current SLA deadline and state (the sweep does this in bulk)."""
    result = compute_sla(incident, now)
    Incident.objects.filter(pk=incident.pk).update(
        sla_deadline=result.deadline, sla_state=result.state
    )
    incident.sla_deadline, incident.sla_state = result.deadline, result.state
    return result


# Fields a person (or the tracker, or the mail) may change after creation; status has its own path.
EDITABLE_FIELDS = (
    "incident_type",
    "subtype",
    "pole",
    "base_station",
    "assignee",
    "subject",
    "requester_email",
    "no_thread_linking",
)


# Open incidents recomputed per transaction when a type's SLA changes.
SLA_BATCH = 500


class IncidentEditError(ValueError):
    """An edit that cannot be applied; the message says what to fix (shown to the person)."""


def lock_incident(pk: int) -> Incident:
    """Lock the incident's row only — never the shared status/type rows it points to.

    ``no_key``: edits never touch the row's keys, so rows referencing the incident (new e-mails,
    history) can still be inserted while it is locked. The lock is taken without joins, then the
    row is read with its relations: PostgreSQL re-checks a join of a row another transaction has
    just changed against the old joined rows, so a locking join would miss an incident whose
    status changed while it waited.
    """
    Incident.objects.select_for_update(no_key=True).filter(pk=pk).values_list("pk").get()
    return Incident.objects.select_related(
        "incident_type", "subtype__incident_type", "status", "pole", "base_station", "assignee"
    ).get(pk=pk)


def lock_incidents(*pks: int) -> dict[int, Incident]:
    """Several incidents' rows locked in id order (two writers never wait on each other)."""
    return {pk: lock_incident(pk) for pk in sorted(set(pks))}


def _raw(value: Any) -> Any:
    """What is stored in the column: a related object's pk, else the value itself."""
    return getattr(value, "pk", value)


def _shown(value: Any) -> str:
    """How a value is written in the change log (a related object's name, '' for nothing)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if hasattr(value, "display_name"):
        return value.display_name
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "d.m.Y H:i")
    return str(value)


def check_incident_changes(incident: Incident, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``changes`` against the (locked) incident; return the ones that change something.

    Raises :class:`IncidentEditError` naming the problem. A base station without a pole brings
    its pole; a base station of another pole, an unknown field or a non-dispatcher assignee is
    refused.
    """
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise IncidentEditError(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    wanted = dict(changes)
    station = wanted.get("base_station", incident.base_station)
    if "base_station" in wanted and station is not None and "pole" not in wanted:
        wanted["pole"] = station.pole
    pole = wanted.get("pole", incident.pole)
    if station is not None and (pole is None or station.pole_id != pole.pk):
        if "pole" in wanted and "base_station" not in wanted:
            wanted["base_station"] = None  # a new pole drops the old pole's base station
        else:
            raise IncidentEditError(
                _("Base station %(station)s does not belong to pole %(pole)s.")
                % {"station": station, "pole": pole or "—"}
            )
    kind = wanted.get("incident_type", incident.incident_type)
    subtype = wanted.get("subtype", incident.subtype)
    if subtype is not None and (kind is None or subtype.incident_type_id != kind.pk):
        if "incident_type" in wanted and "subtype" not in wanted:
            wanted["subtype"] = None  # a new type drops the old type's subtype
        else:
            raise IncidentEditError(
                _("Subtype %(subtype)s is not a subtype of %(type)s.")
                % {"subtype": subtype.name, "type": kind or "—"}
            )
    assignee = wanted.get("assignee")
    changes_assignee = assignee is not None and _raw(assignee) != incident.assignee_id
    if changes_assignee and not can_work_incidents(assignee):
        raise IncidentEditError(
            _("%(user)s cannot work on incidents (not an active dispatcher or admin).")
            % {"user": _shown(assignee)}
        )
    for name in ("subject", "requester_email"):
        if name in wanted:
            wanted[name] = one_line(wanted[name] or "")
    return {
        name: value
        for name, value in wanted.items()
        if _raw(getattr(incident, Incident._meta.get_field(name).attname)) != _raw(value)
    }


def update_incident(
    incident: Incident,
    *,
    changes: Mapping[str, Any],
    actor: str,
    user=None,
    fill_only: bool = False,
) -> list[str]:
    """Change fields of ``incident``: lock its row, validate, write, refresh the SLA and record
    every change with who made it. Returns the names of the changed fields ([] if none).

    ``fill_only``: set only fields that are empty now (ingestion filling a pole from a reply).
    Raises :class:`IncidentEditError` (nothing is written) when the changes are invalid.
    """
    with transaction.atomic():
        locked = lock_incident(incident.pk)
        if fill_only:
            changes = {k: v for k, v in changes.items() if getattr(locked, k) in (None, "")}
        changed = check_incident_changes(locked, changes)
        if not changed:
            return []
        log = [
            (name, _shown(getattr(locked, name)), _shown(value)) for name, value in changed.items()
        ]
        for name, value in changed.items():
            setattr(locked, name, value)
        sla = compute_sla(locked)
        locked.sla_deadline, locked.sla_state = sla.deadline, sla.state
        locked.save(update_fields=[*changed, "sla_deadline", "sla_state", "updated_at"])
        log_changes(locked, log, actor=actor, user=user)
        if user is not None:
            mark_first_action(locked, timezone.now())
        if "incident_type" in changed:  # the АВР clock runs on the type's SLA
            from incidents.work import refresh_works

            refresh_works(locked)
    for name in (*changed, "sla_deadline", "sla_state", "updated_at"):
        setattr(incident, name, getattr(locked, name))
    return list(changed)


_LOCK_MANY = CompiledQuery(
    lambda ids: (
        Incident.objects.select_for_update(no_key=True).filter(pk__in=ids).values_list("pk")
    ),
    Many(NO_ID),
)


def fill_incidents(fills: Mapping[int, Mapping[str, Any]], *, actor: str) -> list[int]:
    """:func:`update_incident` with ``fill_only`` for several incidents (id → changes) at once:
    the same checks, SLA refresh and change log, in a fixed number of queries however many
    there are (ingestion filling the pole of incidents from their replies). Returns the ids of
    the incidents changed. Raises :class:`IncidentEditError` (nothing is written) like it."""
    if not fills:
        return []
    ids = sorted(fills)
    with transaction.atomic():
        # locked in id order, without joins (see lock_incident), then read with relations
        _LOCK_MANY.rows(ids)
        incidents = (
            Incident.objects.filter(pk__in=ids)
            .order_by("pk")
            .select_related(
                "incident_type", "subtype__incident_type", "status", "pole", "base_station"
            )
            .prefetch_related("status_history__status")
        )
        now = timezone.now()
        changed_rows: list[Incident] = []
        fields: set[str] = set()
        log: list[tuple[int, list[tuple[str, str, str]]]] = []
        for incident in incidents:
            wanted = {
                k: v for k, v in fills[incident.pk].items() if getattr(incident, k) in (None, "")
            }
            changed = check_incident_changes(incident, wanted)
            if not changed:
                continue
            log.append(
                (
                    incident.pk,
                    [
                        (name, _shown(getattr(incident, name)), _shown(value))
                        for name, value in changed.items()
                    ],
                )
            )
            for name, value in changed.items():
                setattr(incident, name, value)
            sla = compute_sla(incident, now)
            incident.sla_deadline, incident.sla_state = sla.deadline, sla.state
            incident.updated_at = now
            fields.update(changed)
            changed_rows.append(incident)
        if changed_rows:
            written = [Incident._meta.get_field(name).attname for name in sorted(fields)]
            written += ["sla_deadline", "sla_state", "updated_at"]
            update_rows(
                Incident,
                written,
                [[row.pk, *(getattr(row, n) for n in written)] for row in changed_rows],
            )
            log_many_changes(log, actor=actor, at=now)
    return [incident.pk for incident in changed_rows]


def apply_type_sla(incident_type: IncidentType, *, actor: str, user=None) -> int:
    """Apply a changed SLA of ``incident_type`` to its open incidents; return how many changed.

    The rule, the same wherever a type's SLA changes: open incidents of the type get the new
    deadline at once (and the state it gives), each change written to the incident's change log
    with who made it, and so do their АВР works (whose clock is the type's SLA, ended ones too);
    finished incidents keep the deadline they were finished with (the sweep leaves them alone
    too).
    """
    from incidents.work import refresh_avr_works  # the work clocks build on this module

    ids = list(
        Incident.objects.filter(incident_type=incident_type, is_finished=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    changed = 0
    for offset in range(0, len(ids), SLA_BATCH):
        with transaction.atomic():
            batch = list(
                Incident.objects.select_for_update(of=("self",), no_key=True)
                .filter(pk__in=ids[offset : offset + SLA_BATCH], is_finished=False)
                .select_related("incident_type")
                .prefetch_related("status_history__status")
            )
            refresh_avr_works(batch)
            for incident in batch:
                sla = compute_sla(incident)
                if (sla.deadline, sla.state) == (incident.sla_deadline, incident.sla_state):
                    continue
                entry = ("sla_deadline", _shown(incident.sla_deadline), _shown(sla.deadline))
                incident.sla_deadline, incident.sla_state = sla.deadline, sla.state
                incident.save(update_fields=["sla_deadline", "sla_state", "updated_at"])
                if entry[1] != entry[2]:
                    log_changes(incident, [entry], actor=actor, user=user)
                changed += 1
    return changed


def mark_first_action(incident: Incident, at: datetime) -> None:
    """Record the first time a person acted on the incident (the dispatcher SLA's end)."""
    if incident.first_action_at is None:
        Incident.objects.filter(pk=incident.pk, first_action_at__isnull=True).update(
            first_action_at=at
        )
        incident.first_action_at = at


def log_changes(
    incident: Incident,
    entries: Iterable[tuple[str, str, str]],
    *,
    actor: str,
    user=None,
    at: datetime | None = None,
    move=None,
) -> None:
    """Record (attribute, old value, new value) changes of ``incident`` in its change log —
    the one place the log is written (fields, comments, links, moves alike); one INSERT.
    ``move``: the :class:`~incidents.models.IncidentMove` the entries record (undone from there).
    """
    log_many_changes([(incident.pk, entries)], actor=actor, user=user, at=at, move=move)


def log_many_changes(
    changes: Iterable[tuple[int, Iterable[tuple[str, str, str]]]],
    *,
    actor: str,
    user=None,
    at: datetime | None = None,
    move=None,
) -> None:
    """:func:`log_changes` of several incidents ((incident id, entries) pairs) in one INSERT."""
    moment, user_id, move_id = at or timezone.now(), _raw(user), _raw(move)
    rows = [
        (incident_id, str(field), str(old), str(new), actor, user_id, moment, move_id)
        for incident_id, entries in changes
        for field, old, new in entries
    ]
    insert_rows(IncidentChange, CHANGE_FIELDS, rows)


# The columns of a change-log entry (``insert_rows``: the ORM's bulk_create compiled the
# statement anew for every batch of mail filling poles, 3 % of the ingest worker's CPU).
CHANGE_FIELDS = [
    "incident", "field", "old_value", "new_value", "actor", "user", "created_at", "move",
]  # fmt: skip


def set_incident_code(incident: Incident, code: str) -> None:
    """Give the incident the tracker's issue key as its code (part of creating its issue)."""
    Incident.objects.filter(pk=incident.pk).update(code=code, updated_at=timezone.now())
    incident.code = code


def touch(incident_id: int) -> None:
    """Something shown on the incident's page changed outside its row (an e-mail of its
    outbox delivered or given up): move ``updated_at`` so the live stream tells open pages."""
    Incident.objects.filter(pk=incident_id).update(updated_at=timezone.now())


def mark_unread(incident_ids: Iterable[int], at: datetime | None = None) -> int:
    """New mail from outside on these incidents: unread for their dispatcher, ``updated_at`` moved
    (the live queue pushes it), and an incident waiting for the requester no longer closes by
    itself (they answered). One UPDATE for a whole ingest batch; an incident already unread
    keeps the moment it became so. Returns how many incidents were touched."""
    ids = sorted(set(incident_ids))
    if not ids:
        return 0
    moment = at or timezone.now()
    return Incident.objects.filter(pk__in=ids).update(
        unread_since=Coalesce(F("unread_since"), Value(moment)),
        auto_close_date=None,
        updated_at=moment,
    )


def reads_for(incident: Incident, user) -> bool:
    """Whether ``user`` opening the incident reads it: its dispatcher, or — while nobody is
    assigned — anyone who works incidents."""
    if incident.assignee_id is not None:
        return incident.assignee_id == getattr(user, "pk", None)
    return can_work_incidents(user)


def mark_read(incident: Incident, user) -> bool:
    """``user`` opened the incident: clear its unread state if it is theirs to read (see
    :func:`reads_for`). A conditional UPDATE, nothing when already read; True when cleared."""
    if incident.unread_since is None or not reads_for(incident, user):
        return False
    return clear_unread(incident)


def clear_unread(incident: Incident) -> bool:
    """The incident's new mail has been seen (its page opened by its dispatcher, or the issue
    taken in the tracker): a conditional UPDATE moving ``updated_at``; True when it was unread."""
    now = timezone.now()
    cleared = Incident.objects.filter(pk=incident.pk, unread_since__isnull=False).update(
        unread_since=None, updated_at=now
    )
    if cleared:
        incident.unread_since, incident.updated_at = None, now
    return bool(cleared)
