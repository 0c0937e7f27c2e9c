"""Incident creation and status recording."""

import pytest
from django.utils import timezone

from incidents.defaults import load_defaults
from incidents.models import StatusKey
from incidents.services import create_incident, record_status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _defaults():
    load_defaults()


def test_new_incident_has_status_new_recorded_exactly_once(settings):
    settings.YT_ENABLED = False
    settings.INCIDENT_CODE_PREFIX = "DSP"
    incident = create_incident(incident_date=timezone.now(), subject="Авария")
    assert incident.status.key == StatusKey.NEW
    assert [h.status.key for h in incident.status_history.all()] == [StatusKey.NEW]
    assert incident.code == f"DSP-{incident.pk}"


def test_final_status_finishes_and_reopening_clears_the_finish_date():
    incident = create_incident(incident_date=timezone.now())
    record_status(incident, StatusKey.IN_PROGRESS, actor="console")
    record_status(incident, StatusKey.CLOSED, actor="console")
    incident.refresh_from_db()
    assert incident.is_finished and incident.finished_at is not None
    record_status(incident, StatusKey.IN_PROGRESS, actor="tracker")
    incident.refresh_from_db()
    assert not incident.is_finished and incident.finished_at is None
    record_status(incident, StatusKey.CLOSED, actor="tracker")
    keys = [h.status.key for h in incident.status_history.all()]
    assert keys == ["new", "in_progress", "closed", "in_progress", "closed"]


def test_same_status_twice_is_recorded_once():
    incident = create_incident(incident_date=timezone.now())
    assert record_status(incident, StatusKey.IN_PROGRESS, actor="console") is not None
    assert record_status(incident, StatusKey.IN_PROGRESS, actor="console") is None
    assert incident.status_history.count() == 2


def test_subject_and_requester_are_stored_on_one_line_without_control_characters():
    incident = create_incident(
        incident_date=timezone.now(),
        subject="Авария\x00 на\r\nопоре\u2028 77-0001\x85Bcc: x@evil.example\t",
        requester_email=" noc@operator.example\r\n",
    )
    incident.refresh_from_db()
    assert incident.subject == "Авария на опоре 77-0001 Bcc: x@evil.example"
    assert incident.requester_email == "noc@operator.example"


def test_one_line_drops_exactly_the_control_characters_that_are_not_whitespace():
    import sys
    import unicodedata

    from incidents.services import one_line

    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    expected = "".join(
        " " if ch.isspace() else ch
        for ch in every
        if unicodedata.category(ch) != "Cc" or ch.isspace()
    )
    assert one_line(every) == " ".join(expected.split())
    assert one_line("a\x00b\x1bc\x7fd\x9fe\x85f\u2028g\x1ch") == "abcde f g h"
