"""The incident page renders cheaply and completely: a fixed number of queries however long the
thread and history, memoised edit fields equal to a fresh rendering, contractor contacts."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.template.loader import get_template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from console import selectors
from console.forms import EDIT_FIELDS_TEMPLATE, IncidentEditForm
from emails.models import EmailAttachment, EmailMessage, EmailRecipient
from emails.outbox.models import OutboundEmail
from incidents.comments import add_comment
from incidents.links import link_incidents
from incidents.models import IncidentType, StatusKey
from incidents.services import record_status
from incidents.tests.factories import make_request, make_site
from incidents.work import set_work
from ts.models import ContractorEmail, ContractorPhone

pytestmark = pytest.mark.django_db


def _squash(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


@pytest.fixture
def full_incident(dispatcher):
    """An incident with a pole, base station, contractor e-mails and phones, and a dispatcher."""
    pole, station = make_site("77-012345", contractor_emails=("b@avr.example", "a@avr.example"))
    ContractorPhone.objects.create(contractor=pole.contractor, phone="+79990000002")
    ContractorPhone.objects.create(contractor=pole.contractor, phone="+79990000001")
    incident = make_request(pole=pole, base_station=station)
    incident.assignee = dispatcher
    incident.save()
    return incident


def _grow(incident, n: int, start: int = 0) -> None:
    """``n`` more e-mails (with recipients and attachments), status changes and outbox rows."""
    first = incident.emails.order_by("id").first()
    for i in range(start, start + n):
        email = EmailMessage.objects.create(
            message_id=f"<grow{i}@x>",
            from_address="noc@operator.example",
            sent_at=first.sent_at,
            body_text=f"Ответ {i}",
            incident=incident,
        )
        EmailRecipient.objects.create(email=email, kind="to", address=f"to{i}@x.example")
        EmailRecipient.objects.create(email=email, kind="cc", address=f"cc{i}@x.example")
        EmailAttachment.objects.create(
            email=email, filename=f"f{i}.txt", content_type="text/plain", size=1, sha256="0" * 64
        )
        OutboundEmail.objects.create(
            incident=incident,
            kind=OutboundEmail.Kind.ACCEPTED,
            message_id=f"<out{i}@dispatch>",
            dedupe_key=f"grow-{i}",
            to=[f"to{i}@x.example"],
            subject="Принято",
            body_text="Принято",
        )
    for _ in range(max(n // 2, 1)):
        record_status(incident, StatusKey.IN_PROGRESS, actor="console")
        record_status(incident, StatusKey.NEW, actor="console")


def test_every_id_on_the_incident_page_is_unique(client, dispatcher, full_incident):
    """Labels, the skip links and the browser tests find fields by id: two forms on the page
    (reply, comment) each have a "body", and only one may be ``id_body``."""
    client.force_login(dispatcher)
    page = client.get(reverse("console:incident", args=[full_incident.pk])).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert ids and len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_incident_page_queries_do_not_grow(
    client, dispatcher, full_incident, django_assert_max_num_queries
):
    client.force_login(dispatcher)
    url = reverse("console:incident", args=[full_incident.pk])
    # one query each for comments, links, works, subtypes and РВР priorities, whatever their
    # number; three for the mass-outage section (the group it leads or is in, related incidents)
    _grow(full_incident, 1)  # one of each: every list is read
    with django_assert_max_num_queries(21) as small:
        client.get(url)
    _grow(full_incident, 12, start=1)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url).content.decode()
    assert "Ответ 12" in page and "f12.txt" in page and "cc12@x.example" in page
    assert page.count("outbound-queued") == 13  # our mail in the timeline, with its text


def test_empty_lists_cost_no_query_and_rows_show_at_once(client, dispatcher, full_incident):
    """An incident without links, works, comments, changes, status history, outbox rows,
    recipients, attachments or contractor contacts reads none of those lists; the first row
    of each shows on the next page load (one query more per list)."""
    ContractorEmail.objects.filter(contractor=full_incident.pole.contractor).delete()
    ContractorPhone.objects.filter(contractor=full_incident.pole.contractor).delete()
    EmailRecipient.objects.filter(email__incident=full_incident).delete()
    full_incident.status_history.all().delete()
    client.force_login(dispatcher)
    url = reverse("console:incident", args=[full_incident.pk])
    with CaptureQueriesContext(connection) as empty:
        page = client.get(url).content.decode()
    assert 'id="work-dgu"' not in page and 'class="comment"' not in page
    assert re.search(r'<ol class="history">\s*</ol>', page)
    other = make_request(message_id="<other@x>")
    link_incidents(full_incident, other, "relates", actor="console")  # a link and two changes
    add_comment(full_incident, body="Комментарий", user=dispatcher)
    record_status(full_incident, StatusKey.IN_PROGRESS, actor="console", comment="Принято")
    set_work(full_incident, "dgu", started_at=full_incident.incident_date, actor="console")
    ContractorPhone.objects.create(contractor=full_incident.pole.contractor, phone="+79990000009")
    _grow(full_incident, 1)  # an e-mail with recipients and an attachment, an outbox row
    with CaptureQueriesContext(connection) as full:
        page = client.get(url).content.decode()
    lists = ("links", "works", "comments", "changes", "history", "outbox", "recipients",
             "attachments", "contacts")  # fmt: skip
    assert len(full) == len(empty) + len(lists), [q["sql"][:90] for q in full.captured_queries]
    assert f'href="/incidents/{other.pk}/"' in page
    assert 'id="work-dgu"' in page and "Комментарий" in page and "Принято" in page
    assert "to0@x.example" in page and "f0.txt" in page and "outbound-queued" in page
    assert "tel:+79990000009" in page and 'class="change change-' in page


def test_incident_page_lists_contractor_contacts_in_order(client, dispatcher, full_incident):
    client.force_login(dispatcher)
    page = client.get(reverse("console:incident", args=[full_incident.pk])).content.decode()
    contractor = _squash(page.split('id="contractor">', 1)[1].split("</dd>", 1)[0])
    assert contractor == (
        "АВР 77-012345 "
        '<br><a href="mailto:b@avr.example">b@avr.example</a>'
        '<br><a href="mailto:a@avr.example">a@avr.example</a> '
        '<br><a href="tel:+79990000002">+79990000002</a>'
        '<br><a href="tel:+79990000001">+79990000001</a>'
    )


def test_contacts_of_an_incident_without_pole(dispatcher):
    assert selectors.contractor_contacts(make_request()) == {"emails": [], "phones": []}


def _fresh_edit_fields(incident) -> str:
    """The edit fields as Django renders them from the model choice fields' querysets."""
    form = IncidentEditForm(
        incident=incident, initial=IncidentEditForm.for_incident(incident).initial
    )
    return get_template(EDIT_FIELDS_TEMPLATE).render({"form": form})


def test_memoised_edit_fields_equal_a_fresh_rendering(dispatcher, full_incident):
    memoised = IncidentEditForm.for_incident(full_incident).fields_html()
    assert _squash(memoised) == _squash(_fresh_edit_fields(full_incident))
    assert f'<option value="{dispatcher.pk}" selected>Анна Петрова</option>' in memoised
    assert 'value="77-012345"' in memoised


def test_edit_fields_follow_choices_and_values(dispatcher, full_incident):
    before = IncidentEditForm.for_incident(full_incident).fields_html()
    dispatcher.first_name = "Мария"
    dispatcher.save()
    incident_type = IncidentType.objects.filter(is_active=True).first()
    incident_type.name = "Новый тип"
    incident_type.save()
    full_incident.incident_type = incident_type
    full_incident.save()
    after = IncidentEditForm.for_incident(full_incident).fields_html()
    assert after != before
    assert "Мария Петрова" in after
    assert f'<option value="{incident_type.pk}" selected>Новый тип</option>' in after
    assert _squash(after) == _squash(_fresh_edit_fields(full_incident))


def test_reader_page_skips_the_edit_form_and_its_choices(
    client, dispatcher, reader, full_incident, django_assert_max_num_queries
):
    url = reverse("console:incident", args=[full_incident.pk])
    client.force_login(dispatcher)
    with django_assert_max_num_queries(21) as as_dispatcher:
        assert 'id="edit"' in client.get(url).content.decode()
    client.force_login(reader)
    with django_assert_max_num_queries(len(as_dispatcher.captured_queries) - 2):
        page = client.get(url).content.decode()
    assert 'id="edit"' not in page
    assert "a@avr.example" in page
