"""The queue at a dispatcher's speed, in a real browser: four incidents worked in a row from the
keyboard alone (open, take, the usual next step, next — counted, at most six actions each),
search in mail text from «/», bulk actions on selected rows, the help on «?», an opt-in browser
notification when a reply arrives; and the phone width (390×844) with the filters folded.

Mail arrives through the real ingest worker from a real Dovecot. Set
``DISPATCH_SCREENSHOTS=docs/screenshots`` to refresh the screenshots."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from console.tests.browser import (  # noqa: F401
    browser,
    live_console,
    start_browser,
    stop_browser,
    wait,
)
from console.tests.test_browser_demo_mailbox import log_in
from console.tests.test_browser_workflow import screenshot
from emails.tests.conftest import (  # noqa: F401
    build_message,
    dovecot,
    point_ingest_at,
)
from incidents.defaults import load_defaults
from incidents.models import Incident, IncidentType, StatusKey
from users.models import Role, User

from .conftest import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

ANNA = "anna@dispatch.example"
# Records every Notification the page raises (the real one is still created).
RECORD_NOTIFICATIONS = """
  window.__notes = [];
  if (window.Notification) {
    const Real = window.Notification;
    window.Notification = class extends Real {
      constructor(title, options) { super(title, options); window.__notes.push(title); }
    };
  }"""
SUBJECTS = [
    ("Нет связи на опоре 02-00101", "Пропало питание, сгорел автомат."),
    ("Нет связи на опоре 02-00102", "Нет сигнала с утра."),
    ("Нет связи на опоре 02-00103", "Обрыв кабеля у опоры."),
    ("Нет связи на опоре 02-00104", "Не работает станция."),
]


@pytest.fixture
def desk(transactional_db, dovecot, settings, tmp_path):  # noqa: F811
    """Four new, unassigned, untyped incidents ingested from Dovecot; Anna wants notifications."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    point_ingest_at(settings, dovecot)
    load_defaults()
    User.objects.create_user(
        email=ANNA, password=PASSWORD, role=Role.DISPATCH, first_name="Анна",
        browser_notifications=True,
    )  # fmt: skip
    dovecot.append(
        "INBOX",
        [build_message(s, b, message_id=f"<q{n}@op>") for n, (s, b) in enumerate(SUBJECTS)],
    )
    ingest()
    Incident.objects.update(assignee=None)  # as if nobody had been on shift
    return dovecot


def ingest() -> None:
    call_command("ingest_mail", "--source", "imap", "--folder", "INBOX", "--once")


class Keyboard:
    """Key presses sent to the focused element, counted per incident."""

    def __init__(self, driver) -> None:
        self.driver, self.count = driver, 0

    def press(self, *keys: str) -> None:
        for key in keys:
            self.driver.switch_to.active_element.send_keys(key)
            self.count += 1


def _current_status(driver) -> str:
    return driver.find_element(By.ID, "current-status").text


def _on_incident(driver, pk: int):
    return lambda d: (
        d.current_url.endswith(f"/incidents/{pk}/") and d.find_elements(By.ID, "current-status")
    )


def test_four_incidents_in_a_row_from_the_keyboard(live_console, browser, desk, tmp_path):  # noqa: F811
    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": live_console.url, "permissions": ["notifications"]},
    )
    browser.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_NOTIFICATIONS}
    )
    log_in(browser, live_console.url, ANNA)
    queue = browser.find_element(By.ID, "queue-table").text
    assert queue.count("Нужен тип") == 4  # untyped incidents say so
    order = [int(pk) for pk in browser.execute_script(
        "return [...document.querySelectorAll('tr[data-incident]')].map(r => r.dataset.incident)"
    )]  # fmt: skip
    screenshot(browser, tmp_path, "queue-fast-path")

    keys = Keyboard(browser)
    keys.press("?")
    wait(browser).until(lambda d: d.find_element(By.ID, "shortcuts").get_attribute("open"))
    keys.press(Keys.ESCAPE)
    keys.press("/")
    assert browser.switch_to.active_element.get_attribute("id") == "id_q"
    keys.press("автомат")  # a word of the first e-mail's body
    keys.press(Keys.ENTER)
    wait(browser).until(lambda d: "q=" in d.current_url)
    rows = browser.find_elements(By.CSS_SELECTOR, "tr[data-incident]")
    burnt = Incident.objects.get(subject=SUBJECTS[0][0]).pk
    assert [int(r.get_attribute("data-incident")) for r in rows] == [burnt]

    browser.get(live_console.url + "/")
    keys.press("j", "x", "j", "x")  # two rows selected
    assert browser.find_element(By.CSS_SELECTOR, "#bulk-count strong").text == "2"
    status = Select(browser.find_element(By.ID, "bulk-status"))
    allowed = [
        o.get_attribute("value")
        for o in status.options
        if o.is_enabled() and o.get_attribute("value")
    ]
    assert set(allowed) == {StatusKey.IN_PROGRESS, StatusKey.ERROR, StatusKey.NEED_ACCEPTANCE}
    kind = IncidentType.objects.filter(is_active=True).order_by("name").first()
    Select(browser.find_element(By.ID, "bulk-type")).select_by_value(str(kind.pk))
    browser.find_element(By.CSS_SELECTOR, "#bulk-form button[value=type]").send_keys(Keys.ENTER)
    wait(browser).until(
        lambda d: "Изменено инцидентов: 2" in d.find_element(By.TAG_NAME, "body").text
    )
    assert Incident.objects.filter(incident_type=kind).count() == 2

    browser.get(live_console.url + "/")
    actions, keys.count = [], 0
    keys.press("j", Keys.ENTER)  # the first row, opened
    for n, pk in enumerate(order):
        wait(browser).until(_on_incident(browser, pk))
        keys.press("a")  # «Взять себе»: mine, and «В работе»
        wait(browser).until(lambda d: _current_status(d) == "В работе")
        keys.press("s", Keys.ENTER)  # the usual next step: the requester is told it is accepted
        wait(browser).until(lambda d: _current_status(d) == "Уведомляем оператора")
        if n < len(order) - 1:
            keys.press("j")  # next incident of the queue
        actions.append(keys.count)
        keys.count = 0
    print(f"\nkeyboard actions per incident: {actions}")
    assert max(actions) <= 6
    assert set(Incident.objects.values_list("status__key", flat=True)) == {
        StatusKey.NOTIFY_OPERATOR
    }
    assert Incident.objects.filter(assignee__email=ANNA).count() == 4

    keys.press("u")  # back to the queue, its filters kept
    wait(browser).until(lambda d: d.find_elements(By.ID, "queue-table"))
    reply = build_message(
        "RE: Нет связи на опоре 02-00104", "Связи так и нет.",
        message_id="<re@op>", in_reply_to="<q3@op>", references=["<q3@op>"],
    )  # fmt: skip
    desk.append("INBOX", [reply])
    ingest()
    wait(browser).until(lambda d: d.execute_script("return window.__notes.length") == 1)
    assert browser.execute_script("return window.__notes[0]").startswith("Новые письма: ")


@pytest.fixture
def phone(live_console):  # noqa: F811
    driver = start_browser(390, 844)
    # Headless Chromium keeps windows at least 500 px wide: emulate the phone's viewport.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True},
    )
    try:
        yield driver
    finally:
        stop_browser(driver)


def test_queue_on_a_phone(live_console, phone, desk, tmp_path):  # noqa: F811
    log_in(phone, live_console.url, ANNA)
    phone.get(live_console.url + "/?assignee=none&q=опоре")
    panel = phone.find_element(By.ID, "filters-panel")
    wait(phone).until(lambda d: panel.get_attribute("open") is None)  # folded on a phone
    summary = panel.find_element(By.TAG_NAME, "summary").text
    assert "Найти: «опоре»" in summary and "Диспетчер: Не назначен" in summary
    assert not phone.find_element(By.ID, "id_q").is_displayed()
    assert phone.execute_script("return window.innerWidth") == 390
    screenshot(phone, tmp_path, "queue-fast-path-phone")
    for part in ("filters-panel", "queue-table"):  # the queue itself fits the phone's width
        right = phone.execute_script(
            "return document.getElementById(arguments[0]).getBoundingClientRect().right", part
        )
        assert right <= 390, part
    panel.find_element(By.TAG_NAME, "summary").click()
    assert phone.find_element(By.ID, "id_q").is_displayed()

    pk = Incident.objects.filter(assignee=None).order_by("-id").first().pk
    card = f'tr[data-incident="{pk}"] td:nth-of-type(3)'  # the subject: anywhere on the card
    wait(phone).until(lambda d: d.find_element(By.CSS_SELECTOR, card).click() or True)
    wait(phone).until(_on_incident(phone, pk))
    phone.find_element(By.ID, "take-button").click()
    wait(phone).until(lambda d: _current_status(d) == "В работе")
    assert Incident.objects.get(pk=pk).assignee.email == ANNA
    phone.find_element(By.ID, "back-to-queue").click()
    wait(phone).until(lambda d: "assignee=none" in d.current_url)  # the filters kept
