"""Acceptance, in a real browser: a dispatcher takes a mail-created incident from «Новый» to
«Закрыт» with a contractor card and a reply, counting the clicks, with no manual refresh: the
page follows the outbox's deliveries by itself (issue #20 items 1, 2, 3, 7 and 9).

Real parts only: the live server (pytest-django), headless Chromium at 1400×1000 then 390×844, a
Maildir read by the ``ingest_mail`` worker, the ``send_outbox`` worker delivering to an aiosmtpd
sink on 127.0.0.1. Set ``DISPATCH_SCREENSHOTS=docs/screenshots`` to refresh the screenshots.
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
    live_console,
    start_browser,
    stop_browser,
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


def write_maildir_message(
    root: Path, subject: str, body: str, *, name: str = "1795500000.M1P1.test", **headers: str
) -> str:
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
    for header, value in headers.items():
        msg[header.replace("_", "-")] = value
    msg.set_content(body)
    msg.add_attachment(b"photo bytes", maintype="image", subtype="jpeg", filename="Фото щита.jpg")
    (root / "new" / name).write_bytes(msg.as_bytes())
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


class Clicks:
    """Real mouse clicks (Selenium's, not scripted), counted; a click that lands on an element the
    live update just replaced is retried on the fresh one and counted once."""

    def __init__(self, driver) -> None:
        self.driver = driver
        self.count = 0

    def on(self, css: str) -> None:
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.by import By

        def clicked(driver) -> bool:
            try:
                element = driver.find_element(By.CSS_SELECTOR, css)
                driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
                element.click()
            except StaleElementReferenceException:
                return False
            return True

        wait(self.driver).until(clicked)
        self.count += 1


NOT_RELOADED = "return window.dispatchNotReloaded === true"


def status_is(label: str):
    return lambda d: (
        d.execute_script("return document.getElementById('current-status')?.innerText.trim()")
        == label
    )


def delivered_live(driver, smtp_sink, count: int, label: str) -> None:  # noqa: F811
    """The outbox worker delivers; the page shows the new status without being reloaded."""
    driver.execute_script("window.dispatchNotReloaded = true")
    call_command("send_outbox", "--once")
    smtp_sink.wait_for(count)
    wait(driver).until(status_is(label))
    assert driver.execute_script(NOT_RELOADED), "the page was reloaded"


def test_new_to_closed_with_contractor_card_and_reply_in_few_clicks(
    live_console,  # noqa: F811
    smtp_sink,  # noqa: F811
    settings,
    tmp_path,
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

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
    make_site("77-019999", contractor_emails=("other@contractor.example",))
    browser = start_browser(1400, 1000)
    try:
        # Log in: the queue sends an anonymous visitor to the login page and back.
        browser.get(live_console.url + "/")
        wait(browser).until(ec.presence_of_element_located((By.NAME, "username")))
        browser.find_element(By.NAME, "username").send_keys("anna@dispatch.example")
        browser.find_element(By.NAME, "password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        wait(browser).until(ec.presence_of_element_located((By.ID, "queue-table")))
        wait(browser).until(ec.text_to_be_present_in_element((By.ID, "live-status"), "включено"))

        # Mail arrives and is ingested: the incident appears in the queue without a reload.
        maildir = tmp_path / "maildir"
        write_maildir_message(
            maildir,
            "Авария: нет питания на опоре 77-012345",
            "Добрый день! На объекте пропало питание.\n<script>alert(1)</script>",
        )
        call_command("ingest_mail", "--once", "--source", f"maildir:{maildir}", "--folder", "INBOX")
        incident = Incident.objects.get()
        assert incident.pole == pole  # recognised in the subject
        row = f"tr[data-incident='{incident.pk}'] a"
        wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, row)))
        screenshot(browser, tmp_path, "e2e-queue")

        clicks = Clicks(browser)
        clicks.on(row)  # 1: open it
        wait(browser).until(status_is("Новый"))
        assert "<script>alert(1)</script>" in text_of(browser, "#thread .email-body")
        clicks.on("#take-button")  # 2: «Взять себе» — mine and «В работе»
        wait(browser).until(status_is("В работе"))
        assert "Анна Петрова" in text_of(browser, "#summary")
        # 3, 4: the type, left unsaved: the status change below carries it (item 2)
        clicks.on("#id_incident_type")
        clicks.on("#id_incident_type option:nth-child(2)")
        chosen = browser.execute_script(
            "const s = document.getElementById('id_incident_type');"
            "return s.options[s.selectedIndex].text"
        )
        clicks.on("button[name=to][value=notify_contractor]")  # 5: ✉ «Передать подрядчику»
        wait(browser).until(status_is("Передать подрядчику"))
        assert chosen in text_of(browser, "#summary")
        assert "письмо отправляется" in text_of(browser, "#status-actions")
        delivered_live(browser, smtp_sink, 1, "Передано подрядчику")
        card = text_of(browser, "#thread")  # the card with its text and state, in the thread
        assert pole.code in card and "отправлено" in card and "наше" in card
        screenshot(browser, tmp_path, "e2e-incident")

        clicks.on("#reply textarea")  # 6
        browser.switch_to.active_element.send_keys("Бригада выехала, ждите звонка.")
        clicks.on("#reply button[type=submit]")  # 7
        wait(browser).until(ec.text_to_be_present_in_element((By.ID, "thread"), "Бригада выехала"))
        browser.execute_script("window.dispatchNotReloaded = true")
        call_command("send_outbox", "--once")
        [_card, reply] = smtp_sink.wait_for(2)
        assert reply["To"] == "noc@operator.example"
        wait(browser).until(
            lambda d: d.execute_script(
                "return [...document.querySelectorAll('#thread .email-ours')].at(-1)"
                "?.innerText.includes('отправлено')"
            )
        )
        assert browser.execute_script(NOT_RELOADED)

        # The requester answers: the mail worker reads it and the page shows it by itself,
        # keeping a comment the dispatcher started to type (that card is not redrawn).
        draft = browser.find_element(By.CSS_SELECTOR, "#comment-form textarea")
        draft.send_keys("Черновик комментария")
        write_maildir_message(
            maildir,
            f"RE: {incident}: Авария",
            "Спасибо, бригаду встретим.",
            name="1795500100.M2P1.test",
            In_Reply_To=reply["Message-ID"],
        )
        call_command("ingest_mail", "--once", "--source", f"maildir:{maildir}", "--folder", "INBOX")
        wait(browser).until(ec.text_to_be_present_in_element((By.ID, "thread"), "бригаду встретим"))
        assert browser.execute_script(NOT_RELOADED)
        assert draft.get_attribute("value") == "Черновик комментария"
        assert "начатые вами формы оставлены" in text_of(browser, "#live-status")

        clicks.on("button[name=to][value=closed]")  # 8: «Закрыт»
        wait(browser).until(status_is("Закрыт"))
        assert clicks.count <= 8, clicks.count
        print(f"clicks from the queue to «Закрыт»: {clicks.count}")
        incident.refresh_from_db()
        assert incident.is_finished and incident.incident_type.name == chosen
        assert list(incident.status_history.values_list("status__key", flat=True)) == [
            StatusKey.NEW,
            StatusKey.IN_PROGRESS,
            StatusKey.NOTIFY_CONTRACTOR,
            StatusKey.NOTIFIED_CONTRACTOR,
            StatusKey.CLOSED,
        ]

        # On a phone: the status actions and the edit card come before the thread; a refused
        # edit (an ambiguous pole prefix) keeps what was typed and brings the field into view.
        browser.set_window_size(390, 844)
        browser.refresh()
        tops = browser.execute_script(
            "return ['workflow', 'edit', 'thread'].map("
            "(id) => document.getElementById(id).getBoundingClientRect().top)"
        )
        assert tops == sorted(tops), tops
        no_overflow = (
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
        assert browser.execute_script(no_overflow)
        field = browser.find_element(By.ID, "id_pole")
        field.clear()
        field.send_keys("77-01")
        browser.find_element(By.CSS_SELECTOR, "button[name=to][value=in_progress]").click()
        wait(browser).until(lambda d: d.switch_to.active_element.get_attribute("id") == "id_pole")
        assert browser.find_element(By.ID, "id_pole").get_attribute("value") == "77-01"
        in_view = browser.execute_script(
            "const r = document.getElementById('id_pole').getBoundingClientRect();"
            "return r.top >= 0 && r.bottom <= window.innerHeight"
        )
        assert in_view
        assert status_is("Закрыт")(browser)  # nothing changed
        screenshot(browser, tmp_path, "e2e-incident-phone")
    finally:
        stop_browser(browser)
