"""Small builders for TowerStore reference data used by the ts tests."""

from __future__ import annotations

import itertools

from ts.models import BaseStation, Operator, Pole

_site_ids = itertools.count(100_000)


def make_pole(code: str, **fields: object) -> Pole:
    fields.setdefault("site_id", next(_site_ids))
    return Pole.objects.create(code=code, **fields)


def make_base_station(name: str, pole: Pole, *operators: Operator, **fields: object) -> BaseStation:
    station = BaseStation.objects.create(name=name, pole=pole, **fields)
    if operators:
        station.operators.set(operators)
    return station
