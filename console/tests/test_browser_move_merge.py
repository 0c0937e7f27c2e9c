"""Moving an e-mail and merging incidents in a real browser, the mail arriving through the real
ingest worker (``ingest_mail``) from Dovecot: the dispatcher moves a stray e-mail (with its reply)
to another incident and merges a duplicate into it, each confirmed on its own page; both
incidents' change logs show each with «Отменить», and undoing the merge gives the duplicate back.
"""

from __future__ import annotations

import pytest

from console.tests.browser import browser, live_console, wait  # noqa: F401
from console.tests.test_browser_demo_mailbox import log_in
from console.tests.test_browser_mail_day import ingest, mail_desk  # noqa: F401
from console.tests.test_browser_workflow import screenshot
from emails.models import EmailMessage
from emails.tests.conftest import build_message, dovecot  # noqa: F401
from incidents.models import Incident

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


def changes_text(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, "changes").text


def test_move_an_email_and_merge_incidents_both_histories_show_it(
    live_console,  # noqa: F811
    browser,  # noqa: F811
    mail_desk,  # noqa: F811
    tmp_path,
    settings,
):
    from selenium.webdriver.common.by import By

    # The pages left behind keep their event stream on the development server until it ends;
    # short streams keep Chromium under its six connections per host over this many pages.
    settings.API_LIVE_MAX_SECONDS = 2

    mail_desk.append(
        "INBOX",
        [build_message("Нет питания на опоре 02-00123", "Авария с 9:00", message_id="<a@op>"),
         build_message("Авария БС 77-0042", "БС не в сети", message_id="<b@op>",
                       sender="noc@other.example"),
         build_message("Повтор: авария БС 77-0042", "Повторно сообщаем", message_id="<c@op>",
                       sender="duty@other.example")],
    )  # fmt: skip
    ingest()
    stray = build_message(
        "RE: Нет питания на опоре 02-00123", "А ещё на БС 77-0042 нет связи",
        message_id="<s@op>", in_reply_to="<a@op>", references=["<a@op>"],
    )  # fmt: skip
    answer = build_message(
        "RE: RE: Нет питания", "Уточнение про БС", message_id="<s2@op>",
        in_reply_to="<s@op>", references=["<a@op>", "<s@op>"],
    )  # fmt: skip
    mail_desk.append("INBOX", [stray])
    ingest()
    mail_desk.append("INBOX", [answer])
    ingest()
    power = Incident.objects.get(emails__message_id="<a@op>")
    station = Incident.objects.get(emails__message_id="<b@op>")
    duplicate = Incident.objects.get(emails__message_id="<c@op>")
    assert power.emails.count() == 3

    log_in(browser, live_console.url, "anna@dispatch.example")
    # move the stray e-mail with the reply to it
    email = EmailMessage.objects.get(message_id="<s@op>")
    browser.get(f"{live_console.url}/incidents/{power.pk}/")
    browser.find_element(By.CSS_SELECTOR, f"#move-{email.pk} summary").click()
    browser.find_element(By.ID, f"move-{email.pk}-target").send_keys(station.code)
    browser.find_element(By.ID, f"move-{email.pk}-replies").click()
    screenshot(browser, tmp_path, "move-email")
    browser.find_element(By.ID, f"move-{email.pk}-go").click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "move-confirm"))
    assert f"в {station.code}" in browser.find_element(By.ID, "move-confirm").text
    assert "Уточнение про БС" not in browser.page_source  # listed by subject, not body
    assert "RE: RE: Нет питания" in browser.page_source
    browser.find_element(By.ID, "move-confirm-button").click()
    wait(browser).until(lambda d: "Перенос писем" in changes_text(d))
    assert f"перенесено в {station.code}" in changes_text(browser)
    assert "Отменить" in changes_text(browser)
    assert set(station.emails.values_list("message_id", flat=True)) == {
        "<b@op>",
        "<s@op>",
        "<s2@op>",
    }

    # merge the duplicate into the station incident
    browser.get(f"{live_console.url}/incidents/{duplicate.pk}/")
    browser.find_element(By.ID, "merge-target").send_keys(station.code)
    browser.find_element(By.CSS_SELECTOR, "#merge-form button").click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "merge-confirm"))
    screenshot(browser, tmp_path, "merge-confirm")
    browser.find_element(By.ID, "merge-confirm-button").click()
    wait(browser).until(lambda d: f"{duplicate.code} объединён с этим" in changes_text(d))
    history = changes_text(browser)
    assert f"из {power.code}" in history and history.count("Отменить") == 2
    assert "Повторно сообщаем" in browser.find_element(By.ID, "thread").text
    screenshot(browser, tmp_path, "move-merge-history")

    browser.get(f"{live_console.url}/incidents/{duplicate.pk}/")
    assert f"объединён с {station.code}" in changes_text(browser)
    assert browser.find_element(By.ID, "current-status").text == "Закрыт"
    assert "Дубликат" in browser.find_element(By.ID, "links").text
    browser.get(f"{live_console.url}/incidents/{power.pk}/")
    assert f"перенесено в {station.code}" in changes_text(browser)

    # undo the merge from the duplicate's change log
    browser.get(f"{live_console.url}/incidents/{duplicate.pk}/")
    browser.find_element(By.CSS_SELECTOR, "#changes .move-undo").click()
    wait(browser).until(lambda d: d.find_element(By.ID, "current-status").text != "Закрыт")
    assert "отменено: 1 письмо снова в" in changes_text(browser)
    assert duplicate.emails.count() == 1
