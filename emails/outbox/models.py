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
        COMPOSE = "compose", _("E-mail from the console")

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
    attachments = models.ManyToManyField(
        "emails.EmailAttachment",
        blank=True,
        related_name="forwarded_in",
        verbose_name=_("forwarded attachments"),
        help_text=_("Stored attachments of the thread sent along (by reference)."),
    )

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due_idx"),
        ]

    def __str__(self) -> str:
        return self.subject


class MailTemplate(models.Model):
    """An admin-editable e-mail template: subject and body in the Django template language over
    the documented context only (``incidents.mail_templates``)."""

    class Audience(models.TextChoices):
        REQUESTER = "requester", _("Requester")
        CONTRACTOR = "contractor", _("Contractor (АВР)")
        RVR_CONTRACTOR = "rvr_contractor", _("Repair contractor (РВР)")
        OPERATOR = "operator", _("Operator")

    key = models.SlugField(
        _("key"),
        max_length=64,
        unique=True,
        help_text=_(
            "accepted, closed and contractor are the workflow notifications; other keys are "
            "offered in the console's «New e-mail»."
        ),
    )
    name = models.CharField(_("name"), max_length=200)
    audience = models.CharField(
        _("addressees"),
        max_length=16,
        choices=Audience.choices,
        help_text=_("Whom the e-mail pre-fills in To and Cc."),
    )
    subject = models.CharField(_("subject template"), max_length=1024)
    body = models.TextField(_("body template"))
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("An inactive template is not offered; notifications use the shipped text."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("mail template")
        verbose_name_plural = _("mail templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
