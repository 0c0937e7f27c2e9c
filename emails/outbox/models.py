"""The outbox: mail we send, queued with its cause and delivered after commit, exactly once."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboundEmail(models.Model):
    """A message we send, queued in the same transaction as its cause, delivered after commit."""

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted → requester")
        CLOSED = "closed", _("Closed → requester")
        CONTRACTOR = "contractor", _("Incident card → contractor")
        REPLY = "reply", _("Reply from the console")
        CLOSED_AUTO_REPLY = "closed_reply", _("Automatic answer: the incident is closed")
        ACCOUNT = "account", _("Account notice")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Suppressed")

    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbound_emails",
        verbose_name=_("incident"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    channel = models.CharField(
        _("delivery channel"),
        max_length=32,
        default="smtp",
        help_text=_("Key of the delivery backend, e.g. smtp or tracker."),
    )
    dedupe_key = models.CharField(
        _("idempotency key"),
        max_length=255,
        unique=True,
        help_text=_("The same notification is queued at most once."),
    )
    message_id = models.CharField(_("Message-ID"), max_length=998, unique=True)
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("cc"), default=list)
    dropped = models.JSONField(
        _("recipients left out"),
        default=list,
        blank=True,
        help_text=_("Addresses not sent to because of the recipient limit (MAIL_MAX_RECIPIENTS)."),
    )
    subject = models.CharField(_("subject"), max_length=1024)
    body_text = models.TextField(_("text"))
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due_idx"),
        ]

    def __str__(self) -> str:
        return self.subject
