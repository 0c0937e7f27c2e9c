"""Malformed TowerStore feeds (broken bytes, wrong JSON shapes, hostile values in every column)
are imported record by record or refused as a whole with a FeedError — never a crash, and a
refused feed leaves the reference data exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ts.feeds import FEEDS
from ts.models import BaseStation, Contractor, Pole
from ts.services import import_towerstore

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "towerstore"
FEED_FILES = {feed.file_name: feed for feed in FEEDS}
FUZZ = settings(
    max_examples=40,
    deadline=5000,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=300),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _demo(name: str) -> list[dict]:
    return json.loads((DEMO / name).read_text(encoding="utf-8-sig"))


def _snapshot() -> tuple:
    return (
        sorted(Pole.objects.values_list("site_id", "code", "is_active")),
        sorted(Contractor.objects.values_list("name", flat=True)),
        sorted(BaseStation.objects.values_list("name", "pole_id")),
    )


def _import(tmp_path: Path, name: str, body: bytes):
    for file_name in FEED_FILES:
        (tmp_path / file_name).write_bytes(
            body if file_name == name else (DEMO / file_name).read_bytes()
        )
    [outcome] = import_towerstore(from_dir=tmp_path, feeds=[FEED_FILES[name]])
    assert (outcome.report is None) != (outcome.error == ""), outcome
    return outcome


@pytest.fixture
def loaded(defaults, tmp_path):
    import_towerstore(from_dir=DEMO)
    return _snapshot()


@pytest.mark.parametrize("name", sorted(FEED_FILES))
@pytest.mark.parametrize(
    "body",
    [b"", b"\xff\xfe\x00garbage", b"[", b"{}", b"[]", b"[1, 2]", b"null", b'"text"',
     b"[{}]", b'[{"x": 1}]', b"[" + b"[" * 100_000 + b"]" * 100_000 + b"]"],
)  # fmt: skip
def test_broken_feed_is_refused_and_nothing_changes(loaded, tmp_path, name, body):
    outcome = _import(tmp_path, name, body)
    assert outcome.error
    assert _snapshot() == loaded


@FUZZ
@given(data=st.data())
def test_hostile_values_in_every_column(loaded, tmp_path, data):
    name = data.draw(st.sampled_from(sorted(FEED_FILES)))
    records = _demo(name)
    for record in records:
        for column in list(record):
            if data.draw(st.booleans()):
                record[column] = data.draw(json_values)
    body = json.dumps(records, ensure_ascii=False, allow_nan=True).encode()
    before = _snapshot()  # examples share the database: compare with the state just before
    outcome = _import(tmp_path, name, body)
    if outcome.error:
        assert _snapshot() == before  # refused as a whole: untouched
    else:
        assert Pole.objects.count() >= 1
