"""Statistics, exports and the map in Debian's Chromium (selenium), against the live server.

Screenshots: ``DISPATCH_SCREENSHOTS=docs/screenshots``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from console.tests.browser import browser, live_console, wait  # noqa: F401
from console.tests.conftest import PASSWORD
from console.tests.test_browser_workflow import screenshot
from incidents.services import create_incident, update_incident
from ts.models import Pole

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

MARKERS = "return document.querySelectorAll('#incident-map path.incident-marker').length"
CLUSTERS = "return document.querySelectorAll('#incident-map .marker-cluster').length"
LOADED_TILES = (
    "return [...document.querySelectorAll('#incident-map img.leaflet-tile')]"
    ".filter(i => i.complete && i.naturalWidth > 0).length"
)


def log_in(driver, base_url: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base_url + "/accounts/login/?next=/reports/")
    driver.find_element(By.NAME, "username").send_keys("anna@dispatch.example")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(driver).until(lambda d: d.find_elements(By.ID, "fig-opened"))


def download(driver, folder: Path, link) -> Path:
    """Click ``link`` and wait for the finished file in ``folder``."""
    before = set(folder.iterdir())
    link.click()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = [p for p in set(folder.iterdir()) - before if not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError("the download did not finish")


def test_statistics_page_and_downloads(live_console, browser, seed, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    log_in(browser, live_console.url)
    assert browser.find_element(By.CSS_SELECTOR, "a[aria-current=page]").text == "Статистика"
    browser.get(f"{live_console.url}/reports/?period=month&date=2026-11-17")
    figures = {
        name: browser.find_element(By.ID, f"fig-{name}").text
        for name in ("opened", "closed", "open", "mean", "p90")
    }
    assert figures == {
        "opened": "8",
        "closed": "5",
        "open": "5",
        "mean": "1 д 01 ч 36 мин",
        "p90": "2 д 11 ч 24 мин",
    }
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert [c.get_attribute("aria-label") for c in charts] == [
        "Инциденты по дням",
        "Инциденты по часам суток",
    ]
    assert charts[0].size["width"] > 600  # drawn at the page's width
    screenshot(browser, tmp_path, "statistics")

    book = load_workbook(download(browser, downloads, browser.find_element(By.LINK_TEXT, "XLSX")))
    totals = [c.value for c in book["Итоги"][2]]
    assert totals[:7] == ["SLA инцидента", 8, 5, 5, 2, 2, 3]

    # The queue's export: every incident of the current filter, all pages.
    browser.get(f"{live_console.url}/?scope=all&sort=incident_date")
    saved = download(browser, downloads, browser.find_element(By.ID, "export-xlsx"))
    sheet = load_workbook(saved).active
    subjects = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(subjects) == 12 and subjects[0] == "Авария J"
    assert sheet.freeze_panes == "A2"


def test_map_without_and_with_tiles(live_console, browser, seed, tmp_path, settings):  # noqa: F811
    from selenium.webdriver.common.by import By

    log_in(browser, live_console.url)
    browser.get(f"{live_console.url}/reports/map/")
    # Open incidents with a pole: G (Юг, expired) and K (Север) — two markers, no tiles.
    wait(browser).until(lambda d: d.execute_script(MARKERS) == 2)
    assert (
        browser.execute_script("return document.querySelectorAll('img.leaflet-tile').length") == 0
    )
    assert (
        "Инцидентов на карте: 2. Без координат опоры: 3."
        in browser.find_element(By.ID, "map-status").text
    )
    expired = browser.find_element(By.CSS_SELECTOR, "path.incident-marker.sla-expired")
    assert expired.get_attribute("fill") == "#c62828"
    screenshot(browser, tmp_path, "map")

    # Live: an incident opened elsewhere appears without a reload.
    pole = Pole.objects.create(site_id=3, code="78-0003", latitude=59.94, longitude=30.31)
    incident = create_incident(incident_date=timezone.now(), subject="Авария СПб")
    update_incident(incident, changes={"pole": pole}, actor="console")
    wait(browser).until(lambda d: d.execute_script(MARKERS) == 3)
    assert "Инцидентов на карте: 3." in browser.find_element(By.ID, "map-status").text
    expired = browser.find_element(By.CSS_SELECTOR, "path.incident-marker.sla-expired")
    browser.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", expired
    )
    link = wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".leaflet-popup a"))[0]
    link.click()
    wait(browser).until(lambda d: d.current_url.endswith(f"/incidents/{seed.incidents['G'].pk}/"))

    # Every incident: the six at the northern pole cluster; then tiles from a tile server.
    settings.MAP_TILE_URL = f"{live_console.url}/static/vendor/leaflet-1.9.4/images/layers.png"
    settings.MAP_TILE_ATTRIBUTION = "Тестовые тайлы"
    browser.get(f"{live_console.url}/reports/map/?scope=all")
    wait(browser).until(lambda d: d.execute_script(LOADED_TILES) > 0)
    wait(browser).until(lambda d: d.execute_script(CLUSTERS) >= 1)
    assert (
        "Тестовые тайлы" in browser.find_element(By.CLASS_NAME, "leaflet-control-attribution").text
    )
    screenshot(browser, tmp_path, "map-tiles")
