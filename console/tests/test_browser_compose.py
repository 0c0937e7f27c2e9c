"""«New e-mail» in a real browser: a request with a photo arrives through the real ingest worker
from Dovecot; the dispatcher opens the incident, starts a new e-mail, fills it from the
contractor template, edits the text, forwards the photo, previews and sends; ``send_outbox``
delivers the edited text with the photo to the SMTP sink."""

from __future__ import annotations

from email.message import EmailMessage as MimeMessage

import pytest
from django.core.management import call_command

from console.tests.browser import browser, live_console, wait  # noqa: F401
from console.tests.test_browser_demo_mailbox import log_in
from console.tests.test_browser_workflow import screenshot
from dispatch.testing.smtp import smtp_sink  # noqa: F401
from emails.tests.conftest import MAILBOX_USER, dovecot, point_ingest_at  # noqa: F401
from incidents.defaults import load_defaults
from incidents.models import Incident
from incidents.tests.factories import make_site
from users.models import Role, User

from .conftest import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

PHOTO = b"\xff\xd8\xff\xe0 photo of the cabinet \xff\xd9"
ADDED = "Бригада АВР должна выехать сегодня до 15:00, доступ согласован."


def request_with_photo() -> bytes:
    message = MimeMessage()
    message["From"] = "engineer@operator.example"
    message["To"] = MAILBOX_USER
    message["Subject"] = "Нет связи на опоре 02-00123"
    message["Message-ID"] = "<photo@operator.example>"
    message["Date"] = "Fri, 20 Nov 2026 09:30:00 +0000"
    message.set_content("Добрый день! Шкаф открыт, фото во вложении.")
    message.add_attachment(PHOTO, "image", "jpeg", filename="шкаф.jpg")
    return message.as_bytes()


def test_compose_from_a_template_reaches_the_smtp_sink_edited_with_the_photo(
    live_console,  # noqa: F811
    browser,  # noqa: F811
    dovecot,  # noqa: F811
    smtp_sink,  # noqa: F811
    settings,
    tmp_path,
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    settings.MEDIA_ROOT = str(tmp_path / "media")
    point_ingest_at(settings, dovecot)
    load_defaults()
    make_site("02-00123")
    User.objects.create_user(
        email="anna@dispatch.example", password=PASSWORD, role=Role.DISPATCH, first_name="Анна"
    )
    dovecot.append("INBOX", [request_with_photo()])
    call_command("ingest_mail", "--source", "imap", "--folder", "INBOX", "--once")
    incident = Incident.objects.get()
    assert incident.pole.code == "02-00123"

    log_in(browser, live_console.url, "anna@dispatch.example")
    browser.get(f"{live_console.url}/incidents/{incident.pk}/")
    browser.find_element(By.ID, "compose-start").click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "compose-form"))
    Select(browser.find_element(By.ID, "compose-template")).select_by_visible_text(
        "Карточка инцидента → подрядчику АВР"
    )
    browser.find_element(By.CSS_SELECTOR, ".compose-start button").click()
    wait(browser).until(
        lambda d: d.find_element(By.ID, "id_to").get_attribute("value") == "avr@contractor.example"
    )
    body = browser.find_element(By.ID, "id_body")
    assert "Шифр опоры: 02-00123" in body.get_attribute("value")
    body.send_keys(Keys.CONTROL, Keys.END)
    body.send_keys("\n" + ADDED)
    browser.find_element(By.ID, "id_cc").send_keys("duty@operator.example")
    browser.find_element(By.CSS_SELECTOR, "input[name=attachments]").click()
    screenshot(browser, tmp_path, "compose")

    browser.find_element(By.ID, "compose-preview-button").click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "compose-preview"))
    assert ADDED in browser.find_element(By.ID, "preview-body").text
    assert "шкаф.jpg" in browser.find_element(By.ID, "preview-attachments").text
    assert browser.find_element(By.ID, "preview-subject").text.startswith(f"Re: {incident}: ")
    screenshot(browser, tmp_path, "compose-preview")

    browser.find_element(By.ID, "compose-send").click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "thread"))
    assert "поставлено в очередь" in browser.find_element(By.CSS_SELECTOR, ".messages").text
    assert "Письмо из консоли" in browser.find_element(By.ID, "thread").text

    call_command("send_outbox", "--once")
    [message] = smtp_sink.wait_for(1)
    assert message["To"] == "avr@contractor.example"
    assert "duty@operator.example" in message["Cc"]
    assert message["Auto-Submitted"] is None
    text = message.get_body(("plain",)).get_content()
    assert ADDED in text and "Шифр опоры: 02-00123" in text
    [photo] = list(message.iter_attachments())
    assert photo.get_filename() == "шкаф.jpg" and photo.get_content() == PHOTO
