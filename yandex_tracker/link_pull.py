"""Links a dispatcher makes or removes between two issues in the tracker come back as incident
links (both sides, change log actor ``tracker``).

DISPATCH knows which links are in the tracker (``TrackerLink``, kept on the issue of the incident
with the lower id, as the push makes them). A link in the tracker that DISPATCH neither has nor
knows is the dispatcher's: it is made, with the same checks as in the console (a second parent or
a loop of subtasks is refused: «Ошибка» with the reason). A link DISPATCH has and knows to be in
the tracker that is gone from there was removed by the dispatcher. Links DISPATCH made or removed
and has not pushed yet are left to the push; links to issues DISPATCH does not know are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from incidents.links import LinkError, check_link, link_incidents, unlink_incidents
from incidents.models import (
    INVERSE_LINK,
    Incident,
    IncidentLink,
    IncidentStatusHistory,
    LinkKind,
)
from yandex_tracker.client import TrackerClient
from yandex_tracker.extras import RELATIONSHIPS
from yandex_tracker.models import TrackerIssue, TrackerLink

TRACKER = IncidentStatusHistory.Actor.TRACKER

# (link type, direction) as the issue's side reads it → the kind from that incident's side.
KINDS = {
    ("relates", "outward"): LinkKind.RELATES,
    ("relates", "inward"): LinkKind.RELATES,
    ("depends", "outward"): LinkKind.DEPENDS_ON,
    ("depends", "inward"): LinkKind.BLOCKS,
    ("subtask", "outward"): LinkKind.PARENT_OF,
    ("subtask", "inward"): LinkKind.SUBTASK_OF,
    ("duplicates", "outward"): LinkKind.DUPLICATES,
    ("duplicates", "inward"): LinkKind.DUPLICATED_BY,
}


@dataclass(frozen=True)
class LinkEdit:
    other: Incident
    kind: str | None  # None: the dispatcher removed the link
    link_id: str = ""


@dataclass
class LinkEdits:
    edits: list[LinkEdit] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def _in_tracker(client: TrackerClient, key: str) -> dict[str, tuple[str, str]]:
    """Other issue key → (our kind from this side, link id) for each link of the issue."""
    found: dict[str, tuple[str, str]] = {}
    for link in client.links(key):
        kind = KINDS.get(((link.get("type") or {}).get("id"), link.get("direction")))
        other = (link.get("object") or {}).get("key")
        if kind and other:
            found[other] = (kind, str(link.get("id", "")))
    return found


def _known(link: TrackerIssue, keys: set[str]) -> set[str]:
    """Of ``keys``, the issues DISPATCH knows to be linked to ``link``'s issue in the tracker."""
    mine = TrackerLink.objects.filter(issue=link, other_key__in=keys).values_list(
        "other_key", flat=True
    )
    theirs = TrackerLink.objects.filter(issue__key__in=keys, other_key=link.key).values_list(
        "issue__key", flat=True
    )
    return {*mine, *theirs}


def read_link_edits(client: TrackerClient, link: TrackerIssue) -> LinkEdits:
    """What the dispatcher linked or unlinked in the issue, checked as the console checks."""
    result = LinkEdits()
    tracker = _in_tracker(client, link.key)
    ours = {
        row.other.tracker_issue.key: row
        for row in IncidentLink.objects.filter(
            incident_id=link.incident_id, other__tracker_issue__key__isnull=False
        ).select_related("other__tracker_issue")
    }
    others = {
        issue.key: issue.incident
        for issue in TrackerIssue.objects.filter(key__in=set(tracker) | set(ours)).select_related(
            "incident"
        )
    }
    known = _known(link, set(tracker) | set(ours))
    incident = Incident.objects.get(pk=link.incident_id)
    for key, (kind, link_id) in tracker.items():
        if key in ours or key in known or key not in others:
            continue
        try:
            check_link(incident, others[key], kind)
        except LinkError as exc:
            result.reasons.append(
                _("Link to %(key)s not taken: %(reason)s") % {"key": key, "reason": exc}
            )
            continue
        result.edits.append(LinkEdit(others[key], kind, link_id))
    for key in ours:
        if key in known and key not in tracker:
            result.edits.append(LinkEdit(others[key], None))
    return result


def apply_link_edits(incident: Incident, link: TrackerIssue, edits: LinkEdits) -> list[str]:
    """Make and remove the links (all or none, inside the pull's transaction for the issue) and
    remember those made as being in the tracker, on the lower id's issue as the push keeps them.
    Returns the reason when two of them together break a rule (two parents)."""
    try:
        with transaction.atomic():
            _apply(incident, link, edits)
    except LinkError as exc:
        return [_("Links not taken: %(reason)s") % {"reason": exc}]
    return []


def _apply(incident: Incident, link: TrackerIssue, edits: LinkEdits) -> None:
    for edit in edits.edits:
        other_issue = TrackerIssue.objects.get(incident=edit.other)
        if edit.kind is None:
            unlink_incidents(incident, edit.other, actor=TRACKER)
            TrackerLink.objects.filter(issue=link, other_key=other_issue.key).delete()
            TrackerLink.objects.filter(issue=other_issue, other_key=link.key).delete()
            continue
        link_incidents(incident, edit.other, edit.kind, actor=TRACKER)
        if incident.pk < edit.other.pk:
            side, other_key, kind = link, other_issue.key, edit.kind
        else:
            side, other_key, kind = other_issue, link.key, INVERSE_LINK[LinkKind(edit.kind)]
        TrackerLink.objects.create(
            issue=side, other_key=other_key, relationship=RELATIONSHIPS[LinkKind(kind)],
            link_id=edit.link_id,
        )  # fmt: skip
