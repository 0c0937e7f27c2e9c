"""Editing type, pole, base station and dispatcher with the tracker sync's validation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import IncidentType, SlaState
from incidents.tests.factories import make_site
from ts.models import BaseStation
from users.models import Role, User

pytestmark = pytest.mark.django_db


def _edit(client, incident, **data):
    payload = {"incident_type": "", "pole": "", "base_station": "", "assignee": ""}
    payload.update({k: "" if v is None else v for k, v in data.items()})
    return client.post(reverse("console:edit", args=[incident.pk]), payload)


@pytest.fixture
def logged_in(client, dispatcher):
    client.force_login(dispatcher)
    return client


def test_pole_is_set_by_an_unambiguous_prefix(logged_in, incident, dispatcher):
    pole, _ = make_site("77-012345")
    make_site("78-000001")
    response = _edit(logged_in, incident, pole="77-01", assignee=dispatcher.pk)
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.pole == pole
    assert incident.base_station is None
    page = logged_in.get(response["Location"]).content.decode()
    assert "Инцидент обновлён." in page


def test_ambiguous_or_unknown_pole_is_refused_and_nothing_saved(logged_in, incident):
    make_site("77-012345")
    make_site("77-019999")
    response = _edit(logged_in, incident, pole="77-01")
    assert response.status_code == 422
    page = response.content.decode()
    assert "77-012345" in page
    assert "77-019999" in page
    assert 'value="77-01"' in page  # what the dispatcher typed is kept
    response = _edit(logged_in, incident, pole="99-")
    assert response.status_code == 422
    assert "не найдена" in response.content.decode().lower()
    incident.refresh_from_db()
    assert incident.pole is None


def test_base_station_must_be_on_the_pole(logged_in, incident):
    pole, _station = make_site("77-012345")
    _other_pole, other_station = make_site("78-000001")
    response = _edit(logged_in, incident, pole=pole.code, base_station=other_station.name)
    assert response.status_code == 422
    incident.refresh_from_db()
    assert incident.pole is None and incident.base_station is None


def test_base_station_alone_brings_its_pole(logged_in, incident):
    pole, station = make_site("77-012345")
    assert _edit(logged_in, incident, base_station=station.name).status_code == 302
    incident.refresh_from_db()
    assert (incident.pole, incident.base_station) == (pole, station)


def test_base_station_spelled_bs_is_found(logged_in, incident):
    pole, _ = make_site("77-012345")
    station = BaseStation.objects.create(name="БС-77-12345", pole=pole)
    assert _edit(logged_in, incident, base_station="BS 77-12345").status_code == 302
    incident.refresh_from_db()
    assert incident.base_station == station


def test_type_sets_the_sla_deadline(logged_in, incident):
    incident_type = IncidentType.objects.get(name="Авария ВОЛС")
    assert _edit(logged_in, incident, incident_type=incident_type.pk).status_code == 302
    incident.refresh_from_db()
    assert incident.incident_type == incident_type
    assert incident.sla_deadline is not None
    assert incident.sla_state == SlaState.IN_PROGRESS
    assert _edit(logged_in, incident).status_code == 302  # clearing the type
    incident.refresh_from_db()
    assert (incident.sla_deadline, incident.sla_state) == (None, SlaState.UNKNOWN)


def test_inactive_type_and_non_dispatcher_assignee_are_refused(logged_in, incident, reader):
    old = IncidentType.objects.create(name="Устаревший", sla_minutes=60, is_active=False)
    assert _edit(logged_in, incident, incident_type=old.pk).status_code == 422
    assert _edit(logged_in, incident, assignee=reader.pk).status_code == 422
    incident.refresh_from_db()
    assert incident.incident_type is None


def test_assignee_can_be_changed_to_another_dispatcher(logged_in, incident):
    other = User.objects.create_user(email="boris@dispatch.example", role=Role.DISPATCH)
    assert _edit(logged_in, incident, assignee=other.pk).status_code == 302
    incident.refresh_from_db()
    assert incident.assignee == other


def test_saving_unchanged_values_changes_nothing(logged_in, incident):
    incident.refresh_from_db()
    before = incident.updated_at
    response = _edit(logged_in, incident, assignee=incident.assignee_id)
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.updated_at == before
    assert "Ничего не изменилось." in logged_in.get(response["Location"]).content.decode()


def test_pole_deactivated_by_towerstore_is_kept_when_other_fields_change(logged_in, incident):
    pole, station = make_site("77-012345")
    incident.pole, incident.base_station = pole, station
    incident.save()
    pole.is_active = False
    pole.save()
    station.is_active = False
    station.save()
    ivols = IncidentType.objects.get(name="Авария ВОЛС")
    response = _edit(
        logged_in, incident, incident_type=ivols.pk, pole=pole.code, base_station=station.name
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.incident_type, incident.pole, incident.base_station) == (ivols, pole, station)
    # typing it anew is validated as usual: an inactive pole cannot be chosen
    incident.pole = incident.base_station = None
    incident.save()
    assert _edit(logged_in, incident, pole=pole.code).status_code == 422


def test_errors_are_announced_and_tied_to_the_field(logged_in, incident):
    response = _edit(logged_in, incident, pole="99-")
    page = response.content.decode()
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="id_pole_helptext id_pole_error"' in page
    assert '<ul class="errorlist" id="id_pole_error" role="alert">' in page
    assert '<small id="id_pole_helptext">' in page
