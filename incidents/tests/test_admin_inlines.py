"""Comments, links and works edited inline on the incident's admin page: written through the
services (change log with the administrator, the link mirrored, the work's clock set), refused
in words when invalid, and the page posted back unchanged saves nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch.tests.test_admin_walk import form_errors, page_data
from incidents.comments import add_comment
from incidents.defaults import load_defaults
from incidents.models import (
    Actor,
    IncidentChange,
    IncidentComment,
    IncidentLink,
    IncidentType,
    IncidentWork,
    LinkKind,
)
from incidents.tests.factories import make_manual
from users.models import Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents():
    load_defaults()
    kind = IncidentType.objects.create(name="Час", sla_minutes=60)
    first, second = make_manual(), make_manual()
    first.incident_type = kind
    first.save(update_fields=["incident_type"])
    return first, second


def _page(client, incident):
    return client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))


def _post(client, incident, data):
    url = reverse("admin:incidents_incident_change", args=[incident.pk])
    return client.post(url, data)


def _row(data: dict, prefix: str, index: int, **values) -> None:
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    for name, value in values.items():
        data[f"{prefix}-{index}-{name}"] = value


def test_admin_adds_a_comment_a_link_and_a_work_through_the_services(admin_client, incidents):
    first, second = incidents
    admin = User.objects.get(username="admin")
    data = page_data(_page(admin_client, first), fill=False)
    start = timezone.localtime(timezone.now() - timedelta(hours=2))
    _row(data, "comments", 0, body="Опора обесточена, ждём подрядчика")
    _row(data, "links", 0, kind=LinkKind.PARENT_OF, other=str(second.pk))
    _row(
        data, "works", 0,
        category="avr", started_at_0=start.date().isoformat(),
        started_at_1=start.strftime("%H:%M:%S"),
    )  # fmt: skip
    answer = _post(admin_client, first, data)
    assert answer.status_code == 302, form_errors(answer)

    comment = IncidentComment.objects.get(incident=first)
    assert comment.author == admin and comment.body == "Опора обесточена, ждём подрядчика"
    assert IncidentLink.objects.get(incident=second).kind == LinkKind.SUBTASK_OF  # mirrored
    work = IncidentWork.objects.get(incident=first)
    assert work.deadline == start.replace(microsecond=0) + timedelta(hours=1)
    assert work.state == "expired"
    logged = set(IncidentChange.objects.filter(incident=first).values_list("field", "actor"))
    assert {("link", Actor.ADMIN), ("work_avr", Actor.ADMIN)} <= logged
    assert IncidentChange.objects.filter(incident=second, field="link", user=admin).exists()

    # Posted back unchanged: nothing written, no error.
    before = IncidentChange.objects.count()
    answer = _post(admin_client, first, page_data(_page(admin_client, first), fill=False))
    assert answer.status_code == 302, form_errors(answer)
    assert IncidentChange.objects.count() == before

    # The work ends, the link goes (both sides, both logs).
    data = page_data(_page(admin_client, first), fill=False)
    end = timezone.localtime(timezone.now())
    data["works-0-ended_at_0"], data["works-0-ended_at_1"] = (
        end.date().isoformat(),
        end.strftime("%H:%M:%S"),
    )
    data["links-0-DELETE"] = "on"
    answer = _post(admin_client, first, data)
    assert answer.status_code == 302, form_errors(answer)
    assert not IncidentLink.objects.filter(incident__in=[first, second]).exists()
    assert IncidentWork.objects.get(incident=first).ended_at is not None
    removed = IncidentChange.objects.filter(field="link", new_value="").values_list(
        "incident", flat=True
    )
    assert sorted(removed) == sorted([first.pk, second.pk])


def test_invalid_rows_are_refused_in_words_and_nothing_is_written(admin_client, incidents):
    first, _second = incidents
    dispatcher = User.objects.create_user(
        email="disp@tower.example", password="x" * 12, role=Role.DISPATCH
    )
    add_comment(first, body="Моё", user=dispatcher)
    data = page_data(_page(admin_client, first), fill=False)
    data["comments-0-body"] = "Исправлено администратором"  # someone else's comment
    _row(data, "links", 0, kind=LinkKind.RELATES, other=str(first.pk))  # itself
    start = timezone.localtime(timezone.now())
    before = start - timedelta(hours=1)
    _row(
        data, "works", 0, category="eks",
        started_at_0=start.date().isoformat(), started_at_1=start.strftime("%H:%M:%S"),
        ended_at_0=before.date().isoformat(), ended_at_1=before.strftime("%H:%M:%S"),
    )  # fmt: skip
    answer = _post(admin_client, first, data)
    assert answer.status_code == 200
    errors = form_errors(answer)
    assert "Изменять комментарий может только его автор." in errors, errors
    assert "Инцидент нельзя связать с самим собой." in errors
    assert errors.count("Работы не могут закончиться раньше, чем начались.") == 1
    assert IncidentComment.objects.get(incident=first).body == "Моё"
    assert not IncidentLink.objects.exists() and not IncidentWork.objects.exists()
