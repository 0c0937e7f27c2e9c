"""The map: markers for the queue's filter, its policy with and without a tile server."""

from __future__ import annotations

import pytest

from reports.map import tile_origin
from users.models import Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def logged_in(seed, frozen, client):
    client.force_login(User.objects.get(email="anna@dispatch.example"))


def test_open_incidents_with_coordinates_become_markers(client, seed):
    data = client.get("/reports/map/incidents.json").json()
    # Open now: G (Юг), K (Север) on poles; H, I, L have no pole.
    by_code = {p["code"]: p for p in data["points"]}
    g, k = seed.incidents["G"], seed.incidents["K"]
    assert set(by_code) == {g.code, k.code}
    assert by_code[g.code] == {
        "id": g.pk,
        "code": g.code,
        "subject": "Авария G",
        "sla": "expired",
        "status": "Новый",
        "pole": "23-0002",
        "lat": 45.03,
        "lon": 38.97,
        "url": f"/incidents/{g.pk}/",
    }
    assert data["without_coordinates"] == 3 and data["truncated"] is False


def test_markers_follow_the_queue_filter_and_the_limit(client, seed, settings):
    data = client.get("/reports/map/incidents.json", {"scope": "all", "type": seed.business.pk})
    assert sorted(p["subject"] for p in data.json()["points"]) == ["Авария D", "Авария E"]
    settings.MAP_MAX_MARKERS = 1
    data = client.get("/reports/map/incidents.json", {"scope": "all"}).json()
    assert len(data["points"]) == 1 and data["truncated"] is True
    assert data["without_coordinates"] is None


def test_the_page_without_tiles_is_self_contained(client):
    response = client.get("/reports/map/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-tile-url=""' in html and "no-tiles" in html
    assert "/static/vendor/leaflet-1.9.4/leaflet.js" in html
    assert "img-src 'self' data:;" in response["Content-Security-Policy"]
    assert "Просрочен" in html  # the legend


def test_a_tile_server_is_allowed_by_the_policy(client, settings):
    settings.MAP_TILE_URL = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© Картография"
    response = client.get("/reports/map/")
    policy = response["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tiles.example.org;" in policy
    assert "script-src 'self';" in policy
    assert 'data-tile-attribution="© Картография"' in response.content.decode()


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://tile.example.org/{z}/{x}/{y}.png", "https://tile.example.org"),
        ("http://10.0.0.5:8080/tiles/{z}/{x}/{y}.png", "http://10.0.0.5:8080"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("javascript:alert(1)", None),
        ("", None),
    ],
)
def test_tile_origin(url, origin):
    assert tile_origin(url) == origin


def test_every_approved_role_sees_the_map(client, seed):
    reader = User.objects.create_user(email="r@x.example", password="x-Secret-123", role=Role.USER)
    client.force_login(reader)
    assert client.get("/reports/map/").status_code == 200
    client.logout()
    assert client.get("/reports/map/incidents.json").status_code == 302
