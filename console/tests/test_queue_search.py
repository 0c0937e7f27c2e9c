"""The queue search finds mail text (Russian word forms on PostgreSQL), says when the status
filter hides matches in finished incidents, and its header counters link to their filters."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse

from emails.models import EmailMessage
from incidents.models import Incident, StatusKey
from incidents.services import record_status
from incidents.tests.factories import make_request

pytestmark = pytest.mark.django_db
QUEUE = reverse("console:queue")


def _ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr class="[^"]*" data-incident="(\d+)"', response.text)]


@pytest.fixture
def logged_in(client, dispatcher):
    client.force_login(dispatcher)
    return client


def _reply(incident: Incident, body: str) -> None:
    EmailMessage.objects.create(
        message_id=f"<r{incident.pk}-{len(body)}@x>",
        subject=f"Re: {incident.subject}",
        from_address="noc@operator.example",
        sent_at=incident.incident_date,
        body_text=body,
        incident=incident,
    )


def test_search_finds_text_of_any_e_mail_of_the_incident(logged_in):
    quiet = make_request(subject="Заявка", message_id="<q@x>", body="Всё работает.")
    loud = make_request(subject="Заявка", message_id="<l@x>", body="Всё работает.")
    _reply(loud, "Сгорел автомат в шкафу учёта")
    assert _ids(logged_in.get(QUEUE, {"q": "автомат"})) == [loud.pk]
    assert _ids(logged_in.get(QUEUE, {"q": "Автомат"})) == [loud.pk]  # case folded on SQLite too
    assert quiet.pk in _ids(logged_in.get(QUEUE, {"q": "Заявка"}))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
def test_search_finds_other_forms_of_a_russian_word(logged_in):
    incident = make_request(subject="Заявка", message_id="<f@x>", body="Повреждены опоры линии.")
    other = make_request(subject="Заявка", message_id="<g@x>", body="Всё работает.")
    found = _ids(logged_in.get(QUEUE, {"q": "опора"}))
    assert incident.pk in found and other.pk not in found
    assert _ids(logged_in.get(QUEUE, {"q": "повреждена линия"})) == [incident.pk]


def test_matches_hidden_by_the_status_filter_are_announced_with_show_all(logged_in):
    open_one = make_request(subject="Нет связи", message_id="<o@x>", body="Сгорел ввод")
    closed = make_request(subject="Нет связи", message_id="<c@x>", body="Сгорел ввод")
    record_status(closed, StatusKey.IN_PROGRESS, actor="console")
    record_status(closed, StatusKey.CLOSED, actor="console")
    page = logged_in.get(QUEUE, {"q": "ввод"})
    assert _ids(page) == [open_one.pk]
    assert 'id="hidden-matches"' in page.text and "1 инцидент" in page.text
    show_all = re.search(r'href="([^"]+)" id="show-all"', page.text).group(1)
    wider = logged_in.get(show_all.replace("&amp;", "&"))
    assert set(_ids(wider)) == {open_one.pk, closed.pk}
    assert 'id="hidden-matches"' not in wider.text
    # A status filter hides matches too; «show all» lifts it.
    by_status = logged_in.get(QUEUE, {"q": "ввод", "status": StatusKey.NEW, "scope": "all"})
    assert _ids(by_status) == [open_one.pk] and 'id="hidden-matches"' in by_status.text
    # Nothing hidden, nothing said; no search, no extra count.
    assert 'id="hidden-matches"' not in logged_in.get(QUEUE, {"q": "нет такого"}).text
    assert 'id="hidden-matches"' not in logged_in.get(QUEUE).text


def test_header_counters_are_links_to_their_filters(logged_in, dispatcher, incident_type):
    mine = make_request(message_id="<m@x>")
    other = make_request(message_id="<n@x>")
    Incident.objects.filter(pk=mine.pk).update(assignee=dispatcher, incident_type=incident_type)
    Incident.objects.filter(pk=other.pk).update(assignee=None, incident_type=None)
    page = logged_in.get(QUEUE).text
    links = dict(re.findall(r'<a class="count count-(\w+)" href="([^"]*)"', page))
    assert links == {
        "open": "/",
        "mine": "/?assignee=me",
        "unassigned": "/?assignee=none",
        "untyped": "/?type=none",
        "expired": "/?sla=expired",
        "unread": "/?unread=on",
    }
    counts = dict(re.findall(r'<strong data-count="(\w+)">(\d+)</strong>', page))
    assert counts["open"] == "2" and counts["mine"] == "1" and counts["unassigned"] == "1"
    assert counts["untyped"] == "1"
    assert _ids(logged_in.get(links["mine"])) == [mine.pk]
    assert _ids(logged_in.get(links["unassigned"])) == [other.pk]
    assert _ids(logged_in.get(links["untyped"])) == [other.pk]
    current = logged_in.get(links["mine"]).text
    assert 'class="count count-mine" href="/?assignee=me" aria-current="true"' in current


def test_search_queries_do_not_grow_with_e_mails(logged_in, django_assert_max_num_queries):
    incident = make_request(subject="Заявка", message_id="<e@x>", body="Сгорел автомат")
    with django_assert_max_num_queries(20) as few:
        assert _ids(logged_in.get(QUEUE, {"q": "автомат"})) == [incident.pk]
    for n in range(30):
        _reply(incident, "автомат " + "!" * n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert _ids(logged_in.get(QUEUE, {"q": "автомат"})) == [incident.pk]
