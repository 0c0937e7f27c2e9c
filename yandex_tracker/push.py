"""Push: new incidents become issues, later e-mails become comments, each exactly once.

Every unit is *claimed* first (a row created or a stale claim taken over with a conditional
UPDATE, committed), then the HTTP call is made outside any transaction, then the result is
recorded. A worker that dies between the call and the record leaves a claim that the next
worker takes over after ``CLAIM_TIMEOUT``: issues are created with a stable ``unique`` (409 →
the existing issue), comments carry the e-mail's Message-ID and are looked up before re-posting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.functions import Greatest
from django.utils import timezone

from emails.models import EmailAttachment, EmailMessage, EmailRecipient
from emails.outbox.services import retry_delay
from incidents.models import Incident
from incidents.services import set_incident_code
from yandex_tracker import cards, extras, moves
from yandex_tracker.client import TrackerClient, parse_dt
from yandex_tracker.errors import (
    TrackerAuthError,
    TrackerBadRequest,
    TrackerError,
    TrackerForbidden,
    TrackerNotFound,
    TrackerUnavailable,
    TrackerValidationError,
)
from yandex_tracker.fields import (
    ISSUE_TYPE,
    NEW_MESSAGE_NO,
    NEW_MESSAGE_YES,
    FieldIds,
    TrackerDirectory,
)
from yandex_tracker.models import PushClaim, TrackerComment, TrackerIssue
from yandex_tracker.payloads import db_owned_fields, reference_fields, without_empty
from yandex_tracker.selectors import pushed_email_ids
from yandex_tracker.status_sync import (
    out_of_sync,
    record_own_write,
    sla_out_of_sync,
    sync_sla,
    sync_status,
)

logger = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=2)
# The Retry-After waits of one cycle end well before its claims go stale (``TrackerClient.budget``).
CYCLE_BUDGET = timedelta(seconds=90)
# The tracker said no: retrying the same request cannot help (see ``record_failure``).
REFUSALS = (TrackerBadRequest, TrackerForbidden, TrackerNotFound, TrackerValidationError)
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024


@dataclass
class PushReport:
    issues_created: int = 0
    issues_recovered: int = 0
    comments_posted: int = 0
    statuses_moved: int = 0
    sla_updated: int = 0
    extras_updated: int = 0
    comments_moved: int = 0
    unread_synced: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"issues={self.issues_created} recovered={self.issues_recovered} "
            f"comments={self.comments_posted} statuses={self.statuses_moved} "
            f"sla={self.sla_updated} moved={self.comments_moved} unread={self.unread_synced} "
            f"failed={self.failed}"
        )


def issue_unique(incident: Incident) -> str:
    """Stable per incident and installation: a retry never creates a second issue.

    The epoch of the aware ``created_at`` does not depend on ``TIME_ZONE`` or the C library.
    """
    epoch = int(incident.created_at.timestamp())
    return f"dispatch:{settings.YT_QUEUE}:incident:{incident.pk}:{epoch}"


# -- claims ---------------------------------------------------------------------------------


def _due(now: datetime) -> Q:
    """Rows a worker may take: free and past their back-off, or held by a claim gone stale;
    never a row the tracker refused."""
    free = Q(claimed_at__isnull=True, next_attempt_at__lte=now)
    return Q(refused_at__isnull=True) & (free | Q(claimed_at__lt=now - CLAIM_TIMEOUT))


def _take_over(model: type[PushClaim], row: PushClaim) -> bool:
    """Conditional UPDATE: only the worker that saw this ``claimed_at`` gets the row."""
    taken = model.objects.filter(pk=row.pk, claimed_at=row.claimed_at, refused_at__isnull=True)
    if taken.update(claimed_at=timezone.now(), attempts=F("attempts") + 1):
        row.attempts += 1
        return True
    return False


def _retake(model: type[PushClaim], rows: QuerySet, limit: int) -> list[PushClaim]:
    """Up to ``limit`` due rows of ``rows`` taken over, the longest waiting first."""
    if limit <= 0:
        return []
    due = rows.filter(_due(timezone.now())).order_by(F("next_attempt_at").asc(nulls_first=True))
    return [row for row in due[:limit] if _take_over(model, row)]


def claim_incidents(limit: int) -> list[TrackerIssue]:
    """Claim up to ``limit`` open incidents that have no issue yet: new ones first, then those
    whose back-off is over (and claims of workers that died)."""
    now = timezone.now()
    claimed: list[TrackerIssue] = []
    # finished incidents (e.g. the history from before the tracker was switched on) stay out
    fresh = Incident.objects.filter(tracker_issue__isnull=True, is_finished=False).order_by(
        "created_at", "pk"
    )
    for incident_id in fresh.values_list("pk", flat=True)[:limit]:
        try:
            with transaction.atomic():
                claimed.append(
                    TrackerIssue.objects.create(incident_id=incident_id, claimed_at=now, attempts=1)
                )
        except IntegrityError:
            continue  # another worker claimed it first
    retries = TrackerIssue.objects.filter(key__isnull=True)
    return claimed + _retake(TrackerIssue, retries, limit - len(claimed))


def claim_emails(limit: int) -> list[TrackerComment]:
    """Claim up to ``limit`` pending e-mails of incidents that already have an issue."""
    now = timezone.now()
    claimed: list[TrackerComment] = []
    pending = (
        EmailMessage.objects.filter(
            tracker_state=EmailMessage.TrackerState.PENDING,
            incident__tracker_issue__key__isnull=False,
            tracker_comment__isnull=True,
        )
        .order_by("incident_id", "sent_at", "pk")
        .values_list("pk", "incident__tracker_issue__pk")
    )
    for email_id, issue_pk in pending[:limit]:
        try:
            with transaction.atomic():
                claimed.append(
                    TrackerComment.objects.create(
                        email_id=email_id, issue_id=issue_pk, claimed_at=now, attempts=1
                    )
                )
        except IntegrityError:
            continue
    retries = TrackerComment.objects.filter(posted_at__isnull=True)
    return claimed + _retake(TrackerComment, retries, limit - len(claimed))


def record_failure(row: PushClaim, error: TrackerError) -> None:
    """Give a failed claim back: refused for good when the tracker said no (400/403/404/422),
    else due again after the outbox's back-off or the server's ``Retry-After``, if longer."""
    now = timezone.now()
    changes: dict = {"claimed_at": None, "last_error": f"{type(error).__name__}: {error}"[:4000]}
    if isinstance(error, REFUSALS):
        changes["refused_at"] = now
    else:
        changes["next_attempt_at"] = now + _wait(error, row.attempts)
    type(row).objects.filter(pk=row.pk).update(**changes)


def give_back(rows: list[PushClaim], error: TrackerError) -> None:
    """Release claims the cycle stopped before trying (the tracker is unavailable): due again
    when the failed one is, with the attempt they were charged taken back."""
    for row in rows:
        type(row).objects.filter(pk=row.pk, claimed_at__isnull=False).update(
            claimed_at=None,
            next_attempt_at=timezone.now() + _wait(error, 1),
            attempts=Greatest(F("attempts") - 1, 0),
        )


def _wait(error: TrackerError, attempts: int) -> timedelta:
    server = getattr(error, "retry_after", None) or 0
    return max(retry_delay(attempts), timedelta(seconds=server))


# -- issue creation ---------------------------------------------------------------------------


def _incidents_for_push(ids: list[int]) -> dict[int, Incident]:
    emails = EmailMessage.objects.order_by("-is_first", "sent_at", "pk").prefetch_related(
        Prefetch("recipients", queryset=EmailRecipient.objects.order_by("pk")),
        Prefetch("attachments", queryset=EmailAttachment.objects.order_by("pk")),
    )
    incidents = (
        Incident.objects.filter(pk__in=ids)
        .select_related("pole__contractor", "base_station", "incident_type", "subtype", "assignee")
        .prefetch_related(
            "base_station__operators",
            "works__priority",
            "status_history__status",
            Prefetch("emails", queryset=emails),
        )
    )
    return {incident.pk: incident for incident in incidents}


def _upload(client: TrackerClient, email: EmailMessage) -> list[str]:
    ids = []
    for attachment in email.attachments.all():
        if attachment.rejected_reason or not attachment.file or attachment.is_inline:
            continue
        if attachment.size > MAX_ATTACHMENT_BYTES:
            continue
        with attachment.file.open("rb") as handle:
            content = handle.read()
        uploaded = client.upload_attachment(
            attachment.offered_name, content, attachment.content_type
        )
        ids.append(str(uploaded["id"]))
    return ids


def issue_payload(
    incident: Incident, first: EmailMessage | None, directory: TrackerDirectory
) -> dict:
    ids = directory.ids
    payload = {
        "queue": directory.queue,
        "type": ISSUE_TYPE,
        "summary": cards.issue_summary(incident),
        "description": cards.issue_description(first),
        ids.local_id: incident.pk,
        ids.new_message: NEW_MESSAGE_YES if incident.unread_since else NEW_MESSAGE_NO,
        **reference_fields(incident, ids, directory.type_field_id(), directory.subtype_field_id()),
        **db_owned_fields(incident, ids),
    }
    if first is not None:
        payload["emailFrom"] = first.from_address
        payload["emailTo"] = ", ".join(cards.recipients(first, EmailRecipient.Kind.TO))
        payload["emailCc"] = ", ".join(cards.recipients(first, EmailRecipient.Kind.CC))
        payload[ids.emails_ids] = str(first.pk)
    if incident.assignee is not None:
        uid = directory.uid_for_login(incident.assignee.tracker_user)
        if uid:
            payload["assignee"] = uid
    return without_empty(payload)


def push_incident(
    client: TrackerClient, directory: TrackerDirectory, claim: TrackerIssue, incident: Incident
) -> bool:
    """Create (or recover) the issue of a claimed incident and record it; True when created."""
    emails = list(incident.emails.all())
    first = emails[0] if emails else None
    payload = issue_payload(incident, first, directory)
    if first is not None:
        attachment_ids = _upload(client, first)
        if attachment_ids:
            payload["attachmentIds"] = attachment_ids
    issue, created = client.create_issue(payload, unique=issue_unique(incident))
    record_issue(claim, incident, issue, first, directory.subtype_field_id())
    return created


@transaction.atomic
def record_issue(
    claim: TrackerIssue,
    incident: Incident,
    issue: dict,
    first: EmailMessage | None,
    subtype_field: str | None = None,
) -> None:
    """Store the issue key (it becomes the incident code) and mark the first e-mail pushed."""
    now = timezone.now()
    TrackerIssue.objects.filter(pk=claim.pk).update(
        key=issue["key"],
        issue_id=issue.get("id", ""),
        version=issue.get("version", 0),
        tracker_updated_at=parse_dt(issue.get("updatedAt")),
        pushed_at=now,
        claimed_at=None,
        next_attempt_at=None,
        last_error="",
        synced_status=(issue.get("status") or {}).get("key", ""),
        sla_state=incident.sla_state,  # the live state was written with the issue
        extras_digest=extras.fields_only(incident, subtype_field),
        extras_checked_at=None,  # links and comments follow in the extras step
        synced_unread=incident.unread_since is not None,
    )
    if incident.code != issue["key"]:
        if Incident.objects.filter(code=issue["key"]).exclude(pk=incident.pk).exists():
            logger.error("tracker: code %s already used by another incident", issue["key"])
        else:
            set_incident_code(incident, issue["key"])
    if first is not None:
        EmailMessage.objects.filter(pk=first.pk).update(
            tracker_state=EmailMessage.TrackerState.PUSHED
        )


# -- comments ---------------------------------------------------------------------------------


def _already_posted(client: TrackerClient, key: str, email: EmailMessage) -> dict | None:
    marker = cards.card_marker(email)
    for comment in client.comments(key):
        if marker in (comment.get("text") or ""):
            return comment
    return None


def update_email_ids(
    client: TrackerClient, claim: TrackerComment, email: EmailMessage, ids: FieldIds
) -> None:
    """Best effort: keep the issue's ``Local emails IDs`` field in step (we dedupe in the DB),
    and raise «Новое сообщение» for mail that came in from outside.

    Follows the comment just posted: the issue's version went up by two (comment, PATCH).
    """
    key, version = TrackerIssue.objects.values_list("key", "version").get(pk=claim.issue_id)
    payload = {ids.emails_ids: pushed_email_ids(claim.issue_id)}
    if is_new_message(email):
        payload[ids.new_message] = NEW_MESSAGE_YES
    try:
        updated = client.update_issue(key, payload)
    except TrackerError as exc:
        logger.warning("tracker: %s: e-mail ids not updated: %s", key, exc)
        return
    record_own_write(claim.issue_id, version, updated, writes=2)
    if ids.new_message in payload:
        TrackerIssue.objects.filter(pk=claim.issue_id).update(synced_unread=True)


def is_new_message(email: EmailMessage) -> bool:
    """Mail a dispatcher should look at: incoming and written by a person."""
    return (
        email.direction == EmailMessage.Direction.INBOUND
        and email.auto_kind == EmailMessage.AutoKind.NONE
    )


def push_email(client: TrackerClient, claim: TrackerComment) -> EmailMessage:
    """Post a claimed e-mail as a comment on its incident's issue and record it."""
    email = EmailMessage.objects.prefetch_related("recipients", "attachments").get(
        pk=claim.email_id
    )
    key = TrackerIssue.objects.values_list("key", flat=True).get(pk=claim.issue_id)
    comment = _already_posted(client, key, email) if claim.attempts > 1 else None
    if comment is None:
        comment = client.add_comment(
            key, cards.email_card(email), attachment_ids=_upload(client, email)
        )
    with transaction.atomic():
        TrackerComment.objects.filter(pk=claim.pk).update(
            comment_id=str(comment["id"]),
            posted_at=timezone.now(),
            claimed_at=None,
            next_attempt_at=None,
            last_error="",
        )
        EmailMessage.objects.filter(pk=email.pk).update(
            tracker_state=EmailMessage.TrackerState.PUSHED, tracker_comment_id=str(comment["id"])
        )
    return email


# -- the cycle --------------------------------------------------------------------------------


def push_cycle(
    client: TrackerClient, directory: TrackerDirectory, *, limit: int = 100
) -> PushReport:
    """One push cycle: comments of moved e-mails withdrawn from their old issues first, then new
    incidents (so their e-mails can follow), e-mails, the SLA fields, statuses, works, links and
    comments, and «Новое сообщение» changed here. An unavailable tracker ends the cycle."""
    report = PushReport()
    steps = (_push_moved, _push_incidents, _push_emails, _push_sla, _push_statuses, _push_extras,
             _push_unread)  # fmt: skip
    with client.budget(CYCLE_BUDGET.total_seconds()):
        for step in steps:
            if not step(client, directory, report, limit):
                break
    return report


def _failed(report: PushReport, label: str, error: TrackerError) -> bool:
    """Count and log a failed unit; True when no other unit can succeed now (the tracker is
    unavailable, or it refuses our token): the cycle ends."""
    report.failed += 1
    report.errors.append(f"{label}: {error}")
    logger.warning("tracker: %s not pushed: %s", label, error)
    return isinstance(error, (TrackerUnavailable, TrackerAuthError))


def _push_incidents(
    client: TrackerClient, directory: TrackerDirectory, report: PushReport, limit: int
) -> bool:
    claims = claim_incidents(limit)
    incidents = _incidents_for_push([c.incident_id for c in claims])
    for n, claim in enumerate(claims):
        incident = incidents.get(claim.incident_id)
        if incident is None:
            continue
        try:
            created = push_incident(client, directory, claim, incident)
        except TrackerError as exc:
            record_failure(claim, exc)
            if _failed(report, f"incident {claim.incident_id}", exc):
                give_back(claims[n + 1 :], exc)
                return False
            continue
        if created:
            report.issues_created += 1
        else:
            report.issues_recovered += 1
    return True


def _push_emails(
    client: TrackerClient, directory: TrackerDirectory, report: PushReport, limit: int
) -> bool:
    claims = claim_emails(limit)
    for n, claim in enumerate(claims):
        try:
            email = push_email(client, claim)
            update_email_ids(client, claim, email, directory.ids)
        except TrackerError as exc:
            record_failure(claim, exc)
            if _failed(report, f"email {claim.email_id}", exc):
                give_back(claims[n + 1 :], exc)
                return False
            continue
        report.comments_posted += 1
    return True


def _push_sla(
    client: TrackerClient, directory: TrackerDirectory, report: PushReport, limit: int
) -> bool:
    for issue in sla_out_of_sync(limit):
        try:
            sync_sla(client, issue, directory.ids)
        except TrackerError as exc:
            defer_sync(issue, exc)
            if _failed(report, f"SLA of {issue.key}", exc):
                return False
            continue
        report.sla_updated += 1
    return True


def _push_statuses(
    client: TrackerClient, directory: TrackerDirectory, report: PushReport, limit: int
) -> bool:
    for issue in out_of_sync(limit):
        try:
            report.statuses_moved += sync_status(client, issue, issue.incident)
        except TrackerError as exc:
            defer_sync(issue, exc)
            if _failed(report, f"status of {issue.key}", exc):
                return False
    return True


def _push_extras(
    client: TrackerClient, directory: TrackerDirectory, report: PushReport, limit: int
) -> bool:
    for issue in extras.due(limit):
        try:
            report.extras_updated += extras.sync_extras(client, issue, directory)
        except TrackerError as exc:
            defer_sync(issue, exc)
            if _failed(report, f"works, links and comments of {issue.key}", exc):
                return False
    return True


def _push_moved(
    client: TrackerClient, directory: TrackerDirectory, report: PushReport, limit: int
) -> bool:
    for row in moves.moved_comments(limit):
        try:
            moves.withdraw_comment(client, row, directory.ids)
        except TrackerError as exc:
            record_failure(row, exc)
            if _failed(report, f"moved comment {row.comment_id}", exc):
                return False
            continue
        report.comments_moved += 1
    return True


def _push_unread(
    client: TrackerClient, directory: TrackerDirectory, report: PushReport, limit: int
) -> bool:
    for issue in moves.unread_out_of_sync(limit):
        try:
            moves.sync_unread(client, issue, directory.ids)
        except TrackerError as exc:
            defer_sync(issue, exc)
            if _failed(report, f"«Новое сообщение» of {issue.key}", exc):
                return False
            continue
        report.unread_synced += 1
    return True


def defer_sync(issue: TrackerIssue, error: TrackerError) -> None:
    """A failed SLA/status write of an existing issue is tried again after the back-off."""
    TrackerIssue.objects.filter(pk=issue.pk).update(
        last_error=f"{type(error).__name__}: {error}"[:4000],
        next_attempt_at=timezone.now() + _wait(error, 1),
    )
