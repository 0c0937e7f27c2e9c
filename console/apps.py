from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The built-in dispatcher console: incident queue, incident page, dispatcher load."""

    name = "console"
    verbose_name = _("Dispatcher console")

    def ready(self) -> None:
        from console import reference_cache
        from incidents.models import IncidentStatus, IncidentSubtype, IncidentType, RvrPriority
        from users.models import User

        reference_cache.connect(IncidentStatus, IncidentType, IncidentSubtype, RvrPriority, User)
