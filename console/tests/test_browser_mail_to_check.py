"""In a real browser: the dispatcher sees mail to check and whom a reply goes to before sending it
(issue #16 finding 2). Mail is ingested from a real Dovecot; the page is the live console."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console.tests.browser import browser, live_console, wait  # noqa: F401
from console.tests.conftest import PASSWORD
from emails.ingest import ingest_folder
from emails.models import EmailMessage
from emails.outbox.models import OutboundEmail
from emails.tests.conftest import MAILBOX_USER, build_message
from incidents.defaults import load_defaults
from incidents.models import Incident
from users.models import Role, User

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


def test_dispatcher_sees_the_outsider_flag_and_the_recipients(
    live_console,  # noqa: F811
    browser,  # noqa: F811
    dovecot,
    imap_source,
    settings,
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    settings.DISPATCH_MAILBOX = MAILBOX_USER
    load_defaults()
    User.objects.create_user(email="anna@dispatch.example", password=PASSWORD, role=Role.DISPATCH)
    dovecot.append(
        "INBOX",
        [
            build_message(
                "Нет связи на опоре", "Прошу проверить.", sender="engineer@megafon.example",
                message_id="<req@megafon.example>", headers={"Cc": "boss@megafon.example"},
            )
        ],
    )  # fmt: skip
    ingest_folder(imap_source, "INBOX")
    incident = Incident.objects.get()
    dovecot.append(
        "INBOX",
        [
            build_message(
                f"Re: {incident.code}", "Ответы присылайте мне.", sender="attacker@evil.example",
                message_id="<evil@evil.example>", date=datetime(2030, 1, 1, tzinfo=UTC),
            )
        ],
    )  # fmt: skip
    ingest_folder(imap_source, "INBOX")

    browser.get(f"{live_console.url}/incidents/{incident.pk}/")
    wait(browser).until(ec.presence_of_element_located((By.NAME, "username")))
    browser.find_element(By.NAME, "username").send_keys("anna@dispatch.example")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "to-check")))

    warning = browser.find_element(By.ID, "to-check")
    assert warning.is_displayed()
    assert "1 письмо нужно проверить, прежде чем ему доверять:" in warning.text
    assert "attacker@evil.example" in warning.text
    note = browser.find_element(By.CSS_SELECTOR, ".email-to-check .review-note")
    assert note.is_displayed() and "отправитель не участвует в переписке" in note.text
    assert "проверить" in browser.find_element(By.CSS_SELECTOR, ".email-to-check .tag-warning").text

    to = browser.find_element(By.ID, "reply-to")
    assert to.is_displayed() and "Кому: engineer@megafon.example" in to.text
    choices = [
        box.get_attribute("value")
        for box in browser.find_elements(By.CSS_SELECTOR, "#reply-cc input[type=checkbox]")
    ]
    assert choices == ["boss@megafon.example"]
    browser.find_element(By.CSS_SELECTOR, "#reply-cc input[value='boss@megafon.example']").click()
    browser.find_element(By.ID, "id_body").send_keys("Бригада выехала.")
    browser.find_element(By.CSS_SELECTOR, "#reply button[type=submit]").click()
    wait(browser).until(
        ec.text_to_be_present_in_element(
            (By.CSS_SELECTOR, ".messages"),
            f"engineer@megafon.example, boss@megafon.example, {MAILBOX_USER}",
        )
    )
    queued = OutboundEmail.objects.get()
    assert queued.to == ["engineer@megafon.example"]
    assert queued.cc == ["boss@megafon.example", MAILBOX_USER]

    flagged = EmailMessage.objects.get(message_id="<evil@evil.example>")
    browser.find_element(By.ID, f"email-{flagged.pk}-checked").click()
    wait(browser).until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), "Письмо отмечено")
    )
    assert not browser.find_elements(By.CSS_SELECTOR, ".email-to-check")
    assert not browser.find_elements(By.ID, "to-check")
    changes = browser.find_element(By.ID, "changes").text
    assert "Проверка письма: attacker@evil.example: Привязано по коду инцидента" in changes
