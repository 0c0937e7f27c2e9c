"""Reads about the tracker sync: for other apps (health report, admin) and the push."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from emails.models import EmailMessage
from users.models import User
from yandex_tracker.models import TrackerComment, TrackerIssue, TrackerUser


def push_backlog() -> dict[str, int]:
    """Counts of pushes the tracker refused (they need an administrator) and of pushes waiting
    out a back-off after a failure: one query per kind of push."""
    now = timezone.now()
    counts = {
        "refused": Count("pk", filter=Q(refused_at__isnull=False)),
        "retrying": Count("pk", filter=Q(refused_at__isnull=True, next_attempt_at__gt=now)),
    }
    issues = TrackerIssue.objects.filter(key__isnull=True).aggregate(**counts)
    comments = TrackerComment.objects.filter(posted_at__isnull=True).aggregate(**counts)
    return {name: issues[name] + comments[name] for name in counts}


def user_for_login(login: str) -> User | None:
    """The active DISPATCH user a tracker login stands for: its tracker login, or its username
    when it has none."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(tracker_login__iexact=login) | Q(tracker_login="", username__iexact=login))
        .first()
    )


def known_logins() -> set[str]:
    """Lower-cased logins of the tracker's active users, as the pull worker last read them."""
    return set(TrackerUser.objects.values_list("login", flat=True))


def pushed_email_ids(issue_pk: int) -> str:
    """The issue's ``Local emails IDs`` value: every e-mail of its incident already in it."""
    issue = TrackerIssue.objects.get(pk=issue_pk)
    ids = EmailMessage.objects.filter(
        incident_id=issue.incident_id, tracker_state=EmailMessage.TrackerState.PUSHED
    ).order_by("pk")
    return ", ".join(str(pk) for pk in ids.values_list("pk", flat=True))
