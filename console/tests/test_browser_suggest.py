"""In Chromium under the app's Content-Security-Policy: typing the beginning of a pole code or
a base-station name shows clickable candidates; a click (or the keyboard) fills the field, a
base station also fills the empty pole, and the form saves what was chosen."""

from __future__ import annotations

import pytest

from console.tests.browser import browser, live_console, wait  # noqa: F401
from console.tests.test_browser_csp import RECORD_VIOLATIONS
from console.tests.test_browser_incident_desk import desk, log_in  # noqa: F401
from console.tests.test_browser_workflow import screenshot
from incidents.tests.factories import make_request, make_site

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


def _suggestions(driver, field_id: str) -> list[str]:
    from selenium.webdriver.common.by import By

    return [
        b.text for b in driver.find_elements(By.CSS_SELECTOR, f"#{field_id}_suggestions button")
    ]


def test_pole_and_base_station_are_chosen_from_suggestions(desk, browser, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    for code in ("77-012345", "77-012399", "78-000001"):
        make_site(code)
    incident = make_request()
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    log_in(browser, f"{desk.url}/accounts/login/?next=/incidents/{incident.pk}/")
    pole = wait(browser).until(lambda d: d.find_element(By.ID, "id_pole"))

    pole.send_keys("77-0123")
    wait(browser).until(lambda d: len(_suggestions(d, "id_pole")) == 2)
    assert _suggestions(browser, "id_pole")[0].startswith("77-012345 — ")
    screenshot(browser, tmp_path, "suggest-pole")
    browser.find_elements(By.CSS_SELECTOR, "#id_pole_suggestions button")[1].click()
    assert pole.get_attribute("value") == "77-012399"
    assert not _suggestions(browser, "id_pole")  # the list closed

    # A base station on an empty pole: the keyboard picks it, and it brings its pole.
    pole.clear()
    station = browser.find_element(By.ID, "id_base_station")
    station.send_keys("БС 78")
    wait(browser).until(
        lambda d: _suggestions(d, "id_base_station") == ["БС 78-000001 · 78-000001"]
    )
    station.send_keys(Keys.ARROW_DOWN)
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    assert station.get_attribute("value") == "БС 78-000001"
    assert pole.get_attribute("value") == "78-000001"

    browser.find_element(By.CSS_SELECTOR, "#edit button[type=submit]").click()
    wait(browser).until(lambda d: "78-000001" in d.find_element(By.ID, "pole-code").text)
    incident.refresh_from_db()
    assert (incident.pole.code, incident.base_station.name) == ("78-000001", "БС 78-000001")
    assert browser.execute_script("return window.__cspViolations") == []
