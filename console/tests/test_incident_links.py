"""Links on the incident page: made by code or number, shown on both incidents, removed; the
page's query count does not grow with the number of links, comments or changes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.comments import add_comment
from incidents.links import link_incidents
from incidents.models import IncidentLink
from incidents.services import update_incident
from incidents.tests.factories import make_request

pytestmark = pytest.mark.django_db


def _links(client, incident) -> str:
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    return page.split('id="links"', 1)[1].split("</section>", 1)[0]


def test_dispatcher_links_by_code_and_both_pages_show_it(client, dispatcher, incident):
    other = make_request(message_id="<other@x>", subject="Вторая заявка")
    client.force_login(dispatcher)
    response = client.post(
        reverse("console:link", args=[incident.pk]),
        {"kind": "duplicates", "other": str(other).lower()},
    )
    assert response.status_code == 302 and response["Location"].endswith("#links")
    assert "Дубликат" in _links(client, incident) and str(other) in _links(client, incident)
    theirs = _links(client, other)
    assert "Дублируется" in theirs and str(incident) in theirs
    response = client.post(reverse("console:unlink", args=[other.pk, incident.pk]))
    assert response.status_code == 302
    assert not IncidentLink.objects.exists()
    assert "Связанных инцидентов нет." in _links(client, incident)


@pytest.mark.parametrize(
    ("other", "message"), [("DISPATCH-999", "Инцидента «DISPATCH-999» нет."), ("self", "самим")]
)
def test_refused_link_is_shown_and_nothing_saved(client, dispatcher, incident, other, message):
    client.force_login(dispatcher)
    target = str(incident) if other == "self" else other
    response = client.post(
        reverse("console:link", args=[incident.pk]), {"kind": "relates", "other": target}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not IncidentLink.objects.exists()


def test_reader_sees_links_but_cannot_change_them(client, reader, incident):
    other = make_request(message_id="<other@x>")
    link_incidents(incident, other, "relates", actor="console")
    client.force_login(reader)
    assert str(other) in _links(client, incident)
    assert 'id="link-form"' not in _links(client, incident)
    assert client.post(reverse("console:unlink", args=[incident.pk, other.pk])).status_code == 403
    assert IncidentLink.objects.count() == 2


def test_page_queries_do_not_grow_with_links_comments_and_changes(client, dispatcher, incident):
    client.force_login(dispatcher)
    url = reverse("console:incident", args=[incident.pk])
    first = make_request(message_id="<l0@x>")
    link_incidents(incident, first, "relates", actor="console")
    add_comment(incident, body="Первый", user=dispatcher)
    update_incident(incident, changes={"subject": "Тема 0"}, actor="console")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(1, 8):
        link_incidents(incident, make_request(message_id=f"<l{n}@x>"), "blocks", actor="console")
        add_comment(incident, body=f"Комментарий {n}", user=dispatcher)
        update_incident(incident, changes={"subject": f"Тема {n}"}, actor="console")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    assert page.count('class="link link-') == 8 and "Комментарий 7" in page
