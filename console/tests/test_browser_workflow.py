"""Acceptance, in a real browser: a dispatcher works a mail-created incident end to end.

Real parts only: the live server (pytest-django), headless Chromium, a Maildir read by the
``ingest_mail`` worker, the ``send_outbox`` worker delivering to an aiosmtpd sink on 127.0.0.1.
Set ``DISPATCH_SCREENSHOTS=docs/screenshots`` to refresh the README screenshots.
"""

from __future__ import annotations

import os
from datetime import timedelta
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from console.tests.browser import (  # noqa: F401
    browser,
    live_console,
    wait,
)
from console.tests.conftest import PASSWORD
from dispatch.testing.smtp import smtp_sink  # noqa: F401
from incidents.defaults import load_defaults
from incidents.models import Incident, StatusKey
from incidents.tests.factories import make_site
from users.models import Role, User

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

CONTRACTOR = "avr@contractor.example"


def write_maildir_message(root: Path, subject: str, body: str) -> str:
    """Drop one requester message into a Maildir's ``new/``; returns its Message-ID."""
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    msg = MimeMessage()
    msg["From"] = "Инженер НОЦ <noc@operator.example>"
    msg["To"] = "dispatch@localhost"
    msg["Cc"] = "duty@operator.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now() - timedelta(minutes=3))
    msg["Message-ID"] = message_id = make_msgid(domain="operator.example")
    msg.set_content(body)
    msg.add_attachment(b"photo bytes", maintype="image", subtype="jpeg", filename="Фото щита.jpg")
    (root / "new" / "1795500000.M1P1.test").write_bytes(msg.as_bytes())
    return message_id


def screenshot(driver, tmp_path: Path, name: str) -> None:
    """A full-page screenshot kept with the test output (and in DISPATCH_SCREENSHOTS if set)."""
    size = driver.get_window_size()
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(size["width"], max(size["height"], height + 120))
    try:
        driver.save_screenshot(str(tmp_path / f"{name}.png"))
        target = os.environ.get("DISPATCH_SCREENSHOTS")
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(Path(target) / f"{name}.png"))
    finally:
        driver.set_window_size(size["width"], size["height"])


def text_of(driver, css: str) -> str:
    """Rendered text of the element, read in one script (a live redraw cannot split it)."""
    return driver.execute_script("return document.querySelector(arguments[0]).innerText", css)


def click_status(driver, label: str) -> None:
    """Click the one workflow button with this label (found and clicked in one script)."""
    clicked = driver.execute_script(
        """const buttons = [...document.querySelectorAll('#workflow button[name=to]')]
             .filter((b) => b.innerText.trim() === arguments[0]);
           if (buttons.length !== 1) return buttons.length;
           buttons[0].click();
           return 1;""",
        label,
    )
    assert clicked == 1, f"expected one «{label}» button, found {clicked}"


def test_dispatcher_works_mail_incident_in_browser(
    live_console,  # noqa: F811
    browser,  # noqa: F811
    smtp_sink,  # noqa: F811
    settings,
    tmp_path,
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    settings.MEDIA_ROOT = str(tmp_path / "media")
    load_defaults()
    User.objects.create_user(
        email="anna@dispatch.example",
        password=PASSWORD,
        role=Role.DISPATCH,
        first_name="Анна",
        last_name="Петрова",
    )
    pole, _station = make_site("77-012345", contractor_emails=(CONTRACTOR,))
    make_site("78-000001", contractor_emails=("other@contractor.example",))

    # 1. Log in: the queue sends an anonymous visitor to the login page and back.
    browser.get(live_console.url + "/")
    wait(browser).until(ec.presence_of_element_located((By.NAME, "username")))
    browser.find_element(By.NAME, "username").send_keys("anna@dispatch.example")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "queue-table")))
    assert "Нет инцидентов" in text_of(browser, "#queue-table")
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "live-status"), "включено"))

    # 2. Mail arrives and is ingested by the worker: the incident appears without a reload.
    maildir = tmp_path / "maildir"
    write_maildir_message(
        maildir,
        "Авария: нет питания на объекте",
        "Добрый день! На объекте пропало питание. Просим принять меры.\n<script>alert(1)</script>",
    )
    call_command("ingest_mail", "--once", "--source", f"maildir:{maildir}", "--folder", "INBOX")
    incident = Incident.objects.get()
    # (read and click in one script: the live update may swap the table between two calls)
    row_link = f"document.querySelector(\"tr[data-incident='{incident.pk}'] a\")"
    wait(browser).until(
        lambda d: d.execute_script(f"return {row_link}?.textContent") == str(incident)
    )
    screenshot(browser, tmp_path, "e2e-queue")

    # 3. The incident page: the thread (HTML escaped), attachment link, status «Новый».
    browser.execute_script(f"{row_link}.click()")
    wait(browser).until(ec.presence_of_element_located((By.ID, "thread")))
    assert text_of(browser, "#current-status") == "Новый"
    assert "<script>alert(1)</script>" in text_of(browser, "#thread .email-body")
    assert browser.find_elements(By.CSS_SELECTOR, "#thread .attachments a[download]")

    # 4. Set the type and the pole by a prefix of its code.
    Select(browser.find_element(By.ID, "id_incident_type")).select_by_visible_text("Авария ВОЛС")
    field = browser.find_element(By.ID, "id_pole")
    field.clear()
    field.send_keys("77-012")
    browser.find_element(By.CSS_SELECTOR, "#edit button[type=submit]").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "pole-code"), pole.code))
    assert "В работе" in text_of(browser, "#summary .sla-badge")  # 24 h SLA now running
    assert CONTRACTOR in text_of(browser, "#contractor")

    # 5. «В работе» → «Передать подрядчику» (queues the contractor e-mail).
    click_status(browser, StatusKey.IN_PROGRESS.label)
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "current-status"), "В работе"))
    click_status(browser, StatusKey.NOTIFY_CONTRACTOR.label)
    wait(browser).until(
        ec.text_to_be_present_in_element((By.ID, "current-status"), "Передать подрядчику")
    )

    # 6. The outbox worker delivers it to the SMTP sink; the page shows «Передано подрядчику».
    call_command("send_outbox", "--once")
    [message] = smtp_sink.wait_for(1)
    assert message["To"] == CONTRACTOR
    assert str(incident) in message["Subject"]
    assert message["Auto-Submitted"] == "auto-replied"
    assert pole.code in message.get_body(("plain",)).get_content()
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "#live-status a")))
    browser.refresh()
    wait(browser).until(
        ec.text_to_be_present_in_element((By.ID, "current-status"), "Передано подрядчику")
    )
    screenshot(browser, tmp_path, "e2e-incident")

    # 7. Close it.
    click_status(browser, StatusKey.CLOSED.label)
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "current-status"), "Закрыт"))
    incident.refresh_from_db()
    assert incident.is_finished
    assert list(incident.status_history.values_list("status__key", flat=True)) == [
        StatusKey.NEW,
        StatusKey.IN_PROGRESS,
        StatusKey.NOTIFY_CONTRACTOR,
        StatusKey.NOTIFIED_CONTRACTOR,
        StatusKey.CLOSED,
    ]
