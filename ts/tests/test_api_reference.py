"""Reference data API: poles, base stations, contractors, operators — filters and no N+1."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dispatch.api.testing import client_for, make_site, make_user
from ts.models import ContractorPhone

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return client_for(make_user())


def count_queries(api, url: str, **params) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(url, params)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


@pytest.mark.parametrize("name", ["api:pole-list", "api:base-station-list", "api:contractor-list"])
def test_list_query_count_does_not_grow_with_rows(api, name):
    make_site("P-0")
    one, body = count_queries(api, reverse(name))
    assert body["count"] >= 1
    for n in range(1, 30):
        make_site(f"P-{n}")
    thirty, body = count_queries(api, reverse(name))
    assert body["count"] >= 30
    assert one == thirty


def test_pole_filters_and_contractor_contacts(api):
    pole, station = make_site("KZN-001", region="Республика Татарстан")
    make_site("MSK-001", region="Москва")
    ContractorPhone.objects.create(contractor=pole.contractor, phone="+79991234567")
    rows = api.get(reverse("api:pole-list"), {"region": "Татарстан"}).json()["results"]
    assert [r["code"] for r in rows] == ["KZN-001"]
    assert len(rows[0]["contractor"]["emails"]) == 2
    assert [
        r["code"] for r in api.get(reverse("api:pole-list"), {"code": "msk-001"}).json()["results"]
    ] == ["MSK-001"]
    contractor = api.get(reverse("api:contractor-detail", args=[pole.contractor_id])).json()
    assert contractor["phones"] == ["+79991234567"]
    stations = api.get(reverse("api:base-station-list"), {"pole": "KZN-001"}).json()["results"]
    assert [s["name"] for s in stations] == [station.name]
    assert {o["name"] for o in stations[0]["operators"]} == {"МТС", "Билайн"}


def test_inactive_poles_can_be_filtered(api):
    pole, _station = make_site("OLD-1")
    pole.is_active = False
    pole.save()
    make_site("NEW-1")
    codes = {
        r["code"]
        for r in api.get(reverse("api:pole-list"), {"is_active": "false"}).json()["results"]
    }
    assert codes == {"OLD-1"}
