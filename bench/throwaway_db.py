"""A throw-away database for the benchmarks that run in-process (``bench/*.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.test.utils import setup_test_environment


@contextmanager
def throwaway_database(*, client_hosts: list[str] | None = None) -> Iterator[None]:
    """A migrated test database for the block, removed afterwards. With ``client_hosts`` the
    process is also set up for Django's test client: the test environment, those hosts allowed,
    static files served without a manifest."""
    if client_hosts is not None:
        setup_test_environment()
        settings.ALLOWED_HOSTS = client_hosts
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)  # migrates
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
