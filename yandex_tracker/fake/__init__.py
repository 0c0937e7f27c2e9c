"""A contract-faithful fake Yandex Tracker (HTTP server) for tests, benchmarks and demos."""

from yandex_tracker.fake.server import FakeTrackerServer
from yandex_tracker.fake.state import FakeTracker

__all__ = ["FakeTracker", "FakeTrackerServer"]
