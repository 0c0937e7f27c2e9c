"""Admin pages for poles and base stations: search, contractor and operators shown."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ts.models import Contractor, ContractorEmail, Operator
from ts.tests.factories import make_base_station, make_pole

pytestmark = [pytest.mark.django_db, pytest.mark.urls("ts.tests.admin_urls")]


@pytest.fixture
def staff_client(client):
    admin = get_user_model().objects.create_superuser(email="admin@dispatch.local", password="x")
    client.force_login(admin)
    return client


@pytest.fixture
def sites():
    contractor = Contractor.objects.create(name="ООО «СтройСвязьМонтаж»")
    ContractorEmail.objects.create(contractor=contractor, email="avr@ssm.ru")
    mts = Operator.objects.create(name="МТС", group="ПАО «МТС»")
    t2 = Operator.objects.create(name="Т2", group="ООО «Т2 Мобайл»")
    stations = []
    for n in range(5):
        pole = make_pole(f"77-1234{n}", contractor=contractor)
        stations.append(make_base_station(f"БС-77-1234{n}", pole, mts, t2))
    make_pole("02-00123")
    return stations


def test_pole_search_by_code_shows_contractor(staff_client, sites):
    page = staff_client.get(reverse("admin:ts_pole_changelist"), {"q": "77-12342"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "77-12342" in text and "77-12341" not in text
    assert "ООО «СтройСвязьМонтаж»" in text


def test_base_station_search_by_name_shows_operators_without_n_plus_one(staff_client, sites):
    url = reverse("admin:ts_basestation_changelist")
    with CaptureQueriesContext(connection) as one:
        staff_client.get(url, {"q": "БС-77-12340"})
    with CaptureQueriesContext(connection) as all_five:
        page = staff_client.get(url, {"q": "БС-77"})
    text = page.content.decode()
    assert text.count("МТС (ПАО «МТС»), Т2 (ООО «Т2 Мобайл»)") == 5
    assert "ООО «СтройСвязьМонтаж»" in text
    assert len(all_five) == len(one)


def test_pole_page_shows_base_stations_operators_and_contractor_contacts(staff_client, sites):
    pole = sites[0].pole
    page = staff_client.get(reverse("admin:ts_pole_change", args=[pole.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "БС-77-12340" in text
    assert "МТС (ПАО «МТС»)" in text
    assert "avr@ssm.ru" in text
