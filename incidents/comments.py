"""Internal comments on incidents: dispatchers add them; only the author edits one, and each
edit is kept in the incident's change log (the old and the new text)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import Incident, IncidentComment
from incidents.services import lock_incident, log_changes, mark_first_action

MAX_COMMENT_LENGTH = 10_000


class CommentError(ValueError):
    """A comment that cannot be saved; the message says why (shown to the person)."""


class NotCommentAuthor(CommentError):
    """Someone other than the author tried to edit a comment."""


def clean_body(body: str) -> str:
    """The text to store; :class:`CommentError` for an empty or overlong one."""
    text = (body or "").replace("\x00", "").strip()
    if not text:
        raise CommentError(_("The comment is empty."))
    if len(text) > MAX_COMMENT_LENGTH:
        raise CommentError(
            _("The comment is longer than %(limit)s characters.") % {"limit": MAX_COMMENT_LENGTH}
        )
    return text


def add_comment(incident: Incident, *, body: str, user) -> IncidentComment:
    """Add ``user``'s comment to ``incident``; raises :class:`CommentError` for an empty or
    overlong text."""
    text = clean_body(body)
    comment = IncidentComment.objects.create(incident=incident, author=user, body=text)
    Incident.objects.filter(pk=incident.pk).update(updated_at=comment.created_at)
    if user is not None:
        mark_first_action(incident, comment.created_at)
    return comment


def check_author(comment: IncidentComment, user) -> None:
    """Only its author edits a comment (:class:`NotCommentAuthor` for anyone else)."""
    if user is None or comment.author_id != user.pk:
        raise NotCommentAuthor(_("Only the author of a comment may edit it."))


def edit_comment(comment: IncidentComment, *, body: str, user, actor: str) -> bool:
    """Replace the text of ``comment`` (its author only) and record the edit in the change log.

    Returns False when the text is unchanged; raises :class:`NotCommentAuthor` for anyone but
    the author and :class:`CommentError` for an empty or overlong text.
    """
    check_author(comment, user)
    text = clean_body(body)
    with transaction.atomic():
        lock_incident(comment.incident_id)  # edits of one incident's comments queue up
        current = IncidentComment.objects.select_for_update().get(pk=comment.pk)
        if current.body == text:
            return False
        now = timezone.now()
        IncidentComment.objects.filter(pk=comment.pk).update(body=text, edited_at=now)
        Incident.objects.filter(pk=comment.incident_id).update(updated_at=now)
        log_changes(
            Incident(pk=comment.incident_id),
            [("comment", current.body, text)],
            actor=actor,
            user=user,
            at=now,
        )
    comment.body, comment.edited_at = text, now
    return True
