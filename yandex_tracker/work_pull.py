"""Work categories edited in the tracker: a dispatcher's start, end or РВР priority comes back.

The push writes every work's start and end (and the РВР priority) into the issue's fields; a
dispatcher may correct them there. The pull reads those fields and takes what differs from
DISPATCH, validated as the console validates (an end before the start, a year out of range, an
unknown priority: the issue goes to «Ошибка» with the reason). While DISPATCH has changes of its
own not yet pushed (its extras digest differs from the one last written), the issue's values are
older than DISPATCH's and nothing is read: the next push writes DISPATCH's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from incidents.models import (
    Incident,
    IncidentStatusHistory,
    IncidentWork,
    RvrPriority,
    WorkCategory,
)
from incidents.work import WorkError, check_work, remove_work, set_work
from yandex_tracker.client import parse_dt, truncate_ms
from yandex_tracker.extras import extras_of, extras_prefetch
from yandex_tracker.fields import RVR_PRIORITY_FIELD, WORK_FIELDS
from yandex_tracker.models import TrackerIssue

TRACKER = IncidentStatusHistory.Actor.TRACKER


@dataclass(frozen=True)
class WorkEdit:
    """One category as the issue shows it; ``started_at`` None: the dispatcher removed it."""

    category: str
    started_at: datetime | None
    ended_at: datetime | None
    priority: RvrPriority | None


@dataclass
class WorkEdits:
    edits: list[WorkEdit] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def _incident_with_extras(incident_id: int) -> Incident:
    return (
        Incident.objects.select_related("subtype")
        .prefetch_related(*extras_prefetch())
        .get(pk=incident_id)
    )


def pushed_is_current(link: TrackerIssue, incident: Incident, subtype_field: str | None) -> bool:
    """True when the issue was last written with what DISPATCH holds now (nothing pending)."""
    return bool(link.extras_digest) and link.extras_digest == (
        extras_of(incident, subtype_field).digest()
    )


def _moment(issue: dict, name: str, label: str, reasons: list[str]) -> datetime | None:
    try:
        return parse_dt(issue.get(name))
    except ValueError:
        reasons.append(_("%(field)s: not a date and time.") % {"field": label})
        return None


def _priority(issue: dict, reasons: list[str]) -> RvrPriority | None:
    name = (issue.get(RVR_PRIORITY_FIELD) or "").strip()
    if not name:
        return None
    found = RvrPriority.objects.filter(name=name).first()
    if found is None:
        names = ", ".join(RvrPriority.objects.filter(is_active=True).values_list("name", flat=True))
        reasons.append(
            _("Invalid repair works priority (%(value)s). Allowed values: %(names)s.")
            % {"value": name, "names": names or "—"}
        )
    return found


def _same(work: IncidentWork | None, edit: WorkEdit) -> bool:
    if work is None:
        return edit.started_at is None and edit.ended_at is None
    ours = (
        truncate_ms(work.started_at),
        truncate_ms(work.ended_at) if work.ended_at else None,
        work.priority_id,
    )
    return ours == (edit.started_at, edit.ended_at, getattr(edit.priority, "pk", None))


def read_work_edits(issue: dict, link: TrackerIssue, subtype_field: str | None) -> WorkEdits:
    """What the dispatcher changed in the issue's work fields, validated; nothing while
    DISPATCH's own changes wait to be pushed (looked at only when the issue differs)."""
    result = WorkEdits()
    works = {
        work.category: work for work in IncidentWork.objects.filter(incident_id=link.incident_id)
    }
    for category, (start_name, end_name) in WORK_FIELDS.items():
        label = WorkCategory(category).label
        reasons: list[str] = []
        started_at = _moment(issue, start_name, label, reasons)
        ended_at = _moment(issue, end_name, label, reasons)
        priority = _priority(issue, reasons) if category == WorkCategory.RVR else None
        edit = WorkEdit(category, started_at, ended_at, priority)
        if not reasons and _same(works.get(category), edit):
            continue
        if not reasons and (started_at is not None or ended_at is not None):
            try:
                check_work(category, started_at, ended_at, priority, works.get(category))
            except WorkError as exc:
                reasons.append(f"{label}: {exc}")
        result.reasons += reasons
        result.edits.append(edit)
    if result.edits:
        incident = _incident_with_extras(link.incident_id)
        if not pushed_is_current(link, incident, subtype_field):
            return WorkEdits()
    return result


def apply_work_edits(incident: Incident, edits: WorkEdits) -> None:
    """Store valid edits through the works service (change log, clocks); none when any is
    invalid. Runs inside the pull's transaction for the issue."""
    if edits.reasons:
        return
    for edit in edits.edits:
        if edit.started_at is None:
            remove_work(incident, edit.category, actor=TRACKER)
        else:
            set_work(
                incident,
                edit.category,
                started_at=edit.started_at,
                ended_at=edit.ended_at,
                priority=edit.priority,
                actor=TRACKER,
            )
