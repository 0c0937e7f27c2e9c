"""The project package is also an app: it owns the cross-cutting management commands."""

from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "DISPATCH"
