"""In a real browser (headless Debian Chromium against the live server): a dispatcher comments
on an incident and edits the comment, changes the pole and reads both in the change log."""

from __future__ import annotations

import pytest

from console.tests.browser import browser, live_console, wait  # noqa: F401
from console.tests.conftest import PASSWORD
from incidents.defaults import load_defaults
from incidents.tests.factories import make_request, make_site
from users.models import Role, User

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


def log_in(driver, url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    driver.get(url)
    wait(driver).until(ec.presence_of_element_located((By.NAME, "username")))
    driver.find_element(By.NAME, "username").send_keys("anna@dispatch.example")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()


def text_of(driver, css: str) -> str:
    return driver.execute_script("return document.querySelector(arguments[0]).innerText", css)


@pytest.fixture
def desk(live_console):  # noqa: F811
    load_defaults()
    User.objects.create_user(
        email="anna@dispatch.example",
        password=PASSWORD,
        role=Role.DISPATCH,
        first_name="Анна",
        last_name="Петрова",
    )
    return live_console


def test_comment_edit_it_and_change_the_pole_then_read_the_change_log(desk, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    first_pole, _ = make_site("77-012345")
    make_site("78-000001")
    incident = make_request(pole=first_pole)
    log_in(browser, f"{desk.url}/incidents/{incident.pk}/")
    wait(browser).until(ec.presence_of_element_located((By.ID, "comments")))
    assert "Комментариев пока нет." in text_of(browser, "#comments")

    # Comment.
    browser.find_element(By.CSS_SELECTOR, "#comment-form textarea").send_keys(
        "Оператор просит <b>срочно</b>"
    )
    browser.find_element(By.CSS_SELECTOR, "#comment-form button[type=submit]").click()
    wait(browser).until(
        ec.text_to_be_present_in_element((By.ID, "comments"), "Оператор просит <b>срочно</b>")
    )
    assert "Комментарий добавлен." in text_of(browser, "body")
    assert "Анна Петрова" in text_of(browser, "#comments article")

    # Edit it (the author's own): the old text stays in the change log.
    browser.find_element(By.CSS_SELECTOR, "#comments article details summary").click()
    area = browser.find_element(By.CSS_SELECTOR, "#comments article details textarea")
    area.clear()
    area.send_keys("Оператор ждёт до 18:00")
    browser.find_element(By.CSS_SELECTOR, "#comments article details button").click()
    wait(browser).until(
        ec.text_to_be_present_in_element((By.ID, "comments"), "Оператор ждёт до 18:00")
    )
    assert "изменён" in text_of(browser, "#comments article")

    # Change the pole by a prefix of its code.
    field = browser.find_element(By.ID, "id_pole")
    field.clear()
    field.send_keys("78-0000")
    browser.find_element(By.CSS_SELECTOR, "#edit button[type=submit]").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "pole-code"), "78-000001"))
    log = text_of(browser, "#changes")
    assert "Опора: 77-012345 → 78-000001" in log
    assert "Комментарий: Оператор просит <b>срочно</b> → Оператор ждёт до 18:00" in log
    assert "Консоль · Анна Петрова" in log


def test_register_a_phone_call_as_an_incident(desk, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    from incidents.models import Incident

    pole, station = make_site("77-012345")
    make_site("78-000001")
    log_in(browser, f"{desk.url}/")
    wait(browser).until(ec.presence_of_element_located((By.ID, "nav-new-incident")))
    browser.find_element(By.ID, "nav-new-incident").click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "new-incident")))
    browser.find_element(By.ID, "id_subject").send_keys("Звонок: нет питания")
    browser.find_element(By.ID, "id_requester_email").send_keys("duty@operator.example")
    browser.find_element(By.ID, "id_pole").send_keys("77-01")
    Select(browser.find_element(By.ID, "id_incident_type")).select_by_visible_text("Авария ВОЛС")
    browser.find_element(By.ID, "id_description").send_keys("Звонил дежурный МТС")
    browser.find_element(By.ID, "id_notify").click()
    browser.find_element(By.CSS_SELECTOR, "#new-incident button[type=submit]").click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "summary")))
    incident = Incident.objects.get()
    assert f"Инцидент {incident} зарегистрирован." in text_of(browser, "body")
    assert "duty@operator.example" in text_of(browser, "body")  # the e-mail is queued
    assert text_of(browser, "#pole-code") == pole.code
    assert "Вручную диспетчером" in text_of(browser, "#summary")
    assert "Звонил дежурный МТС" in text_of(browser, "#description")
    assert incident.outbound_emails.get().to == ["duty@operator.example"]
    assert incident.base_station is None and station.pole == pole


def test_link_two_incidents(desk, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    parent = make_request(subject="Нет питания на всей опоре")
    child = make_request(subject="БС МТС не работает", message_id="<req-2@operator.example>")
    log_in(browser, f"{desk.url}/incidents/{child.pk}/")
    wait(browser).until(ec.presence_of_element_located((By.ID, "link-form")))
    Select(browser.find_element(By.ID, "id_kind")).select_by_visible_text("Подзадача")
    browser.find_element(By.ID, "id_other").send_keys(str(parent.pk))
    browser.find_element(By.CSS_SELECTOR, "#link-form button[type=submit]").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "links"), str(parent)))
    assert "Подзадача" in text_of(browser, "#links")
    assert f"Связь: — → подзадача {parent}" in text_of(browser, "#changes")

    # The other side shows the mirror, and removing it there removes both.
    browser.find_element(By.CSS_SELECTOR, f"#links a[href$='/incidents/{parent.pk}/']").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "links"), "Родитель для"))
    assert str(child) in text_of(browser, "#links")
    browser.find_element(By.CSS_SELECTOR, "#links .link-remove").click()
    wait(browser).until(
        ec.text_to_be_present_in_element((By.ID, "links"), "Связанных инцидентов нет.")
    )
    assert f"Связь: родитель для {child} → —" in text_of(browser, "#changes")


def test_add_rvr_with_a_priority_and_see_its_deadline(desk, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    from incidents.models import RvrPriority

    RvrPriority.objects.create(name="Срочный (2 ч)", sla_minutes=120)
    incident = make_request()
    log_in(browser, f"{desk.url}/incidents/{incident.pk}/")
    wait(browser).until(ec.presence_of_element_located((By.ID, "work-form")))
    Select(browser.find_element(By.ID, "id_category")).select_by_visible_text("РВР")
    # (a datetime-local input is typed differently per locale; its value is what is sent)
    browser.execute_script("document.getElementById('id_started_at').value = '2026-11-02T10:00'")
    Select(browser.find_element(By.ID, "id_priority")).select_by_visible_text("Срочный (2 ч)")
    browser.find_element(By.CSS_SELECTOR, "#work-form button[type=submit]").click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "work-rvr")))
    row = text_of(browser, "#work-rvr")
    assert "Срочный (2 ч)" in row and "02.11.2026 10:00" in row
    assert "02.11.2026 12:00" in text_of(browser, "#work-rvr .work-deadline")
    assert "Просрочен" in row  # that deadline is long past
    assert "РВР: — → 02.11.2026 10:00 – …, Срочный (2 ч)" in text_of(browser, "#changes")
