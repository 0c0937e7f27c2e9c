from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Statistics, exports and the map of open incidents (read-only over incidents and ts)."""

    name = "reports"
    verbose_name = _("Reports")
