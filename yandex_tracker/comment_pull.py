"""Comments a dispatcher writes in the tracker become the incident's internal comments.

Read only when the issue's ``lastCommentUpdatedAt`` moved past what was last read, and then only
the comments after the last one seen (``TrackerIssue.comments_cursor``). DISPATCH's own comments
(the robot's: e-mails, internal comments pushed, reasons of «Ошибка») and mail comments are
skipped. Each taken comment is remembered as a ``TrackerNote`` with the digest of the text the
push would write, so the push neither posts it again nor rewrites the dispatcher's comment.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from incidents.comments import CommentError, add_comment
from incidents.models import Incident
from users.models import User
from yandex_tracker.client import TrackerClient, parse_dt
from yandex_tracker.errors import TrackerNotFound
from yandex_tracker.extras import comment_text, text_digest
from yandex_tracker.fields import TrackerDirectory
from yandex_tracker.models import TrackerIssue, TrackerNote
from yandex_tracker.selectors import user_for_login


@dataclass(frozen=True)
class TrackerRemark:
    """A dispatcher's comment as read from the issue."""

    tracker_id: str
    text: str
    login: str | None
    display: str
    created_at: datetime | None


def _comments_changed(issue: dict, link: TrackerIssue) -> datetime | None:
    """The issue's last comment time when it is newer than the last read; else None."""
    moment = parse_dt(issue.get("lastCommentUpdatedAt"))
    if moment is None or (link.comments_seen_at and moment <= link.comments_seen_at):
        return None
    return moment


def read_remarks(
    client: TrackerClient, issue: dict, link: TrackerIssue, directory: TrackerDirectory
) -> tuple[list[TrackerRemark], str, datetime | None]:
    """New dispatchers' comments of the issue, the new cursor and the comment time read up to
    (``None``: nothing to read, no request made)."""
    moment = _comments_changed(issue, link)
    if moment is None:
        return [], link.comments_cursor, None
    robot, cursor, remarks = directory.robot_uid(), link.comments_cursor, []
    for comment in _comments_after(client, issue["key"], link.comments_cursor):
        cursor = str(comment["id"])
        author = comment.get("createdBy") or {}
        if str(author.get("id", "")) == robot or comment.get("email") or not comment.get("text"):
            continue
        remarks.append(
            TrackerRemark(
                tracker_id=cursor,
                text=comment["text"],
                login=directory.login_for_uid(str(author.get("id", ""))),
                display=str(author.get("display") or ""),
                created_at=parse_dt(comment.get("createdAt")),
            )
        )
    return remarks, cursor, moment


def _comments_after(client: TrackerClient, key: str, cursor: str) -> Iterator[dict]:
    """The comments after ``cursor``; all of them when that comment was deleted (those already
    taken are known by their ``TrackerNote``)."""
    try:
        yield from client.comments(key, after=cursor)
    except TrackerNotFound:
        if not cursor:
            raise
        yield from client.comments(key)


def _author(remark: TrackerRemark) -> User | None:
    return user_for_login(remark.login) if remark.login else None


@transaction.atomic
def store_remarks(
    link: TrackerIssue, remarks: list[TrackerRemark], cursor: str, seen: datetime | None
) -> int:
    """Add the remarks as internal comments (once each) and move the cursor; returns how many
    were added."""
    known = set(
        TrackerNote.objects.filter(
            issue=link, tracker_id__in=[r.tracker_id for r in remarks]
        ).values_list("tracker_id", flat=True)
    )
    incident = Incident.objects.get(pk=link.incident_id)
    added = 0
    for remark in remarks:
        if remark.tracker_id in known:
            continue
        author = _author(remark)
        body = remark.text if author or not remark.display else f"{remark.display}: {remark.text}"
        try:
            comment = add_comment(incident, body=body, user=author)
        except CommentError:
            continue  # empty once cleaned, or over the length limit: the tracker keeps it
        if remark.created_at:
            comment.created_at = min(remark.created_at, timezone.now())
            comment.save(update_fields=["created_at"])
        TrackerNote.objects.create(
            comment=comment, issue=link, tracker_id=remark.tracker_id,
            text_digest=text_digest(comment_text(comment)),
        )  # fmt: skip
        added += 1
    if seen is not None:
        TrackerIssue.objects.filter(pk=link.pk).update(
            comments_cursor=cursor, comments_seen_at=seen
        )
    return added
