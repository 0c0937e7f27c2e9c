"""setup_tracker creates the custom fields, checks statuses, and lists what an admin must do."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from yandex_tracker.fake import FakeTrackerServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def bare_tracker(tracker_settings):
    server = FakeTrackerServer(queue="DISP", provision_fields=False).start()
    tracker_settings.YT_API_BASE_URL = server.url
    tracker_settings.YT_OAUTH_URL = server.oauth_url
    try:
        yield server
    finally:
        server.stop()


def run(*args) -> str:
    out = StringIO()
    call_command("setup_tracker", *args, stdout=out)
    return out.getvalue()


def test_creates_missing_fields_and_reports_missing_statuses(bare_tracker):
    bare_tracker.state.statuses = [s for s in bare_tracker.state.statuses if s["key"] != "error"]
    output = run()
    assert "created  field localId «Local ID» (integer)" in output
    assert set(bare_tracker.state.fields) >= {"localId", "poleNumber", "deadlineSla", "slaStatus"}
    assert bare_tracker.state.fields["localId"]["kind"] == "integer"
    assert bare_tracker.state.fields["localId"]["description"] == "Идентификатор инцидента в БД"
    assert "typeOfProblem" in bare_tracker.state.local_fields["DISP"]
    assert "by hand  create status key=error «Ошибка»" in output
    second = run()
    assert "created" not in second


def test_check_only_creates_nothing(bare_tracker):
    output = run("--check")
    assert "field localId is missing" in output
    assert bare_tracker.state.fields == {}


def test_missing_queue_is_reported(bare_tracker, tracker_settings):
    tracker_settings.YT_QUEUE = "NOPE"
    assert "by hand  create the queue NOPE" in run()


def test_prints_the_workflow_mail_steps_and_dispatchers_unknown_to_the_tracker(
    bare_tracker, tracker_settings
):
    from users.models import Role, User

    tracker_settings.PARSING_EMAIL_LOGIN = "desk@dispatch.ru"
    bare_tracker.state.add_user("ivanov")
    for username in ("ivanov", "petrov"):
        User.objects.create_user(
            email=f"{username}@dispatch.ru", username=username, password="x", role=Role.DISPATCH
        )
    output = run("--check")
    assert "by hand  workflow: open «Новый» → inProgress «В работе»" in output
    assert "by hand  workflow: from every status → " in output and "error «Ошибка»" in output
    assert "add the mailbox desk@dispatch.ru to the queue" in output
    assert "YandexTrackerInbox (incoming) and YandexTrackerArchive (archive), never INBOX" in output
    assert "ok       dispatcher ivanov: tracker user ivanov" in output
    assert "by hand  dispatcher petrov: petrov is not a tracker user" in output
