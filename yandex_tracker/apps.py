"""App configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class YandexTrackerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "yandex_tracker"
    verbose_name = _("Yandex Tracker")

    def ready(self) -> None:
        from emails.outbox.delivery import register_channel
        from yandex_tracker.delivery import TrackerCommentDelivery

        register_channel("tracker", TrackerCommentDelivery())
