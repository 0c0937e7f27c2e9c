"""Mass outages through the API: related open incidents listed with why, a group formed from
them (only from them), read from both sides, refused in the one error shape, dissolved."""

import pytest
from django.urls import reverse

from dispatch.api.testing import client_for, make_incident, make_site, make_user
from incidents.defaults import load_defaults
from incidents.models import IncidentChange
from users.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _defaults():
    load_defaults()


def test_related_are_grouped_read_and_dissolved():
    pole, station = make_site("MSK-001")
    parent, on_pole, on_station = (
        make_incident(pole=pole),
        make_incident(pole=pole),
        make_incident(pole=pole, base_station=station),
    )
    elsewhere = make_incident(pole=make_site("MSK-002")[0])
    reader, dispatcher = client_for(make_user(Role.USER)), client_for(make_user(Role.DISPATCH))
    related = reader.get(reverse("api:incident-related", args=[parent.pk]))
    assert related.status_code == 200
    assert [(r["incident"]["id"], r["reason"], r["group_parent"]) for r in related.json()] == [
        (on_pole.pk, "pole", None),
        (on_station.pk, "pole", None),
    ]

    url = reverse("api:incident-group", args=[parent.pk])
    assert reader.post(url, {"members": [on_pole.pk]}, format="json").status_code == 403
    refused = dispatcher.post(url, {"members": [on_pole.pk, elsewhere.pk]}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "group_not_allowed"
    assert dispatcher.post(url, {"members": []}, format="json").status_code == 400
    made = dispatcher.post(url, {"members": [on_pole.pk, on_station.pk]}, format="json")
    assert made.status_code == 200, made.content
    assert [m["id"] for m in made.json()["members"]] == [on_pole.pk, on_station.pk]
    child = reader.get(reverse("api:incident-group", args=[on_pole.pk])).json()
    assert child["parent"]["id"] == parent.pk and child["members"] == []
    nested = dispatcher.post(
        reverse("api:incident-group", args=[on_pole.pk]), {"members": [parent.pk]}, format="json"
    )
    assert nested.status_code == 409
    dispatcher.post(
        reverse("api:incident-change-status", args=[on_pole.pk]), {"status": "in_progress"},
        format="json",
    )  # fmt: skip
    card = dispatcher.post(
        reverse("api:incident-change-status", args=[on_pole.pk]), {"status": "notify_contractor"},
        format="json",
    )  # fmt: skip
    assert card.status_code == 409 and "одну карточку" in card.json()["detail"], card.content

    assert dispatcher.delete(url).status_code == 204
    assert dispatcher.delete(url).status_code == 404
    assert reader.get(url).json() == {"parent": None, "members": []}
    assert IncidentChange.objects.filter(incident=parent, field="link", actor="api").count() == 4
