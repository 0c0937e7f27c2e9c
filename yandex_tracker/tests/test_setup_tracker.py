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
