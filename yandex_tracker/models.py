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


class TrackerIssue(models.Model):
    """The tracker issue mirroring an incident."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, related_name="tracker_issue"
    )
    key = models.CharField(_("issue key"), max_length=64, unique=True)
    issue_id = models.CharField(_("issue id"), max_length=64, blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)
    tracker_updated_at = models.DateTimeField(_("updated in tracker"), null=True, blank=True)
    pushed_at = models.DateTimeField(_("pushed"), default=timezone.now)

    class Meta:
        verbose_name = _("tracker issue")
        verbose_name_plural = _("tracker issues")

    def __str__(self) -> str:
        return self.key
