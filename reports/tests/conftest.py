"""The hand-checked November data set (``seed.py``) and the moment the tests look at it."""

from __future__ import annotations

import pytest
import time_machine

from reports.tests.seed import NOW, Seed, seed_november


@pytest.fixture
def seed(settings) -> Seed:
    settings.TIME_ZONE = "Europe/Moscow"
    settings.SLA_BUSINESS_HOURS = "09:00-18:00"
    return seed_november()


@pytest.fixture
def frozen():
    """The clock stopped at ``NOW`` (3 December 2026, 12:00 Moscow time)."""
    with time_machine.travel(NOW, tick=False):
        yield
