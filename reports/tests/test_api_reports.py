"""The report API: the statistics as JSON and the exports, with the page's figures."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from dispatch.api.testing import client_for, make_user
from users.models import Role, User

pytestmark = pytest.mark.django_db
STATS = "/api/v1/reports/statistics/"
NOVEMBER = {"period": "month", "date": "2026-11-17"}


@pytest.fixture
def api(seed, frozen):
    return client_for(User.objects.get(email="anna@dispatch.example"))


def test_statistics_json_has_the_hand_computed_figures(api):
    data = api.get(STATS, NOVEMBER).json()
    assert data["period"]["first_day"] == "2026-11-01"
    assert data["period"]["start"] == "2026-11-01T00:00:00+03:00"
    assert data["as_of"] == "2026-12-01T00:00:00+03:00"
    totals = data["totals"]
    assert (totals["opened"], totals["closed"], totals["open"]) == (8, 5, 5)
    assert totals["mean_to_close_seconds"] == 25.6 * 3600
    assert totals["p90_to_close_seconds"] == pytest.approx(59.4 * 3600)
    (sla,) = totals["sla"]
    assert sla == {
        "clock": "incident",
        "label": "SLA инцидента",
        "expired_open": 2,
        "expired_closed": 2,
        "closed_on_time": 3,
        "waiting": 1,
        "in_progress": 1,
        "unknown_open": 1,
        "unknown_closed": 0,
        "share_on_time": 0.6,
    }
    assert [r["name"] for r in data["by_contractor"]] == ["АВР Север", "АВР Юг", ""]
    assert data["by_contractor"][2]["id"] is None
    assert len(data["daily"]) == 30 and data["daily"][0] == {
        "day": "2026-11-01",
        "opened": 1,
        "closed": 2,
        "closed_expired": 1,
    }
    assert sum(h["opened"] for h in data["hourly"]) == 8


def test_filters_and_lenient_custom_periods(api, seed):
    south = api.get(STATS, {**NOVEMBER, "contractor": seed.south.pk}).json()["totals"]
    assert (south["opened"], south["closed"]) == (3, 2)
    turned = api.get(STATS, {"period": "custom", "date": "2026-11-30", "end": "2026-11-01"})
    assert turned.json()["totals"]["opened"] == 8
    far = api.get(STATS, {"period": "quarter", "date": "9999-12-31"})
    assert far.status_code == 200 and far.json()["totals"]["opened"] == 0
    # Moscow's offset in 1900 had seconds (+02:30:17), which RFC 3339 cannot carry.
    old = api.get(STATS, {"date": "1900-01-15"}).json()["period"]
    assert (old["first_day"], old["start"]) == ("1970-01-01", "1970-01-01T00:00:00+03:00")


@pytest.mark.parametrize(
    "query",
    [
        {"operator": ""},
        {"operator": "0"},
        {"type": "x"},
        {"period": "year"},
        {"date": "2026-13-01"},
        {"region": "a\x00b"},
    ],
)
def test_bad_parameters_are_400_with_the_field(api, query):
    response = api.get(STATS, query)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and set(body["errors"]) == set(query)


def test_a_repeated_parameter_is_400(api):
    response = api.get(STATS + "?type=1&type=2")
    assert response.status_code == 400
    assert response.json()["errors"] == {"type": ["Укажите этот параметр один раз."]}


def test_statistics_export_via_the_api(api, seed):
    response = api.get(
        STATS + "export/", {**NOVEMBER, "file_format": "xlsx", "dispatcher": seed.boris.pk}
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    row = [c.value for c in book["Итоги"][2]]
    assert row[:4] == ["SLA инцидента", 3, 2, 1]
    csv = api.get(STATS + "export/", NOVEMBER)
    assert csv["Content-Type"] == "text/csv; charset=utf-8"


def test_incident_export_uses_the_incident_list_filters(api, seed):
    response = api.get(
        "/api/v1/reports/incidents/export/",
        {"file_format": "xlsx", "is_finished": "true", "ordering": "incident_date"},
    )
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    subjects = [r[1] for r in rows[1:]]
    assert subjects == [
        "Авария J",
        "Авария A",
        "Авария B",
        "Авария E",
        "Авария D",
        "Авария F",
        "Авария C",
    ]
    bad = api.get("/api/v1/reports/incidents/export/", {"is_finished": "maybe"})
    assert bad.status_code == 400 and "is_finished" in bad.json()["errors"]
    assert api.get("/api/v1/reports/incidents/export/", {"file_format": "pdf"}).status_code == 400


def test_roles(seed, frozen):
    assert client_for(None).get(STATS).status_code == 401
    assert client_for(make_user(Role.GUEST)).get(STATS).status_code == 403
    assert client_for(make_user(Role.USER)).get(STATS).status_code == 200
