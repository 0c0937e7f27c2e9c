"""DISPATCH → tracker: the status (a transition) and the SLA fields, when they change here.

``TrackerIssue.synced_status`` is the tracker status key both sides last agreed on. The pull
worker sets it when it mirrors a tracker change; when the database changes the status (delivery
of a notification, a validation error, the console), the issue is moved here, with the history
comment (e.g. the reason of an error) as the transition comment; where the tracker's workflow
has no direct transition, it goes the workflow's way through the statuses between.
"""

from __future__ import annotations

import logging

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from incidents.models import Incident, IncidentStatus
from incidents.sla import compute_sla
from incidents.workflow import way_between
from yandex_tracker.client import TrackerClient, format_dt
from yandex_tracker.errors import TrackerNoTransition
from yandex_tracker.fields import SLA_LABELS, FieldIds
from yandex_tracker.models import TrackerIssue

logger = logging.getLogger(__name__)


def record_own_write(issue_pk: int, before: int, updated: dict, *, writes: int = 1) -> None:
    """Remember the issue version our ``writes`` changes produced, so the pull skips them.

    Only when nothing else changed the issue in between (``before`` + ``writes``): otherwise a
    dispatcher's edit would be skipped too, so the version is left for the pull to process.
    """
    after = updated.get("version")
    if isinstance(after, int) and after == before + writes:
        TrackerIssue.objects.filter(pk=issue_pk, version=before).update(version=after)


def _latest_comment(incident: Incident) -> str:
    row = incident.status_history.filter(status=incident.status).order_by("-created_at", "-pk")
    return (row.values_list("comment", flat=True).first() or "").strip()


def _steps_before(start: str, goal: str) -> list[str]:
    """The tracker statuses to pass through from ``start`` to ``goal`` where no transition leads
    there directly (a merge closes a «Новый» incident, but «Открыт» only goes to «В работе»):
    DISPATCH's workflow, which the queue's mirrors (docs/workflow.md), shows the way."""
    ours = dict(IncidentStatus.objects.exclude(tracker_key="").values_list("tracker_key", "key"))
    if start not in ours or goal not in ours:
        return []
    theirs = {key: tracker for tracker, key in ours.items()}
    return [theirs[key] for key in way_between(ours[start], ours[goal])[:-1]]


def _transition(client: TrackerClient, issue: TrackerIssue, target: str, comment: str) -> bool:
    """Move the issue to ``target``, through the workflow's intermediate statuses if need be."""
    if client.transition_to(issue.key, target, comment=comment):
        return True
    steps = _steps_before(issue.synced_status, target)
    if not steps or not all(client.transition_to(issue.key, step) for step in steps):
        return False
    return client.transition_to(issue.key, target, comment=comment)


def sync_status(client: TrackerClient, issue: TrackerIssue, incident: Incident) -> bool:
    """Transition the issue to the incident's status if needed; True when a transition ran.

    Raises ``TrackerNoTransition`` when the queue's workflow has no way there: the status is
    not recorded as synced, so the push tries again (after ``push.defer_sync``'s back-off)."""
    target = incident.status.tracker_key
    if not target or target == issue.synced_status or not issue.key:
        return False
    if not _transition(client, issue, target, _latest_comment(incident)):
        raise TrackerNoTransition(
            f"{issue.key}: the queue's workflow has no transition from "
            f"«{issue.synced_status or '?'}» to «{target}»; the status is not synced"
        )
    TrackerIssue.objects.filter(pk=issue.pk).update(synced_status=target, last_error="")
    issue.synced_status = target
    return True


def due_issues() -> QuerySet[TrackerIssue]:
    """Issues in the tracker whose last failed write's back-off (if any) is over."""
    waiting = Q(next_attempt_at__gt=timezone.now())
    return TrackerIssue.objects.filter(key__isnull=False).exclude(waiting)


def out_of_sync(limit: int) -> list[TrackerIssue]:
    """Issues whose incident's status changed in DISPATCH since the last sync."""
    return list(
        due_issues()
        .exclude(incident__status__tracker_key="")
        .exclude(synced_status=F("incident__status__tracker_key"))
        .select_related("incident__status")
        .order_by("pk")[:limit]
    )


def sla_out_of_sync(limit: int) -> list[TrackerIssue]:
    """Issues whose incident's stored SLA state changed (the SLA sweep) since it was written."""
    return list(
        due_issues()
        .exclude(sla_state=F("incident__sla_state"))
        .select_related("incident__incident_type")
        .prefetch_related("incident__status_history__status")
        .order_by("pk")[:limit]
    )


def sync_sla(client: TrackerClient, issue: TrackerIssue, ids: FieldIds) -> None:
    """Write the live SLA deadline and state into the issue; remember the state written for."""
    incident = issue.incident
    sla = compute_sla(incident)
    updated = client.update_issue(
        issue.key,
        {
            ids.sla_state: SLA_LABELS[sla.state],
            ids.sla_deadline: format_dt(sla.deadline) if sla.deadline else None,
        },
    )
    TrackerIssue.objects.filter(pk=issue.pk).update(sla_state=incident.sla_state)
    record_own_write(issue.pk, issue.version, updated)
