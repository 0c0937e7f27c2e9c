"""Fixtures shared by the project-level tests."""

from dispatch.tests.test_admin_walk import admin_client  # noqa: F401  (the signed-in admin)
