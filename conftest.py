"""Test-suite hooks shared by every app."""

from __future__ import annotations

import os

import pytest


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {'postgresql' if os.environ.get('DB_HOST') else 'sqlite'}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres`` need PostgreSQL: on the SQLite pass they are deselected.
    Tests marked ``containers`` (image builds, the compose stack) run only when asked for with
    ``-m containers``; scripts/test runs them once, in a pass of their own."""
    on_postgres = bool(os.environ.get("DB_HOST"))
    containers_asked = "containers" in (config.option.markexpr or "")
    kept, dropped = [], []
    for item in items:
        unwanted = (item.get_closest_marker("postgres") and not on_postgres) or (
            item.get_closest_marker("containers") and not containers_asked
        )
        (dropped if unwanted else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(autouse=True)
def _fresh_pole_index():
    """Each test starts without a pole index in memory (``ts.recognition``), as a new worker does:
    whether one was built by an earlier test changes how an ingest starts (emails.ingest)."""
    from ts.recognition import invalidate_index

    invalidate_index()


@pytest.fixture(autouse=True)
def _fresh_sweep_memory():
    """Each test starts without a previous SLA sweep (``incidents.sla_sweep._previous``)."""
    from incidents import sla_sweep

    sla_sweep._previous.clear()
    yield
    sla_sweep._previous.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A test stopped by pytest-timeout on PostgreSQL gets the database's sessions and lock
    waits attached to its report: a hang in a query then says who it waited on."""
    report = yield
    if report.failed and os.environ.get("DB_HOST") and "Timeout" in str(call.excinfo or ""):
        from pathlib import Path

        from dispatch.testing.postgres import activity_report

        log = os.environ.get("DISPATCH_TEST_PG_LOG")
        report.sections.append(
            ("PostgreSQL sessions", activity_report(dict(os.environ), Path(log) if log else None))
        )
    return report
