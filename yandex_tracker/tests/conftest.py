"""Fixtures: a real fake tracker on a free 127.0.0.1 port and the settings pointing at it."""

from __future__ import annotations

import time

import pytest

from yandex_tracker.client import TrackerClient
from yandex_tracker.fake import FakeTrackerServer


@pytest.fixture
def fake_tracker():
    server = FakeTrackerServer(queue="DISP").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def tracker_settings(settings, fake_tracker):
    """Settings of an installation configured for the fake tracker."""
    settings.YT_API_BASE_URL = fake_tracker.url
    settings.YT_OAUTH_URL = fake_tracker.oauth_url
    settings.YT_QUEUE = "DISP"
    settings.YT_ACCESS_TOKEN = "robot-token"
    settings.YT_REFRESH_TOKEN = "robot-refresh"
    settings.YT_CLIENT_ID = "client-id"
    settings.YT_CLIENT_SECRET = "client-secret"
    settings.YT_ORGANIZATION_ID = "fake-org"
    settings.YT_CLOUD_ORGANIZATION = False
    settings.YT_ENABLED = True
    settings.YT_TIMEOUT = 5
    settings.INCIDENT_CODE_PREFIX = "DISP"
    return settings


class SleepLog(list):
    """Records requested back-off delays and sleeps a bounded sliver of each (keeps tests fast)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        time.sleep(min(seconds, 0.02))


@pytest.fixture
def sleeps():
    return SleepLog()


@pytest.fixture
def client(tracker_settings, sleeps, db):
    return TrackerClient(sleep=sleeps, backoff=0.5, max_delay=30)
