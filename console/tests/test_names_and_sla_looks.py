"""One name per person (name, else login) on the console, in the API, the change log and the
account e-mails; «Завершён» on the incident page; closed-late incidents set apart from open
overdue ones; pole codes kept on one line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from console.tests.conftest import PASSWORD
from dispatch.api.testing import client_for
from emails.outbox.models import OutboundEmail
from incidents.models import Actor, Incident, IncidentType
from incidents.services import record_status, update_incident
from incidents.sla_sweep import sweep_sla
from incidents.tests.factories import make_request
from users.models import Role, User
from users.services import notify_role_granted

pytestmark = pytest.mark.django_db


@pytest.fixture
def nameless(defaults) -> User:
    return User.objects.create_user(
        email="bob@dispatch.example", username="bob.desk", password=PASSWORD, role=Role.DISPATCH
    )


def _signed_in(client, user: User):
    assert client.login(username=user.email, password=PASSWORD)
    return client


def test_a_person_without_a_name_is_shown_by_login_everywhere(client, nameless, dispatcher):
    incident = make_request()
    update_incident(incident, changes={"assignee": dispatcher}, actor=Actor.CONSOLE, user=nameless)
    update_incident(incident, changes={"assignee": nameless}, actor=Actor.CONSOLE, user=dispatcher)
    _signed_in(client, nameless)

    queue = client.get(reverse("console:queue")).content.decode()
    assert "bob.desk" in queue and "bob@dispatch.example" not in queue.split("<main")[1]
    # The filter's and the bulk action's dispatcher lists name people as the rows do.
    for select in ('id="id_assignee"', 'id="bulk-assignee"'):
        options = queue.split(select)[1].split("</select>")[0]
        assert f'value="{nameless.pk}">bob.desk</option>' in options
        assert f'value="{dispatcher.pk}">Анна Петрова</option>' in options
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    assert "<dd>bob.desk</dd>" in page and "bob@dispatch.example" not in page.split("<main")[1]
    changes = incident.changes.order_by("pk")
    assert [(c.old_value, c.new_value) for c in changes] == [
        ("bob.desk", "Анна Петрова"), ("Анна Петрова", "bob.desk"),
    ]  # fmt: skip

    body = client_for(nameless).get(f"/api/v1/incidents/{incident.pk}/").json()
    assert body["dispatcher"]["display_name"] == "bob.desk"
    notify_role_granted(nameless)
    mail = OutboundEmail.objects.filter(to__icontains="bob@dispatch.example").latest("pk")
    assert mail.body_text.startswith("Здравствуйте, bob.desk!")
    assert str(nameless) == nameless.display_name == "bob.desk"
    assert dispatcher.display_name == str(dispatcher) == "Анна Петрова"


def test_finished_incident_says_zavershen_with_the_date(client, dispatcher):
    incident = make_request()
    record_status(incident, "closed", actor=Actor.CONSOLE, user=dispatcher)
    page = _signed_in(client, dispatcher).get(reverse("console:incident", args=[incident.pk]))
    assert "<dt>Завершён</dt>" in page.content.decode()


def test_closed_late_is_set_apart_from_open_overdue(client, dispatcher):
    kind = IncidentType.objects.create(name="Срочно", sla_minutes=10)
    long_ago = timezone.now() - timedelta(hours=2)
    overdue = make_request(sent_at=long_ago, message_id="<a@x>")
    late = make_request(sent_at=long_ago, message_id="<b@x>")
    for incident in (overdue, late):
        update_incident(incident, changes={"incident_type": kind}, actor=Actor.CONSOLE)
    record_status(late, "closed", actor=Actor.CONSOLE, user=dispatcher)
    sweep_sla()
    assert set(Incident.objects.values_list("sla_state", flat=True)) == {"expired"}

    _signed_in(client, dispatcher)
    queue = client.get(reverse("console:queue") + "?scope=all").content.decode()
    assert f'<tr class="sla-expired" data-incident="{overdue.pk}"' in queue
    assert f'<tr class="sla-closed_late" data-incident="{late.pk}"' in queue
    assert '<span class="sla-badge sla-closed_late">Закрыт с опозданием</span>' in queue
    assert '<span class="sla-badge sla-expired">Просрочен</span>' in queue
    page = client.get(reverse("console:incident", args=[late.pk])).content.decode()
    assert '<span class="sla-badge sla-closed_late">Закрыт с опозданием</span>' in page
    css = (settings.BASE_DIR / "console/static/console/console.css").read_text()
    assert ".sla-badge.sla-closed_late {" in css


def test_pole_codes_do_not_wrap(client, dispatcher, site):
    pole, _station = site
    incident = make_request()
    update_incident(incident, changes={"pole": pole}, actor=Actor.CONSOLE)
    _signed_in(client, dispatcher)
    queue = client.get(reverse("console:queue")).content.decode()
    assert f'<span class="pole-code">{pole.code}</span>' in queue
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    assert f'<dd id="pole-code" class="pole-code">{pole.code}</dd>' in page
    css = (settings.BASE_DIR / "console/static/console/console.css").read_text()
    assert ".pole-code { white-space: nowrap; }" in css
