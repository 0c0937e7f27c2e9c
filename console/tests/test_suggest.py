"""Pole and base-station suggestions as JSON: the resolving rule (exact first, then the codes
and names starting with the text, active records only), narrowed by the pole, for people with
access to the console only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from console.tests.conftest import PASSWORD
from incidents.tests.factories import make_site
from ts.models import BaseStation, Pole

pytestmark = pytest.mark.django_db


@pytest.fixture
def poles(defaults):
    sites = [make_site(code) for code in ("77-0001", "77-00011", "77-0002", "78-0001")]
    Pole.objects.filter(code="77-0002").update(is_active=False)
    return {pole.code: (pole, station) for pole, station in sites}


def _get(client, user, name: str, **query) -> dict:
    assert client.login(username=user.email, password=PASSWORD)
    answer = client.get(reverse(f"console:{name}"), query)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    return answer.json()


def test_poles_exact_first_then_by_beginning_active_only(client, dispatcher, poles):
    body = _get(client, dispatcher, "suggest_poles", q=" 77-0001 ")
    assert [c["value"] for c in body["candidates"]] == ["77-0001", "77-00011"]
    assert body["candidates"][0]["label"] == "77-0001 — Москва, ул. Тверская, 1"
    by_beginning = _get(client, dispatcher, "suggest_poles", q="77")["candidates"]
    assert [c["value"] for c in by_beginning] == ["77-0001", "77-00011"]  # 77-0002 is inactive
    assert _get(client, dispatcher, "suggest_poles", q="99")["candidates"] == []
    assert _get(client, dispatcher, "suggest_poles", q="")["candidates"] == []


def test_more_than_five_says_there_are_more(client, dispatcher, defaults):
    for n in range(7):
        make_site(f"50-000{n}")
    body = _get(client, dispatcher, "suggest_poles", q="50-")
    assert len(body["candidates"]) == 5 and body["more"] is True


def test_base_stations_read_like_the_form_and_narrow_by_pole(client, dispatcher, poles):
    body = _get(client, dispatcher, "suggest_base_stations", q="БС 77-0001")
    assert body["candidates"] == [
        {"value": "БС 77-0001", "label": "БС 77-0001 · 77-0001", "pole": "77-0001"},
        {"value": "БС 77-00011", "label": "БС 77-00011 · 77-00011", "pole": "77-00011"},
    ]
    BaseStation.objects.create(name="БС-77-5", pole=poles["78-0001"][0])
    spelled = _get(client, dispatcher, "suggest_base_stations", q="BS 77-5")
    assert [c["value"] for c in spelled["candidates"]] == ["БС-77-5"]
    narrowed = _get(client, dispatcher, "suggest_base_stations", q="БС", pole="78-0001")
    assert [c["value"] for c in narrowed["candidates"]] == ["БС 78-0001", "БС-77-5"]
    unfinished = _get(client, dispatcher, "suggest_base_stations", q="БС 7", pole="7")
    assert [c["value"] for c in unfinished["candidates"]] == [
        "БС 77-0001", "БС 77-00011", "БС 78-0001",
    ]  # fmt: skip


def test_only_people_with_console_access_get_suggestions(client, guest, poles):
    assert client.get(reverse("console:suggest_poles"), {"q": "77"}).status_code == 302
    assert client.login(username=guest.email, password=PASSWORD)
    answer = client.get(reverse("console:suggest_poles"), {"q": "77"})
    assert answer.status_code in (302, 403) and b"77-0001" not in answer.content
