"""Push of what DISPATCH keeps beside the issue's own fields: the work categories (start, end,
the РВР priority) and the subtype as issue fields, the incident links as tracker issue links,
the dispatchers' internal comments as issue comments.

An issue is looked at when its incident changed since it was last checked (``updated_at``
moves with every such change); a digest of what the issue should show makes an unchanged one
cost no request. A link is made from the side of the incident with the lower id (the tracker
shows it on both issues); a comment is posted once and edited when its text changes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db.models import F, Prefetch, Q
from django.utils import timezone
from django.utils.formats import date_format

from incidents.models import Incident, IncidentComment, IncidentLink, LinkKind
from yandex_tracker.client import TrackerClient
from yandex_tracker.fields import RVR_PRIORITY_FIELD, WORK_FIELDS, TrackerDirectory
from yandex_tracker.models import TrackerIssue, TrackerLink, TrackerNote
from yandex_tracker.payloads import work_fields
from yandex_tracker.status_sync import record_own_write

# Our link kind → the tracker's ``relationship`` (read from the issue the link is made on).
RELATIONSHIPS = {
    LinkKind.RELATES: "relates",
    LinkKind.DUPLICATES: "duplicates",
    LinkKind.DUPLICATED_BY: "is duplicated by",
    LinkKind.SUBTASK_OF: "is subtask for",
    LinkKind.PARENT_OF: "is parent task for",
    LinkKind.BLOCKS: "is dependent by",
    LinkKind.DEPENDS_ON: "depends on",
}
EXTRA_FIELDS = (*(name for pair in WORK_FIELDS.values() for name in pair), RVR_PRIORITY_FIELD)


@dataclass
class Extras:
    """What the issue should show beyond the fields the pull reconciles."""

    fields: dict
    links: dict[str, str]  # other issue key → relationship
    comments: dict[int, str]  # comment id → text

    def digest(self) -> str:
        raw = json.dumps([self.fields, self.links, self.comments], sort_keys=True, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()


def comment_text(comment: IncidentComment) -> str:
    """How an internal comment reads in the issue: «💬 Анна Петрова, 03.12.2026 10:00: …»."""
    author = comment.author.display_name if comment.author_id else "—"
    moment = date_format(timezone.localtime(comment.created_at), "d.m.Y H:i")
    return f"💬 **{author}**, {moment}:\n\n{comment.body}"


def _fields(incident: Incident, subtype_field: str | None) -> dict:
    fields = work_fields(incident)
    if subtype_field:
        fields[subtype_field] = incident.subtype.name if incident.subtype_id else None
    return fields


def extras_of(incident: Incident, subtype_field: str | None) -> Extras:
    """The extras of ``incident`` (its works, links and comments prefetched)."""
    fields = _fields(incident, subtype_field)
    links = {
        link.other.tracker_issue.key: RELATIONSHIPS[LinkKind(link.kind)]
        for link in incident.links.all()
        if link.other_id > incident.pk and _key(link.other)
    }
    comments = {c.pk: comment_text(c) for c in incident.comments.all()}
    return Extras(fields, links, comments)


def fields_only(incident: Incident, subtype_field: str | None) -> str:
    """The digest of an issue just created with these fields (no links, no comments yet)."""
    return Extras(_fields(incident, subtype_field), {}, {}).digest()


def _key(incident: Incident) -> str:
    issue = getattr(incident, "tracker_issue", None)
    return issue.key if issue is not None and issue.key else ""


def extras_prefetch(prefix: str = "") -> list[str | Prefetch]:
    """What ``extras_of`` reads of an incident (reached through ``prefix``), in three queries."""
    links = IncidentLink.objects.select_related("other__tracker_issue")
    comments = IncidentComment.objects.select_related("author").order_by("created_at", "id")
    return [
        f"{prefix}works__priority",
        Prefetch(f"{prefix}links", queryset=links),
        Prefetch(f"{prefix}comments", queryset=comments),
    ]


def due(limit: int) -> list[TrackerIssue]:
    """Issues whose incident changed since their extras were last checked."""
    changed = Q(extras_checked_at__isnull=True) | Q(incident__updated_at__gt=F("extras_checked_at"))
    return list(
        TrackerIssue.objects.filter(changed, key__isnull=False, refused_at__isnull=True)
        .exclude(next_attempt_at__gt=timezone.now())  # a failed write's back-off
        .select_related("incident__subtype")
        .prefetch_related(*extras_prefetch("incident__"), "links", "notes")
        .order_by("incident__updated_at")[:limit]
    )


def sync_extras(client: TrackerClient, issue: TrackerIssue, directory: TrackerDirectory) -> bool:
    """Bring the issue's extras up to date; True when anything was written to the tracker."""
    checked = timezone.now()
    extras = extras_of(issue.incident, directory.subtype_field_id())
    digest = extras.digest()
    if digest == issue.extras_digest:
        TrackerIssue.objects.filter(pk=issue.pk).update(extras_checked_at=checked)
        return False
    writes = _sync_links(client, issue, extras.links)
    writes += _sync_comments(client, issue, extras.comments)
    updated = client.update_issue(issue.key, extras.fields)  # last: it returns the version
    TrackerIssue.objects.filter(pk=issue.pk).update(extras_digest=digest, extras_checked_at=checked)
    record_own_write(issue.pk, issue.version, updated, writes=writes + 1)
    return True


def _sync_links(client: TrackerClient, issue: TrackerIssue, wanted: dict[str, str]) -> int:
    """Make and remove the issue's links; returns how many were made or removed (each a new
    version of the issue)."""
    made_now = 0
    made = {link.other_key: link for link in issue.links.all()}
    for other_key, link in made.items():
        if wanted.get(other_key) != link.relationship:
            client.delete_link(issue.key, link.link_id)
            link.delete()
            made_now += 1
    for other_key, relationship in wanted.items():
        if other_key in made and made[other_key].relationship == relationship:
            continue
        created = client.add_link(issue.key, relationship, other_key)
        TrackerLink.objects.create(
            issue=issue, other_key=other_key, relationship=relationship, link_id=str(created["id"])
        )
        made_now += 1
    return made_now


def text_digest(text: str) -> str:
    """How a posted comment's text is remembered (``TrackerNote.text_digest``)."""
    return hashlib.sha256(text.encode()).hexdigest()


def _sync_comments(client: TrackerClient, issue: TrackerIssue, wanted: dict[int, str]) -> int:
    """Post new comments and edit changed ones; returns how many were posted."""
    added = 0
    posted = {note.comment_id: note for note in issue.notes.all()}
    for comment_id, text in wanted.items():
        digest = text_digest(text)
        note = posted.get(comment_id)
        if note is None:
            created = client.add_comment(issue.key, text)
            TrackerNote.objects.create(
                comment_id=comment_id, issue=issue, tracker_id=str(created["id"]),
                text_digest=digest,
            )  # fmt: skip
            added += 1
        elif note.text_digest != digest:
            client.edit_comment(issue.key, note.tracker_id, text)
            TrackerNote.objects.filter(pk=note.pk).update(text_digest=digest)
    return added
