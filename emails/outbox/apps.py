"""App configuration of the outbox (its own label so its migrations stand alone)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "emails.outbox"
    label = "outbox"
    verbose_name = _("Outbox")
