"""One-query loading of a recognised base station / pole gives the same records as the ORM."""

from __future__ import annotations

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from ts.loading import load_base_station, load_pole
from ts.models import BaseStation, Contractor, Pole
from ts.tests.factories import make_base_station, make_pole

pytestmark = pytest.mark.django_db


def same(a, b) -> bool:
    return (
        type(a) is type(b) and model_to_dict(a) == model_to_dict(b) and a.updated_at == b.updated_at
    )


def test_station_with_pole_and_contractor_in_one_query():
    contractor = Contractor.objects.create(name="ООО «Невская АВР»", is_excluded_from_contract=True)
    pole = make_pole(
        "78-03310", contractor=contractor, latitude=59.9386, longitude=30.3141, height=30.5
    )
    station = make_base_station("БС-78-03310", pole)
    with CaptureQueriesContext(connection) as queries:
        loaded = load_base_station(station.pk)
        loaded_contractor = loaded.pole.contractor
    assert len(queries) == 1
    assert same(loaded, BaseStation.objects.get(pk=station.pk))
    assert same(loaded.pole, Pole.objects.get(pk=pole.pk))
    assert same(loaded_contractor, contractor)
    assert loaded_contractor.is_excluded_from_contract is True
    assert not loaded._state.adding


def test_pole_without_contractor():
    pole = make_pole("77-12345")
    with CaptureQueriesContext(connection) as queries:
        loaded = load_pole(pole.pk)
        assert loaded.contractor is None
    assert len(queries) == 1
    assert same(loaded, pole)
    loaded.address = "г. Москва"
    loaded.save()  # a normal model instance
    assert Pole.objects.get(pk=pole.pk).address == "г. Москва"


def test_missing_ids_give_none():
    assert load_pole(10**9) is None
    assert load_base_station(10**9) is None
