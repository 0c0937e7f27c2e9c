"""A headless Debian Chromium driven by Selenium for the console's browser tests.

Skips the test when /usr/bin/chromium or /usr/bin/chromedriver is missing. Every browser gets a
fresh profile directory (removed afterwards) and the flags that keep it off the network.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--lang=ru-RU",
)
WAIT_SECONDS = 20


def start_browser(width: int = 1366, height: int = 900):
    """A Chromium WebDriver with a fresh profile; the caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("chromium/chromedriver are not installed (scripts/install-system-packages)")
    profile = tempfile.mkdtemp(prefix="dispatch-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_experimental_option("prefs", {"intl.accept_languages": "ru-RU,ru"})
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(WAIT_SECONDS)
    driver.dispatch_profile = profile  # type: ignore[attr-defined]
    return driver


def stop_browser(driver) -> None:
    try:
        driver.quit()
    finally:
        shutil.rmtree(driver.dispatch_profile, ignore_errors=True)


def request_threads() -> list[threading.Thread]:
    """The live server's threads still answering a request (e.g. an event stream)."""
    return [t for t in threading.enumerate() if "process_request_thread" in t.name]


@pytest.fixture
def live_console(live_server, settings) -> Iterator:
    """The live server with short event streams; at the end, waits (bounded) until every
    request thread has finished, so no stream outlives the test and its database."""
    settings.API_LIVE_POLL_SECONDS = 0.3
    settings.API_LIVE_KEEPALIVE_SECONDS = 0.5  # a closed browser is noticed at the next write
    settings.API_LIVE_MAX_SECONDS = 60
    before = set(request_threads())  # streams other tests left open are not ours to wait for
    yield live_server
    deadline = time.monotonic() + 15
    while set(request_threads()) - before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not set(request_threads()) - before, "a request to the live server did not finish"


@pytest.fixture
def browser(live_console) -> Iterator:
    driver = start_browser()
    try:
        yield driver
    finally:
        stop_browser(driver)


def wait(driver, timeout: float = WAIT_SECONDS):
    """A wait that retries while the live queue swaps the DOM under a lookup (stale nodes and
    Chromium's "node does not belong to the document" inspector error), up to ``timeout``."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, ignored_exceptions=(WebDriverException,))
