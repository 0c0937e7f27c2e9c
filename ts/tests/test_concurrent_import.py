"""Two processes importing the same feed at once (PostgreSQL): no duplicates, no failure."""

from __future__ import annotations

import pytest

from dispatch.testing.threads import run_together
from ts.feeds import base_station_rows, pole_rows
from ts.models import BaseStation, Pole
from ts.services import import_base_stations, import_poles
from ts.tests.test_feed_import import bs_record, pole_record


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_of_the_same_feeds_serialise():
    poles = pole_rows([pole_record(n, f"77-{n:05d}") for n in range(1, 2001)])
    stations = base_station_rows(
        [bs_record(f"77-{n:05d}", f"БС-77-{n:05d}", "МТС", "ПАО «МТС»") for n in range(1, 2001)]
    )
    pairs, errors = run_together(lambda: (import_poles(poles), import_base_stations(stations)), 2)
    reports = [report for pair in pairs for report in pair]
    assert errors == []
    assert Pole.objects.count() == 2000
    assert BaseStation.objects.count() == 2000
    # one of each pair created everything, the other found nothing to change
    assert sorted(r.created for r in reports) == [0, 0, 2000, 2000]
