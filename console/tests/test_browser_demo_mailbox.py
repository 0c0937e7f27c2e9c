"""The demo mailbox in a real browser: every incident the ingest worker made from
``data/demo/maildir`` is listed, readable on a laptop and a phone, and the load page adds up.

Also produces the README screenshots: ``DISPATCH_SCREENSHOTS=docs/screenshots``.
"""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from console.tests.browser import (  # noqa: F401
    browser,
    live_console,
    start_browser,
    stop_browser,
    wait,
)
from console.tests.conftest import PASSWORD
from console.tests.test_browser_workflow import screenshot
from emails.models import EmailMessage
from incidents.defaults import load_defaults
from incidents.models import Incident, IncidentType
from incidents.sla_sweep import sweep_sla
from users.models import Role, User

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

# Read in one script call: the live update may swap the table in between two WebDriver calls.
ROW_IDS = "return [...document.querySelectorAll('tr[data-incident]')].map(r => r.dataset.incident)"
DEMO_MAILDIR = django_settings.BASE_DIR / "data" / "demo" / "maildir"


def log_in(driver, base_url: str, email: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base_url + "/accounts/login/?next=/")
    driver.find_element(By.NAME, "username").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(driver).until(lambda d: d.find_elements(By.ID, "queue-table"))


@pytest.fixture
def demo_desk(transactional_db, tmp_path, settings):
    """Defaults, two dispatchers, the demo TowerStore feeds and the demo mailbox ingested."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    load_defaults()
    for email, first, last in (
        ("anna@dispatch.example", "Анна", "Петрова"),
        ("boris@dispatch.example", "Борис", "Смирнов"),
    ):
        User.objects.create_user(
            email=email, password=PASSWORD, role=Role.DISPATCH, first_name=first, last_name=last
        )
    call_command("import_towerstore", "--demo")
    maildir = tmp_path / "maildir"
    shutil.copytree(DEMO_MAILDIR, maildir)
    call_command("ingest_mail", "--once", "--source", f"maildir:{maildir}", "--folder", "INBOX")
    # Dispatchers typed the incidents: SLA deadlines and every colour appear (the demo mail
    # is days old, so two incidents are moved to "just now" and "3 h 20 min ago").
    now = timezone.now()
    four_hours = IncidentType.objects.filter(sla_minutes=240).first()
    day = IncidentType.objects.filter(sla_minutes=1440).first()
    incidents = list(Incident.objects.order_by("-id"))
    for incident, (incident_type, moved) in zip(
        incidents,
        [(day, now - timedelta(minutes=10)), (four_hours, now - timedelta(minutes=200))],
        strict=False,
    ):
        Incident.objects.filter(pk=incident.pk).update(
            incident_type=incident_type, incident_date=moved
        )
    Incident.objects.filter(incident_type__isnull=True).update(incident_type=four_hours)
    sweep_sla(full=True)
    assert Incident.objects.count() >= 3
    return maildir


def test_demo_mailbox_in_the_console(live_console, browser, demo_desk, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By

    log_in(browser, live_console.url, "anna@dispatch.example")
    open_ids = set(Incident.objects.filter(is_finished=False).values_list("pk", flat=True))
    assert set(map(int, browser.execute_script(ROW_IDS))) == open_ids
    screenshot(browser, tmp_path, "queue")

    # The conversation with the most e-mails: every one of them is on the page.
    busiest = max(Incident.objects.all(), key=lambda i: i.emails.count())
    browser.get(f"{live_console.url}/incidents/{busiest.pk}/")
    wait(browser).until(lambda d: d.find_elements(By.ID, "thread"))
    shown = browser.find_elements(By.CSS_SELECTOR, "#thread article.email")
    assert len(shown) == EmailMessage.objects.filter(incident=busiest).count() >= 2
    screenshot(browser, tmp_path, "incident")

    browser.get(f"{live_console.url}/load/")
    cells = browser.find_elements(By.CSS_SELECTOR, "table.load tbody tr")
    assert len(cells) == 2
    screenshot(browser, tmp_path, "load")


def test_demo_mailbox_on_a_phone(live_console, demo_desk, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By

    driver = start_browser(width=390, height=844)
    try:
        log_in(driver, live_console.url, "boris@dispatch.example")
        no_overflow = (
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
        assert driver.execute_script(no_overflow)
        label = driver.execute_script(
            "return getComputedStyle("
            "document.querySelector('tr[data-incident] td[data-label]'), '::before').content"
        )
        assert "Номер" in label  # rows read as labelled cards
        screenshot(driver, tmp_path, "queue-phone")
        first = driver.execute_script(ROW_IDS)[0]
        driver.get(f"{live_console.url}/incidents/{first}/")
        wait(driver).until(lambda d: d.find_elements(By.ID, "thread"))
        assert driver.execute_script(no_overflow)
        screenshot(driver, tmp_path, "incident-phone")
    finally:
        stop_browser(driver)
