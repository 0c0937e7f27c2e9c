"""App configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ts"
    verbose_name = _("TowerStore")

    def ready(self) -> None:
        from ts import signals  # noqa: F401  (connects the index invalidation)
