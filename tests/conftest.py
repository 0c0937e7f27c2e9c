"""Real servers for the reliability, fuzz and security suites (fixtures of the apps reused)."""

from __future__ import annotations

import pytest

from emails.tests.conftest import dovecot, imap_source  # noqa: F401 (real Dovecot)
from yandex_tracker.tests.conftest import (  # noqa: F401 (real fake tracker on 127.0.0.1)
    fake_tracker,
    sleeps,
    tracker_settings,
)


@pytest.fixture
def defaults(db) -> None:
    """Default incident types and statuses."""
    from incidents.defaults import load_defaults

    load_defaults()
