"""DISPATCH → tracker for moved e-mails, merges and the unread state, derived from the stored
state like the rest of the push (no queue of its own to lose):

- an e-mail moved to another incident still has its comment on the old incident's issue: the
  comment is deleted there (404: gone already), the issue's ``Local emails IDs`` lists what it
  still has, and the e-mail, pending again since the move, is
  posted on its new incident's issue by the e-mail step;
- a merge moves the merged incident's e-mails like that; its «duplicate» link goes to the
  tracker as an issue link and its comments as issue comments (``extras``), its closing through
  the status sync with the history's «Объединён с …» as the transition comment; an undo reverses
  each of these the same way;
- «Новое сообщение» follows the incident's unread state: raised with new mail, lowered when the
  dispatcher opens the incident in the console (``mark_read``).
"""

from __future__ import annotations

import logging

from django.db.models import F, Q

from yandex_tracker.client import TrackerClient
from yandex_tracker.errors import TrackerError, TrackerNotFound
from yandex_tracker.fields import NEW_MESSAGE_NO, NEW_MESSAGE_YES, FieldIds
from yandex_tracker.models import TrackerComment, TrackerIssue
from yandex_tracker.selectors import pushed_email_ids
from yandex_tracker.status_sync import due_issues, record_own_write

logger = logging.getLogger(__name__)


# -- comments of moved e-mails ----------------------------------------------------------------


def moved_comments(limit: int) -> list[TrackerComment]:
    """Comments posted on an issue whose incident the e-mail has left."""
    return list(
        TrackerComment.objects.filter(posted_at__isnull=False)
        .exclude(issue__incident_id=F("email__incident_id"))
        .select_related("issue")
        .order_by("pk")[:limit]
    )


def withdraw_comment(client: TrackerClient, row: TrackerComment, ids: FieldIds) -> None:
    """Delete the moved e-mail's comment from the old issue and forget it, so that the e-mail
    is posted on its new incident's issue; the old issue's ``Local emails IDs`` then lists the
    e-mails it still has."""
    try:
        client.delete_comment(row.issue.key, row.comment_id)
    except TrackerNotFound:
        logger.info("tracker: comment %s of %s was gone already", row.comment_id, row.issue.key)
    TrackerComment.objects.filter(pk=row.pk).delete()
    version = TrackerIssue.objects.values_list("version", flat=True).get(pk=row.issue_id)
    payload = {ids.emails_ids: pushed_email_ids(row.issue_id)}
    try:
        updated = client.update_issue(row.issue.key, payload)
    except TrackerError as exc:  # best effort, as after a posted comment (we dedupe in the DB)
        logger.warning("tracker: %s: e-mail ids not updated: %s", row.issue.key, exc)
        return
    record_own_write(row.issue_id, version, updated)


# -- «Новое сообщение» ------------------------------------------------------------------------


def unread_out_of_sync(limit: int) -> list[TrackerIssue]:
    """Issues whose «Новое сообщение» differs from their incident's unread state."""
    differs = Q(synced_unread=True, incident__unread_since__isnull=True) | Q(
        synced_unread=False, incident__unread_since__isnull=False
    )
    return list(due_issues().filter(differs).select_related("incident").order_by("pk")[:limit])


def sync_unread(client: TrackerClient, issue: TrackerIssue, ids: FieldIds) -> None:
    """Raise or lower the issue's «Новое сообщение» as the incident is unread or read."""
    unread = issue.incident.unread_since is not None
    value = NEW_MESSAGE_YES if unread else NEW_MESSAGE_NO
    updated = client.update_issue(issue.key, {ids.new_message: value})
    TrackerIssue.objects.filter(pk=issue.pk).update(synced_unread=unread)
    record_own_write(issue.pk, issue.version, updated)
