"""System checks for the workflow settings (run by ``manage.py check`` and at start-up)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from emails.outbox.delivery import channels
from incidents.sla import BusinessHours

# Tagged so that worker commands, which run only the checks that concern them
# (dispatch.workers.WORKER_CHECKS), still refuse to start on a broken setting.
WORKFLOW_TAG = "workflow"


@register(WORKFLOW_TAG, Tags.compatibility)
def check_workflow_settings(app_configs=None, **kwargs) -> list:
    problems: list = []
    try:
        BusinessHours.parse(settings.SLA_BUSINESS_HOURS)
    except ValueError as exc:
        problems.append(Error(str(exc), id="incidents.E001"))
    if settings.NOTIFICATION_CHANNEL not in channels():
        problems.append(
            Warning(
                f"NOTIFICATION_CHANNEL={settings.NOTIFICATION_CHANNEL!r} has no delivery backend "
                f"(registered: {', '.join(channels())}); notifications will wait in the outbox.",
                id="incidents.W001",
            )
        )
    return problems
