"""Pull: read only the issues updated since the stored cursor and reconcile each with its incident.

The tracker is master of pole, base station, type, subtype, assignee and work times (what
dispatchers edit; work times only while DISPATCH has none of its own to push) and of the status;
a dispatcher's comment in the issue becomes an internal comment, a link between two issues an
incident link; the database is master of dates, SLA deadline/state, contractor and operators.
Per issue: database changes first (one transaction, no HTTP), then the tracker writes (one PATCH
when a DB-owned value differs, a transition when the status must move, a comment for a reason).
Invalid input moves the issue to «Ошибка» with the exact reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.locks import name_key, session_lock
from incidents import mass_outage, workflow
from incidents.models import (
    Incident,
    IncidentSource,
    IncidentStatusHistory,
    IncidentSubtype,
    IncidentType,
    StatusKey,
)
from incidents.services import (
    IncidentEditError,
    clear_unread,
    create_incident,
    record_status,
    set_incident_code,
    update_incident,
)
from ts.models import BaseStation, Pole
from ts.selectors import ReferenceLookupError, resolve_base_station, resolve_pole
from users.models import User
from yandex_tracker.client import TrackerClient, format_dt, parse_dt
from yandex_tracker.comment_pull import read_remarks, store_remarks
from yandex_tracker.errors import TrackerError, TrackerNoTransition, TrackerUnavailable
from yandex_tracker.fields import (
    NEW_MESSAGE_NO,
    NEW_MESSAGE_YES,
    SUBTYPE_FIELD_NAME,
    TYPE_FIELD_NAME,
    TrackerDirectory,
    status_by_tracker_key,
)
from yandex_tracker.link_pull import LinkEdits, apply_link_edits, read_link_edits
from yandex_tracker.models import SyncCursor, TrackerIssue
from yandex_tracker.payloads import db_owned_fields, reference_fields
from yandex_tracker.push import CYCLE_BUDGET
from yandex_tracker.selectors import user_for_login
from yandex_tracker.status_sync import sync_status
from yandex_tracker.work_pull import WorkEdits, apply_work_edits, read_work_edits

logger = logging.getLogger(__name__)

CURSOR_NAME = "pull_tracker.updatedAt"
PULL_LOCK_KEY = name_key("yandex_tracker.pull")
FIRST_SYNC_DAYS = 30
TRACKER = IncidentStatusHistory.Actor.TRACKER


@dataclass
class PullReport:
    seen: int = 0
    processed: int = 0
    manual_created: int = 0
    invalid: int = 0
    patched: int = 0
    statuses: int = 0
    comments: int = 0
    failed: int = 0
    busy: bool = False
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if self.busy:
            return "busy: another worker is pulling"
        return (
            f"seen={self.seen} processed={self.processed} manual={self.manual_created} "
            f"invalid={self.invalid} patched={self.patched} statuses={self.statuses} "
            f"comments={self.comments} failed={self.failed}"
        )


@dataclass
class Outcome:
    """What the database step decided the tracker must receive (sent after commit)."""

    patch: dict[str, Any] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)
    invalid: bool = False
    status_changed: bool = False
    taken: bool = False  # a dispatcher took the issue («В работе»): new mail has been seen


# -- reading ---------------------------------------------------------------------------------


def _value(issue: dict, name: str | None) -> str:
    if not name:
        return ""
    raw = issue.get(name)
    if isinstance(raw, dict):
        raw = raw.get("display") or raw.get("key") or ""
    return str(raw).strip() if raw is not None else ""


def changed_issues(client: TrackerClient, cursor: str) -> list[dict]:
    """Issues of the queue updated at or after ``cursor`` (the last 30 days without one)."""
    flt: dict[str, Any] = {"queue": settings.YT_QUEUE}
    if not cursor:  # first sync: what was touched recently, not the whole history
        cursor = format_dt(timezone.now() - timedelta(days=FIRST_SYNC_DAYS))
    flt["updatedAt"] = {"from": cursor}
    issues = client.search_all(flt)
    issues.sort(key=lambda issue: (issue.get("updatedAt") or "", issue["key"]))
    return issues


# -- validation of dispatcher edits ---------------------------------------------------------


@dataclass
class Edits:
    """Resolved values of what the dispatcher may edit, or the reasons they are invalid."""

    incident_type: IncidentType | None = None
    subtype: IncidentSubtype | None = None
    pole: Pole | None = None
    base_station: BaseStation | None = None
    assignee: User | None = None
    assignee_known: bool = False
    type_known: bool = False  # the queue has the type field
    subtype_known: bool = False  # the queue has the subtype field
    reasons: list[str] = field(default_factory=list)
    invalid_fields: set[str] = field(default_factory=set)
    works: WorkEdits = field(default_factory=WorkEdits)
    links: LinkEdits = field(default_factory=LinkEdits)


def read_edits(issue: dict, incident: Incident, directory: TrackerDirectory) -> Edits:
    ids = directory.ids
    edits = Edits()
    type_field = directory.type_field_id()
    edits.type_known = type_field is not None
    type_name = _value(issue, type_field)
    if type_name:
        edits.incident_type = IncidentType.objects.filter(name=type_name, is_active=True).first()
        if edits.incident_type is None:
            names = ", ".join(
                IncidentType.objects.filter(is_active=True).values_list("name", flat=True)
            )
            edits.reasons.append(
                _("Invalid incident type (%(value)s). Allowed values: %(names)s.")
                % {"value": type_name, "names": names}
            )
            edits.invalid_fields.add(type_field)
    _read_subtype(issue, incident, directory, edits)
    pole_text = _value(issue, ids.pole)
    if pole_text:
        try:
            edits.pole = resolve_pole(pole_text)
        except ReferenceLookupError as exc:
            edits.reasons.append(str(exc))
            edits.invalid_fields.add(ids.pole)
    station_text = _value(issue, ids.base_station)
    if station_text and ids.pole not in edits.invalid_fields:
        try:
            edits.base_station = resolve_base_station(station_text, pole=edits.pole)
        except ReferenceLookupError as exc:
            edits.reasons.append(str(exc))
            edits.invalid_fields.add(ids.base_station)
    if edits.base_station is not None and edits.pole is None:
        edits.pole = edits.base_station.pole
    assignee = issue.get("assignee")
    if not assignee:
        current = incident.assignee
        # clear only a dispatcher the tracker knows (one it could have shown as assignee)
        edits.assignee_known = current is None or bool(
            directory.uid_for_login(current.tracker_user)
        )
    else:
        login = directory.login_for_uid(str(assignee.get("id", "")))
        if login:
            edits.assignee = user_for_login(login)
            edits.assignee_known = edits.assignee is not None
    return edits


def _read_subtype(
    issue: dict, incident: Incident, directory: TrackerDirectory, edits: Edits
) -> None:
    """The subtype the dispatcher chose: one of the (new) type's active subtypes, by name."""
    field_id = directory.subtype_field_id()
    edits.subtype_known = field_id is not None
    name = _value(issue, field_id)
    if not name:
        return
    kind = edits.incident_type if edits.type_known else incident.incident_type
    choices = IncidentSubtype.objects.filter(incident_type=kind, is_active=True)
    edits.subtype = choices.filter(name=name).first()
    if edits.subtype is None:
        edits.reasons.append(
            _("Invalid subtype (%(value)s). Allowed values: %(names)s.")
            % {"value": name, "names": ", ".join(choices.values_list("name", flat=True)) or "—"}
        )
        edits.invalid_fields.add(field_id)


# -- reconciling one issue ------------------------------------------------------------------


def _apply_edits(incident: Incident, link: TrackerIssue, edits: Edits) -> None:
    """Take valid edits (none of pole/BS/type when any is invalid); the assignee always."""
    changes: dict = {}
    if not edits.reasons:
        if edits.type_known:
            changes["incident_type"] = edits.incident_type
        if edits.subtype_known:
            changes["subtype"] = edits.subtype
        changes["pole"], changes["base_station"] = edits.pole, edits.base_station
    if edits.assignee_known:
        changes["assignee"] = edits.assignee
    try:
        update_incident(incident, changes=changes, actor=TRACKER)
    except IncidentEditError as exc:
        edits.reasons.append(str(exc))
    if not edits.reasons:
        apply_work_edits(incident, edits.works)
        edits.reasons += apply_link_edits(incident, link, edits.links)


@dataclass(frozen=True)
class StatusChange:
    """A status a dispatcher moved the issue to, with the tracker's time of the move."""

    status: str
    at: datetime


def status_changes(
    client: TrackerClient, issue: dict, link: TrackerIssue, directory: TrackerDirectory
) -> tuple[list[StatusChange], str]:
    """The dispatchers' status changes since the last one read, from the issue's changelog
    (``IssueWorkflow`` entries after ``link.changelog_cursor``; our own transitions are already
    in the history), and the new cursor. Read only when the status differs from the synced one.
    """
    if (issue.get("status") or {}).get("key", "") == link.synced_status:
        return [], link.changelog_cursor
    robot = directory.robot_uid()
    changes: list[StatusChange] = []
    cursor = link.changelog_cursor
    # without a cursor (an issue linked before changelogs were read), what the last reconcile
    # of the issue saw is in the history already
    seen_until = None if cursor else link.tracker_updated_at
    for entry in client.changelog(issue["key"], type="IssueWorkflow", after=cursor):
        cursor = str(entry["id"])
        if str((entry.get("updatedBy") or {}).get("id", "")) == robot:
            continue
        at = parse_dt(entry.get("updatedAt"))
        if at and seen_until and at <= seen_until:
            continue
        for change in entry.get("fields") or []:
            target = change.get("to") or {}
            if (change.get("field") or {}).get("id") == "status" and target.get("key") and at:
                changes.append(StatusChange(target["key"], at))
    return changes, cursor


def _mirror_status(
    incident: Incident,
    link: TrackerIssue,
    tracker_key: str,
    outcome: Outcome,
    changes: list[StatusChange],
) -> None:
    """Take the status changes made in the tracker into the history, each at its tracker time
    (a change the changelog did not show is taken at the moment it is seen)."""
    if tracker_key == link.synced_status:
        return
    link.synced_status = tracker_key
    if not changes or changes[-1].status != tracker_key:
        changes = [*changes, StatusChange(tracker_key, timezone.now())]
    for change in changes:
        _enter_status(incident, link, change, outcome)


def _enter_status(
    incident: Incident, link: TrackerIssue, change: StatusChange, outcome: Outcome
) -> None:
    ours = status_by_tracker_key().get(change.status)
    if ours is None:
        logger.info("tracker: %s has status %s unknown to DISPATCH", link.key, change.status)
        return
    if incident.status.key == ours:
        return
    outcome.status_changed = True
    if ours in workflow.NOTIFICATION_REQUESTS:
        try:
            workflow.change_status(incident, ours, actor=TRACKER, at=change.at)
        except workflow.TransitionError as exc:
            record_status(incident, StatusKey.ERROR, actor=TRACKER, comment=str(exc))
        return
    comment = ""
    if ours == StatusKey.IN_PROGRESS:
        comment = _("The dispatcher accepted the work in Yandex Tracker.")
        outcome.taken = True
    if record_status(incident, ours, actor=TRACKER, comment=comment, at=change.at):
        mass_outage.follow_parent(incident, ours, actor=TRACKER)  # a group's subtasks follow
    if outcome.taken:
        clear_unread(incident)  # the dispatcher has seen the new mail, as «Новое сообщение» says


def _typed_values(issue: dict, incident: Incident, directory: TrackerDirectory) -> str:
    """The dispatcher's values the reconcile replaces with DISPATCH's (none is taken while any is
    invalid), quoted so they can be corrected and saved again; "" when there are none."""
    type_field, subtype_field = directory.type_field_id(), directory.subtype_field_id()
    names = {
        directory.ids.pole: directory.ids.global_fields()[directory.ids.pole][0],
        directory.ids.base_station: directory.ids.global_fields()[directory.ids.base_station][0],
        type_field: TYPE_FIELD_NAME,
        subtype_field: SUBTYPE_FIELD_NAME,
    }
    ours = reference_fields(incident, directory.ids, type_field, subtype_field)
    typed = [
        f"{names[field]} «{_value(issue, field)}»"
        for field, value in ours.items()
        if _value(issue, field) and _value(issue, field) != (value or "")
    ]
    if not typed:
        return ""
    return _("Not taken, correct and save again: %(values)s.") % {"values": ", ".join(typed)}


def _expected(incident: Incident, directory: TrackerDirectory) -> dict[str, Any]:
    ids = directory.ids
    return {
        ids.local_id: incident.pk,
        **db_owned_fields(incident, ids),
        **reference_fields(incident, ids, directory.type_field_id(), directory.subtype_field_id()),
    }


def _diff(issue: dict, expected: dict[str, Any]) -> dict[str, Any]:
    patch = {}
    for name, value in expected.items():
        current = issue.get(name)
        if isinstance(current, dict):
            current = current.get("display")
        if (current in (None, "") and value in (None, "")) or current == value:
            continue
        patch[name] = value
    return patch


@transaction.atomic
def reconcile_in_db(
    issue: dict,
    link: TrackerIssue,
    edits: Edits,
    directory: TrackerDirectory,
    changes: Sequence[StatusChange] = (),
) -> Outcome:
    """All database changes for one issue; returns what to send to the tracker afterwards.

    ``directory`` must be warm (``read_edits`` ran before): no HTTP call happens in here.
    """
    outcome = Outcome()
    incident = (
        Incident.objects.select_for_update(of=("self",))
        .select_related(
            "status", "incident_type", "subtype", "pole__contractor", "base_station", "assignee"
        )
        .get(pk=link.incident_id)
    )
    if incident.code != issue["key"] and not (
        Incident.objects.filter(code=issue["key"]).exclude(pk=incident.pk).exists()
    ):
        set_incident_code(incident, issue["key"])
    _apply_edits(incident, link, edits)
    if edits.reasons:
        outcome.invalid = True
        reason = " ".join([*edits.reasons, _typed_values(issue, incident, directory)]).strip()
        if record_status(incident, StatusKey.ERROR, actor=TRACKER, comment=reason) is None:
            outcome.comments.append(reason)  # already in «Ошибка»: still tell why
        link.synced_status = (issue.get("status") or {}).get("key", "")
    else:
        status_key = (issue.get("status") or {}).get("key", "")
        _mirror_status(incident, link, status_key, outcome, list(changes))
    incident.refresh_from_db()
    outcome.patch = _diff(issue, _expected(incident, directory))
    if outcome.taken and _value(issue, directory.ids.new_message) == NEW_MESSAGE_YES:
        outcome.patch[directory.ids.new_message] = NEW_MESSAGE_NO
    TrackerIssue.objects.filter(pk=link.pk).update(
        synced_status=link.synced_status,
        changelog_cursor=link.changelog_cursor,
        issue_id=issue.get("id", link.issue_id),
        sla_state=incident.sla_state,  # the live SLA is in the issue or in ``outcome.patch``
    )
    return outcome


def manual_incident(issue: dict) -> TrackerIssue:
    """An issue a dispatcher created by hand (no Local ID) becomes a manual incident."""
    with transaction.atomic():
        created_at = parse_dt(issue.get("createdAt")) or timezone.now()
        incident = create_incident(
            incident_date=created_at,
            subject=issue.get("summary", ""),
            source=IncidentSource.MANUAL,
            actor=TRACKER,
            code=issue["key"],
        )
        link = TrackerIssue.objects.create(
            incident=incident,
            key=issue["key"],
            issue_id=issue.get("id", ""),
            pushed_at=timezone.now(),
            synced_status="open",
        )
    return link  # its Local ID goes to the tracker with the reconcile PATCH


def reconcile_issue(
    client: TrackerClient,
    issue: dict,
    link: TrackerIssue | None,
    directory: TrackerDirectory,
    report: PullReport,
) -> None:
    ids = directory.ids
    local_id = issue.get(ids.local_id)
    if link is None and local_id in (None, ""):
        link = manual_incident(issue)
        report.manual_created += 1
    elif link is None:
        link = TrackerIssue.objects.filter(incident_id=local_id).first()
        if link is None and Incident.objects.filter(pk=local_id).exists():
            link = TrackerIssue.objects.create(incident_id=local_id, key=issue["key"])
        elif link is None:
            if (issue.get("status") or {}).get("key") != "error":
                client.transition_to(
                    issue["key"],
                    "error",
                    comment=_("Unknown %(field)s: no incident with this number.")
                    % {"field": ids.local_id},
                )
            report.invalid += 1
            return
        elif link.key != issue["key"]:
            TrackerIssue.objects.filter(pk=link.pk).update(key=issue["key"], claimed_at=None)
            link.key = issue["key"]
    current = Incident.objects.select_related("assignee").get(pk=link.incident_id)
    edits = read_edits(issue, current, directory)  # may read the tracker's users / fields
    edits.works = read_work_edits(issue, link, directory.subtype_field_id())
    edits.links = read_link_edits(client, link)
    edits.reasons += edits.works.reasons + edits.links.reasons
    changes, link.changelog_cursor = status_changes(client, issue, link, directory)
    remarks = read_remarks(client, issue, link, directory)
    outcome = reconcile_in_db(issue, link, edits, directory, changes)
    report.comments += store_remarks(link, *remarks)
    report.processed += 1
    report.invalid += outcome.invalid
    report.statuses += outcome.status_changed
    version = issue.get("version", 0)
    if outcome.patch:
        updated = client.update_issue(issue["key"], outcome.patch)
        if updated.get("version") == version + 1:  # nobody else wrote since our search
            version = updated["version"]
        report.patched += 1
    for text in outcome.comments:
        client.add_comment(issue["key"], text)
    incident = Incident.objects.select_related("status").get(pk=link.incident_id)
    link.refresh_from_db(fields=["synced_status"])
    try:
        sync_status(client, link, incident)
    except TrackerNoTransition as exc:  # DISPATCH's status: the push retries and reports it
        logger.warning("tracker: %s", exc)
    TrackerIssue.objects.filter(pk=link.pk).update(
        version=version, tracker_updated_at=parse_dt(issue.get("updatedAt"))
    )


# -- the cycle ---------------------------------------------------------------------------------


def single_puller() -> AbstractContextManager[bool]:
    """The session lock of the pull: one pull at a time across all machines (True = ours)."""
    return session_lock(PULL_LOCK_KEY)


def pull_cycle(client: TrackerClient, directory: TrackerDirectory) -> PullReport:
    """One pull cycle, unless another worker is pulling (then ``busy`` and nothing done)."""
    with single_puller() as mine:
        if not mine:
            return PullReport(busy=True)
        with client.budget(CYCLE_BUDGET.total_seconds()):  # a long Retry-After ends the cycle
            return _pull(client, directory)


def _pull(client: TrackerClient, directory: TrackerDirectory) -> PullReport:
    """Changed issues since the cursor, each reconciled; the cursor advances."""
    report = PullReport()
    directory.refresh_users()  # who can be an assignee: assignment reads the stored list
    cursor_row, _created = SyncCursor.objects.get_or_create(name=CURSOR_NAME)
    issues = changed_issues(client, cursor_row.value)
    report.seen = len(issues)
    links = {
        link.key: link for link in TrackerIssue.objects.filter(key__in=[i["key"] for i in issues])
    }
    new_cursor = cursor_row.value
    for issue in issues:
        link = links.get(issue["key"])
        if link is not None and link.version == issue.get("version"):
            new_cursor = max(new_cursor, issue.get("updatedAt") or "")
            continue  # our own last write, or already reconciled
        try:
            reconcile_issue(client, issue, link, directory, report)
        except TrackerUnavailable as exc:
            report.failed += 1
            report.errors.append(f"{issue['key']}: {exc}")
            logger.warning("tracker: pull stopped at %s: %s", issue["key"], exc)
            break  # retry from this issue next cycle
        except (TrackerError, Exception) as exc:
            report.failed += 1
            report.errors.append(f"{issue['key']}: {exc}")
            logger.exception("tracker: issue %s not reconciled", issue["key"])
        new_cursor = max(new_cursor, issue.get("updatedAt") or "")
    if new_cursor != cursor_row.value:
        SyncCursor.objects.filter(pk=cursor_row.pk).update(value=new_cursor)
    return report
