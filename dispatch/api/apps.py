from django.apps import AppConfig


class DispatchApiConfig(AppConfig):
    """Shared REST API pieces (an app so that its translations are found)."""

    name = "dispatch.api"
    label = "dispatch_api"
    verbose_name = "REST API"
