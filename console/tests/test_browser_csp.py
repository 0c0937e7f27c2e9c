"""In Chromium, under the app's Content-Security-Policy: the console, the Django admin and the
API documentation (Swagger UI, Redoc) work, load nothing from another origin and cause no
policy violation. The browser is kept off the network, so a CDN dependency shows up too."""

from __future__ import annotations

import pytest

from console.tests.browser import browser, live_console, wait  # noqa: F401
from console.tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
"""
FOREIGN_RESOURCES = """
return performance.getEntriesByType('resource').map((r) => r.name)
  .filter((url) => !url.startsWith(location.origin));
"""


def _visit(driver, url: str, ready: str, text: str = "", refused: tuple[str, ...] = ()) -> None:
    """Open ``url``, wait until ``ready`` (CSS) is shown (containing ``text``), and check that
    the policy refused nothing but ``refused`` and that nothing came from elsewhere."""
    from selenium.webdriver.common.by import By

    driver.get(url)
    wait(driver).until(
        lambda d: any(text in e.text for e in d.find_elements(By.CSS_SELECTOR, ready))
    )
    violations = driver.execute_script("return window.__cspViolations")
    assert [v for v in violations if v not in refused] == [], url
    refused_urls = {item.split(" ", 1)[1] for item in refused}  # tried, blocked by the policy
    assert set(driver.execute_script(FOREIGN_RESOURCES)) <= refused_urls, url


def test_console_admin_and_api_docs_work_under_the_policy(
    browser,  # noqa: F811
    live_console,  # noqa: F811
    admin_user,
    incident,
):
    from selenium.webdriver.common.by import By

    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    base = live_console.url
    browser.get(base + "/accounts/login/?next=/")
    browser.find_element(By.NAME, "username").send_keys(admin_user.email)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "queue-table"))
    assert browser.execute_script("return window.__cspViolations") == []

    _visit(browser, f"{base}/incidents/{incident.pk}/", "#thread, #workflow")
    _visit(browser, f"{base}/admin/", "#site-name")
    _visit(browser, f"{base}/admin/users/user/", "#result_list")
    _visit(browser, f"{base}/api/schema/swagger-ui/", ".swagger-ui .info .title", "DISPATCH API")
    _visit(browser, f"{base}/api/schema/swagger-ui/", ".opblock-summary-path", "/api/v1/")
    # Redoc's bundle always shows its maker's logo from cdn.redoc.ly: the policy refuses it
    # (no request leaves the browser) and the page works without it.
    redoc_logo = "img-src https://cdn.redoc.ly/redoc/logo-mini.svg"
    _visit(browser, f"{base}/api/schema/redoc/", "h1", "DISPATCH API", refused=(redoc_logo,))
    _visit(browser, f"{base}/api/schema/redoc/", "li", "incidents", refused=(redoc_logo,))
