"""A mass outage in a real browser: four operators write about one pole, the mail arrives
through the real ingest worker from Dovecot, the dispatcher groups the four incidents under one
parent on its page, asks for the contractor card once, and the SMTP sink gets exactly one card
(listing the group) while every member is «Передано подрядчику»."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from console.tests.browser import browser, live_console, wait  # noqa: F401
from console.tests.test_browser_demo_mailbox import log_in
from console.tests.test_browser_mail_day import ingest, mail_desk  # noqa: F401
from console.tests.test_browser_workflow import screenshot
from dispatch.testing.smtp import smtp_sink  # noqa: F401
from emails.tests.conftest import build_message, dovecot  # noqa: F401
from incidents.mass_outage import children
from incidents.models import Incident, StatusKey
from ts.models import Contractor, ContractorEmail, Pole

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

OPERATORS = {
    "noc@mts.example": "МТС",
    "noc@beeline.example": "Билайн",
    "noc@megafon.example": "МегаФон",
    "noc@t2.example": "Т2",
}


def test_four_reports_on_one_pole_grouped_and_one_contractor_card(
    live_console,  # noqa: F811
    browser,  # noqa: F811
    mail_desk,  # noqa: F811
    smtp_sink,  # noqa: F811
    settings,
    tmp_path,
):
    settings.NOTIFICATION_CHANNEL = "smtp"
    contractor = Contractor.objects.create(name="АВР Север")
    ContractorEmail.objects.create(contractor=contractor, email="avr@contractor.example")
    Pole.objects.create(
        site_id=123, code="02-00123", address="Уфа, ул. Ленина, 1", contractor=contractor
    )
    reports = [
        build_message(
            f"{name}: нет связи на опоре 02-00123",
            "Пропало питание на опоре 02-00123.",
            sender=sender,
            message_id=f"<outage-{n}@operator.example>",
        )
        for n, (sender, name) in enumerate(OPERATORS.items())
    ]
    mail_desk.append("INBOX", reports)
    ingest()
    incidents = list(Incident.objects.order_by("pk"))
    assert len(incidents) == 4 and {i.pole.code for i in incidents} == {"02-00123"}
    parent, *others = incidents

    log_in(browser, live_console.url, "anna@dispatch.example")
    browser.get(f"{live_console.url}/incidents/{parent.pk}/")
    proposal = browser.find_element("id", "mass-outage-proposal").text
    assert "ещё 3 открытых инцидента на том же объекте" in proposal
    related = browser.find_element("id", "mass-outage-related").text
    assert all(str(other) in related for other in others) and "та же опора" in related
    screenshot(browser, tmp_path, "mass-outage")
    browser.find_element("id", "mass-outage-group").click()
    wait(browser).until(lambda d: d.find_elements("id", "mass-outage-members"))
    members = browser.find_element("id", "mass-outage-members").text
    assert all(str(other) in members for other in others)
    assert [m.pk for m in children(parent)] == [o.pk for o in others]

    for key, shown in (
        (StatusKey.IN_PROGRESS, "В работе"),
        (StatusKey.NOTIFY_CONTRACTOR, "Передать подрядчику"),
    ):
        browser.find_element("css selector", f'button[name="to"][value="{key}"]').click()
        wait(browser).until(lambda d, s=shown: d.find_element("id", "current-status").text == s)
    call_command("send_outbox", "--once")
    call_command("send_outbox", "--once")
    [card] = smtp_sink.wait_for(1)
    assert [a.addr_spec for a in card["To"].addresses] == ["avr@contractor.example"]
    text = card.get_content()
    assert f"в группу {parent} входят также обращения (3)" in text
    assert all(str(other) in text for other in others)
    assert len(smtp_sink.messages) == 1
    for incident in incidents:
        incident.refresh_from_db()
        assert incident.status.key == StatusKey.NOTIFIED_CONTRACTOR, incident

    browser.get(f"{live_console.url}/incidents/{others[0].pk}/")
    assert str(parent) in browser.find_element("id", "mass-outage-parent").text
    history = browser.find_element("id", "history").text
    assert f"Подрядчику отправлена карточка группы {parent}" in history
