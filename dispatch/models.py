"""Cross-cutting state: worker heartbeats (what the health check reports)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """The last cycle of one worker program (e.g. ``ingest_mail:INBOX``)."""

    name = models.CharField(_("worker"), max_length=128, unique=True)
    last_success_at = models.DateTimeField(_("last successful cycle"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failed cycle"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    last_summary = models.CharField(_("last cycle summary"), max_length=512, blank=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RateCounter(models.Model):
    """Requests counted in one window of one sliding-window rate limit
    (``dispatch.ratelimit``), kept in the database so that every web worker and machine counts
    against the same number."""

    key = models.CharField(_("key"), max_length=255, unique=True)
    count = models.PositiveIntegerField(_("requests"), default=0)
    expires_at = models.DateTimeField(_("window ends"), db_index=True)

    class Meta:
        verbose_name = _("rate limit counter")
        verbose_name_plural = _("rate limit counters")

    def __str__(self) -> str:
        return f"{self.key}={self.count}"
