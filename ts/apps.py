"""App configuration."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_default_contractor(using: str = "default", **kwargs: object) -> None:
    from ts.services import ensure_default_contractor

    ensure_default_contractor(using=using)


class TsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ts"
    verbose_name = _("TowerStore")

    def ready(self) -> None:
        from ts import signals  # noqa: F401  (connects the index invalidation)

        # The default contractor always exists once the schema does.
        post_migrate.connect(_ensure_default_contractor, sender=self)
