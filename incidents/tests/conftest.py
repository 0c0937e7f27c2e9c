"""Fixtures shared by the incidents tests."""

import pytest

from incidents.defaults import load_defaults


@pytest.fixture
def notification_setup(settings):
    """Default statuses/types, the built-in tracker and our mailbox on example.ru over SMTP."""
    load_defaults()
    settings.YT_ENABLED = False
    settings.INCIDENT_CODE_PREFIX = "DSP"
    settings.DISPATCH_MAILBOX = "dispatch@example.ru"
    settings.DEFAULT_FROM_EMAIL = "dispatch@example.ru"
    settings.MESSAGE_ID_DOMAIN = "example.ru"
    settings.NOTIFICATION_CHANNEL = "smtp"
