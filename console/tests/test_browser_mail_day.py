"""The dispatcher's mail day in a real browser, mail arriving through the real ingest worker
(``ingest_mail``) from a real Dovecot and leaving through ``send_outbox`` to an SMTP sink: a reply
turns its queue row bold within 2 s and raises the unread count, opening the incident reads it;
mail on a closed incident gets exactly one automatic answer and the second reopens it."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

from console.tests.browser import (  # noqa: F401
    browser,
    live_console,
    wait,
)
from console.tests.test_browser_demo_mailbox import log_in
from console.tests.test_browser_workflow import screenshot
from dispatch.testing.smtp import smtp_sink  # noqa: F401
from emails.tests.conftest import (  # noqa: F401
    build_message,
    dovecot,
    point_ingest_at,
)
from incidents.defaults import load_defaults
from incidents.models import Incident, StatusKey
from incidents.services import record_status
from users.models import Role, User

from .conftest import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

# Connected; or already redrawn by an event (opening the incident moved it: that is news too).
LIVE = """const s = document.getElementById('live-status');
  return [s.dataset.textConnected, s.dataset.textUpdated].includes(s.textContent);"""
ROW_STATE = """const row = document.querySelector('tr[data-incident="' + arguments[0] + '"]');
  const count = document.querySelector('[data-count=unread]');
  return [row ? getComputedStyle(row.querySelector('td')).fontWeight : null,
          count ? count.textContent.trim() : null];"""


@pytest.fixture
def mail_desk(transactional_db, dovecot, settings, tmp_path):  # noqa: F811
    """Defaults, a dispatcher, and the ingest worker pointed at the test Dovecot."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    point_ingest_at(settings, dovecot)
    load_defaults()
    User.objects.create_user(
        email="anna@dispatch.example", password=PASSWORD, role=Role.DISPATCH, first_name="Анна"
    )
    return dovecot


def open_row(driver, pk: int) -> bool:
    """Click the incident's row until its page is open: the live stream may replace the queue's
    table between finding the row and clicking it (the click then hits a detached row)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    if driver.find_elements("id", "thread"):
        return True
    try:
        driver.find_element("css selector", f'tr[data-incident="{pk}"] a').click()
    except (NoSuchElementException, StaleElementReferenceException):
        return False
    return bool(driver.find_elements("id", "thread"))


def ingest() -> None:
    call_command("ingest_mail", "--source", "imap", "--folder", "INBOX", "--once")


def test_reply_turns_row_bold_and_opening_reads_it(live_console, browser, mail_desk, tmp_path):  # noqa: F811
    mail_desk.append("INBOX", [build_message("Нет связи на опоре 02-00123", message_id="<q@op>")])
    ingest()
    incident = Incident.objects.get()
    log_in(browser, live_console.url, "anna@dispatch.example")
    browser.get(f"{live_console.url}/incidents/{incident.pk}/")  # reads the new incident
    browser.get(live_console.url + "/")
    wait(browser).until(lambda d: d.execute_script(ROW_STATE, incident.pk) == ["400", "0"])
    wait(browser).until(lambda d: d.execute_script(LIVE))  # the page listens to the stream

    reply = build_message(
        "RE: Нет связи на опоре 02-00123", "Питание так и не появилось.",
        message_id="<re@op>", in_reply_to="<q@op>", references=["<q@op>"],
    )  # fmt: skip
    mail_desk.append("INBOX", [reply])
    ingest()
    arrived = time.monotonic()
    wait(browser, 5).until(lambda d: d.execute_script(ROW_STATE, incident.pk) == ["700", "1"])
    assert time.monotonic() - arrived < 2.0
    screenshot(browser, tmp_path, "queue-unread")

    wait(browser).until(lambda d: open_row(d, incident.pk))
    assert "Питание так и не появилось." in browser.find_element("id", "thread").text
    browser.back()
    browser.refresh()
    wait(browser).until(lambda d: d.execute_script(ROW_STATE, incident.pk) == ["400", "0"])
    assert Incident.objects.get().unread_since is None


def test_mail_on_a_closed_incident_answered_once_then_reopened(
    live_console,  # noqa: F811
    browser,  # noqa: F811
    mail_desk,
    smtp_sink,  # noqa: F811
    tmp_path,
):
    mail_desk.append("INBOX", [build_message("Нет связи на опоре 02-00123", message_id="<q@op>")])
    ingest()
    incident = Incident.objects.get()
    record_status(incident, StatusKey.CLOSED, actor="console", comment="Связь восстановлена")

    def late(n: int) -> bytes:
        return build_message(
            "RE: Нет связи на опоре 02-00123", f"Связи снова нет ({n}).",
            message_id=f"<late{n}@op>", in_reply_to="<q@op>", references=["<q@op>"],
        )  # fmt: skip

    mail_desk.append("INBOX", [late(1)])
    ingest()
    call_command("send_outbox", "--once")
    [answer] = smtp_sink.wait_for(1)
    assert answer["To"] == "engineer@operator.example"
    assert answer["Auto-Submitted"] == "auto-replied"
    assert answer["In-Reply-To"] == "<late1@op>"
    assert "закрыта" in answer.get_content()

    log_in(browser, live_console.url, "anna@dispatch.example")
    browser.get(f"{live_console.url}/incidents/{incident.pk}/")
    assert browser.find_element("id", "current-status").text == "Закрыт"

    mail_desk.append("INBOX", [late(2)])
    ingest()
    call_command("send_outbox", "--once")
    browser.get(f"{live_console.url}/incidents/{incident.pk}/")
    assert browser.find_element("id", "current-status").text == "В работе"
    history = browser.find_element("id", "history").text
    assert "Открыт снова" in history and "engineer@operator.example" in history
    screenshot(browser, tmp_path, "incident-reopened")
    assert len(smtp_sink.messages) == 1  # the reopening mail got no second answer


def test_mail_search_and_quarantine_release(live_console, browser, mail_desk, tmp_path):  # noqa: F811
    from pathlib import Path

    nested = (Path(__file__).resolve().parents[2] / "data" / "demo" / "later").glob("*M103*")
    mail_desk.append(
        "INBOX",
        [
            build_message("Нет связи на опоре 02-00123", "Щит обесточен.", message_id="<s1@op>"),
            build_message("Авария БС-77-12345", "Упала антенна.", message_id="<s2@op>"),
            next(nested).read_bytes(),  # nested 40 levels deep: quarantined
        ],
    )
    ingest()
    log_in(browser, live_console.url, "anna@dispatch.example")
    browser.get(f"{live_console.url}/mail/?q=антенна")
    rows = browser.find_elements("css selector", "tr[data-email]")
    assert len(rows) == 1 and "Авария БС-77-12345" in rows[0].text
    screenshot(browser, tmp_path, "mail")

    browser.find_element("link text", "Карантин").click()
    wait(browser).until(lambda d: d.find_elements("css selector", "tr[data-quarantined]"))
    assert "nested more than 32 levels" in browser.find_element("css selector", "table").text
    screenshot(browser, tmp_path, "quarantine")
    browser.find_element("css selector", "button[name=release]").click()
    wait(browser).until(lambda d: d.find_elements("id", "thread"))
    assert "Скан документа" in browser.find_element("tag name", "h1").text
    assert Incident.objects.count() == 3
