"""Work categories of an incident (АВР, РВР, ДГУ, ЭКС): set, changed and removed by a person or
started by the «На генерации НБ» status; each change recorded in the change log, the clock
(deadline and state) stored at once and kept current by ``sla_sweep``."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from incidents.models import Incident, IncidentWork, RvrPriority, WorkCategory
from incidents.services import lock_incident, log_changes, mark_first_action
from incidents.work_sla import work_clock

FIRST_YEAR, LAST_YEAR = 2000, 2100  # times outside are typing errors (and overflow the clocks)


class WorkError(ValueError):
    """Work times or a priority that cannot be saved; the message says why."""


def describe(work: IncidentWork | None) -> str:
    """How a work reads in the change log: «03.12.2026 10:00 – …, Высокий»."""
    if work is None:
        return ""

    def local(moment: datetime | None) -> str:
        return date_format(timezone.localtime(moment), "d.m.Y H:i") if moment else "…"

    text = f"{local(work.started_at)} – {local(work.ended_at)}"
    return f"{text}, {work.priority}" if work.priority_id else text


def _history(incident: Incident):
    return incident.status_history.select_related("status").order_by("created_at", "id")


def refresh_works(incident: Incident, now: datetime | None = None) -> int:
    """Store the current deadline and state of the incident's works (after a status change
    — pauses — or a new type); one query when it has none. Returns how many changed."""
    works = list(IncidentWork.objects.filter(incident=incident).select_related("priority"))
    if not works:
        return 0
    history, moment, dirty = list(_history(incident)), now or timezone.now(), []
    for work in works:
        work.incident = incident
        clock = work_clock(work, history, moment)
        if (work.deadline, work.state) != (clock.deadline, clock.state):
            work.deadline, work.state = clock.deadline, clock.state
            dirty.append(work)
    IncidentWork.objects.bulk_update(dirty, ["deadline", "state"])
    return len(dirty)


def refresh_avr_works(incidents: list[Incident], now: datetime | None = None) -> int:
    """Store the clocks of the АВР works of ``incidents`` (their type's SLA changed); the
    incidents come with their status history prefetched. One query to read, one to write."""
    by_pk = {incident.pk: incident for incident in incidents}
    works = IncidentWork.objects.filter(incident_id__in=by_pk, category=WorkCategory.AVR)
    moment, dirty = now or timezone.now(), []
    for work in works:
        work.incident = by_pk[work.incident_id]
        clock = work_clock(work, work.incident.status_history.all(), moment)
        if (work.deadline, work.state) != (clock.deadline, clock.state):
            work.deadline, work.state = clock.deadline, clock.state
            dirty.append(work)
    IncidentWork.objects.bulk_update(dirty, ["deadline", "state"])
    return len(dirty)


def check_work(category: str, started_at, ended_at, priority: RvrPriority | None, current) -> None:
    """Refuse (:class:`WorkError`) a work that cannot be saved; ``current``: the stored one."""
    if category not in WorkCategory.values:
        raise WorkError(_("Unknown work category."))
    if started_at is None:
        raise WorkError(_("Set the start of the work."))
    for moment in (started_at, ended_at):
        if moment is not None and not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise WorkError(
                _("Work times must fall within %(first)s–%(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
    if ended_at is not None and ended_at < started_at:
        raise WorkError(_("The work cannot end before it starts."))
    if priority is not None and category != WorkCategory.RVR:
        raise WorkError(_("Only repair works (РВР) have a priority."))
    keeps = current is not None and current.priority_id == getattr(priority, "pk", None)
    if priority is not None and not priority.is_active and not keeps:
        raise WorkError(_("The priority «%(name)s» is not in use.") % {"name": priority})


def set_work(
    incident: Incident,
    category: str,
    *,
    started_at: datetime,
    ended_at: datetime | None = None,
    priority: RvrPriority | None = None,
    actor: str,
    user=None,
) -> IncidentWork | None:
    """Create or change the ``category`` work of ``incident``; returns it, or None if nothing
    changed. Raises :class:`WorkError` (nothing written) for invalid times or priority."""
    with transaction.atomic():
        locked = lock_incident(incident.pk)
        work = IncidentWork.objects.filter(incident=locked, category=category).first()
        check_work(category, started_at, ended_at, priority, work)
        before = describe(work)
        if work is None:
            work = IncidentWork(incident=locked, category=category)
        elif (work.started_at, work.ended_at, work.priority_id) == (
            started_at,
            ended_at,
            getattr(priority, "pk", None),
        ):
            return None
        work.incident = locked
        work.started_at, work.ended_at, work.priority = started_at, ended_at, priority
        clock = work_clock(work, list(_history(locked)), timezone.now())
        work.deadline, work.state = clock.deadline, clock.state
        work.save()
        log_changes(locked, [(f"work_{category}", before, describe(work))], actor=actor, user=user)
        if user is not None:
            mark_first_action(locked, timezone.now())
        Incident.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return work


def remove_work(incident: Incident, category: str, *, actor: str, user=None) -> bool:
    """Remove the ``category`` work (recorded in the change log); False if there was none."""
    with transaction.atomic():
        locked = lock_incident(incident.pk)
        work = IncidentWork.objects.filter(incident=locked, category=category).first()
        if work is None:
            return False
        before = describe(work)
        work.delete()
        log_changes(locked, [(f"work_{category}", before, "")], actor=actor, user=user)
        Incident.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return True


def start_generation(incident: Incident, at: datetime, *, actor: str, user=None) -> None:
    """«На генерации НБ»: the ДГУ work starts now unless one is already recorded."""
    if not IncidentWork.objects.filter(incident=incident, category=WorkCategory.DGU).exists():
        set_work(incident, WorkCategory.DGU, started_at=at, actor=actor, user=user)
