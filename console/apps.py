from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The built-in dispatcher console: incident queue, incident page, dispatcher load."""

    name = "console"
    verbose_name = _("Dispatcher console")
