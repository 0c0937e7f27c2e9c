"""Tracker state shared by all workers: OAuth tokens, sync cursors, incident ↔ issue links."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TrackerToken(models.Model):
    """The current OAuth token pair; refreshed by any worker, read by all (one row)."""

    access_token = models.TextField(_("access token"))
    refresh_token = models.TextField(_("refresh token"), blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("tracker token")
        verbose_name_plural = _("tracker tokens")

    def __str__(self) -> str:
        return f"token updated {self.updated_at:%Y-%m-%d %H:%M}"


class SyncCursor(models.Model):
    """Where a pull worker stopped (e.g. the last seen ``updatedAt``)."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    value = models.CharField(_("value"), max_length=255, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("sync cursor")
        verbose_name_plural = _("sync cursors")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class PushClaim(models.Model):
    """What a push worker keeps about one unit of work it claims: the claim, the attempts, the
    back-off after a failure, and the terminal refusal (the tracker said no: 400/403/404/422)."""

    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(
        _("next attempt"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("After a failure no worker tries again before this moment."),
    )
    refused_at = models.DateTimeField(
        _("refused"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_(
            "The tracker refused the request (400/403/404/422): it is not retried until an "
            "administrator fixes the cause and retries it."
        ),
    )

    class Meta:
        abstract = True


class TrackerIssue(PushClaim):
    """The tracker issue mirroring an incident.

    A row without ``key`` is a claim: a push worker is creating the issue. The claim carries the
    ``unique`` value sent on create, so a worker that died between create and save is recovered
    by the next one (409 → the existing issue) instead of making a duplicate.
    """

    incident = models.OneToOneField(
        "incidents.Incident",
        on_delete=models.CASCADE,
        related_name="tracker_issue",
        verbose_name=_("incident"),
    )
    key = models.CharField(_("issue key"), max_length=64, unique=True, null=True, blank=True)
    issue_id = models.CharField(_("issue id"), max_length=64, blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)
    tracker_updated_at = models.DateTimeField(_("updated in tracker"), null=True, blank=True)
    pushed_at = models.DateTimeField(_("pushed"), null=True, blank=True)
    synced_status = models.CharField(
        _("synced status"),
        max_length=64,
        blank=True,
        help_text=_("Tracker status key both sides agreed on last; a difference is a change."),
    )
    changelog_cursor = models.CharField(
        _("changelog cursor"),
        max_length=64,
        blank=True,
        help_text=_("Id of the last status change read from the issue's changelog."),
    )
    sla_state = models.CharField(
        _("synced SLA state"),
        max_length=16,
        blank=True,
        help_text=_("The incident's SLA state when the issue's SLA fields were last written."),
    )

    extras_digest = models.CharField(
        _("synced extras"),
        max_length=64,
        blank=True,
        help_text=_("Digest of the work fields, links and comments last written to the issue."),
    )
    extras_checked_at = models.DateTimeField(_("extras checked"), null=True, blank=True)
    comments_cursor = models.CharField(
        _("comments cursor"),
        max_length=64,
        blank=True,
        help_text=_("Id of the last issue comment read for dispatchers' comments."),
    )
    comments_seen_at = models.DateTimeField(
        _("comments read up to"),
        null=True,
        blank=True,
        help_text=_("The issue's last comment time when its comments were last read."),
    )
    synced_unread = models.BooleanField(
        _("«Новое сообщение» in the tracker"),
        default=True,
        help_text=_(
            "What the issue's «Новое сообщение» was last set to (issues are created with it "
            "raised); the push sets it again when the incident's unread state differs."
        ),
    )

    class Meta:
        verbose_name = _("tracker issue")
        verbose_name_plural = _("tracker issues")

    def __str__(self) -> str:
        return self.key or f"(pushing incident {self.incident_id})"


class TrackerComment(PushClaim):
    """An e-mail posted (or being posted) as a comment on the incident's issue; one per e-mail."""

    email = models.OneToOneField(
        "emails.EmailMessage",
        on_delete=models.CASCADE,
        related_name="tracker_comment",
        verbose_name=_("e-mail"),
    )
    issue = models.ForeignKey(
        TrackerIssue, on_delete=models.CASCADE, related_name="comments", verbose_name=_("issue")
    )
    comment_id = models.CharField(_("comment id"), max_length=64, blank=True)
    posted_at = models.DateTimeField(_("posted"), null=True, blank=True)

    class Meta:
        verbose_name = _("tracker comment")
        verbose_name_plural = _("tracker comments")

    def __str__(self) -> str:
        return f"{self.issue} #{self.comment_id or '?'}"


class TrackerNote(models.Model):
    """An internal comment of a dispatcher posted as a comment on the incident's issue."""

    comment = models.OneToOneField(
        "incidents.IncidentComment",
        on_delete=models.CASCADE,
        related_name="tracker_note",
        verbose_name=_("comment"),
    )
    issue = models.ForeignKey(
        TrackerIssue, on_delete=models.CASCADE, related_name="notes", verbose_name=_("issue")
    )
    tracker_id = models.CharField(_("comment id"), max_length=64)
    text_digest = models.CharField(_("posted text"), max_length=64)

    class Meta:
        verbose_name = _("tracker note")
        verbose_name_plural = _("tracker notes")

    def __str__(self) -> str:
        return f"{self.issue} #{self.tracker_id}"


class TrackerLink(models.Model):
    """A link between two incidents' issues, made in the tracker from ``issue``'s side."""

    issue = models.ForeignKey(
        TrackerIssue, on_delete=models.CASCADE, related_name="links", verbose_name=_("issue")
    )
    other_key = models.CharField(_("linked issue"), max_length=64)
    relationship = models.CharField(_("relationship"), max_length=32)
    link_id = models.CharField(_("link id"), max_length=64)

    class Meta:
        verbose_name = _("tracker link")
        verbose_name_plural = _("tracker links")
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "other_key"],
                name="yt_link_pair_unique",
                violation_error_message=_("The issues are already linked in the tracker."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.issue} {self.relationship} {self.other_key}"


class TrackerUser(models.Model):
    """A user of the tracker's organisation as ``GET /v2/users`` last listed them.

    Read by the pull worker; assignment gives incidents only to dispatchers whose tracker login
    is here (they can be the issue's assignee).
    """

    login = models.CharField(_("login"), max_length=255, unique=True)
    uid = models.CharField(_("uid"), max_length=64)
    display = models.CharField(_("name"), max_length=255, blank=True)
    seen_at = models.DateTimeField(_("listed"), default=timezone.now)

    class Meta:
        verbose_name = _("tracker user")
        verbose_name_plural = _("tracker users")
        ordering = ["login"]

    def __str__(self) -> str:
        return self.login
