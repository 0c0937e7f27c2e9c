"""Live queue: an incident created the way the mail worker creates it reaches a client that is
connected to the server-sent events stream of the real ASGI app (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import json
import queue
import threading
import time

import pytest
import requests
from django.utils import timezone
from rest_framework.authtoken.models import Token

from dispatch.api.liveserver import asgi_server
from dispatch.api.testing import make_user
from incidents.defaults import load_defaults
from incidents.models import IncidentSource, StatusKey
from incidents.services import create_incident, record_status

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/incidents/live/"


class EventReader(threading.Thread):
    """Reads an SSE response into ``(event, id, data)`` tuples; comments go in as-is."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(daemon=True)
        self.response = response
        self.events: queue.Queue = queue.Queue()

    def run(self) -> None:
        fields: dict[str, str] = {}
        try:
            for raw in self.response.iter_lines(decode_unicode=True):
                if raw.startswith(":"):
                    self.events.put(("comment", None, raw[1:].strip()))
                elif raw == "":
                    if "data" in fields:
                        self.events.put((fields.get("event"), fields.get("id"), fields["data"]))
                    fields = {}
                else:
                    name, _sep, value = raw.partition(":")
                    fields[name] = value.lstrip()
        except (requests.RequestException, AttributeError, ValueError):
            pass  # the test closed the stream

    def wait_for(self, predicate, timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                item = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if predicate(item):
                return item
        raise AssertionError("the expected event did not arrive in time")


@pytest.fixture
def live_settings(settings):
    settings.API_LIVE_POLL_SECONDS = 0.1
    settings.API_LIVE_KEEPALIVE_SECONDS = 0.5
    settings.API_LIVE_MAX_SECONDS = 30
    load_defaults()
    return settings


def open_stream(base: str, token: str, **headers: str) -> tuple[requests.Response, EventReader]:
    response = requests.get(
        base + URL,
        headers={"Authorization": f"Token {token}", "Accept": "text/event-stream", **headers},
        stream=True,
        timeout=(5, 20),
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/event-stream")
    reader = EventReader(response)
    reader.start()
    reader.wait_for(lambda e: e == ("comment", None, "connected"))
    return response, reader


def test_new_incident_from_mail_reaches_a_connected_client(live_settings):
    token = Token.objects.create(user=make_user()).key
    with asgi_server() as base:
        response, reader = open_stream(base, token)
        try:
            incident = create_incident(
                incident_date=timezone.now(),
                subject="Нет питания на опоре",
                requester_email="noc@operator.example",
                source=IncidentSource.EMAIL,
                actor="email",
            )
            _event, event_id, data = reader.wait_for(
                lambda e: e[0] == "incident" and json.loads(e[2])["id"] == incident.pk
            )
            body = json.loads(data)
            assert body["status"]["key"] == "new"
            assert body["subject"] == "Нет питания на опоре"
            assert body["report"]["registration_method"] == "email"
            assert event_id

            record_status(incident, StatusKey.IN_PROGRESS, actor="tracker")
            _event, _id, data = reader.wait_for(
                lambda e: e[0] == "incident" and json.loads(e[2])["status"]["key"] == "in_progress"
            )
            assert json.loads(data)["id"] == incident.pk
            reader.wait_for(lambda e: e == ("comment", None, "keepalive"))
        finally:
            response.close()


MAIL = """\
From: NOC <noc@operator.example>
To: dispatch@localhost
Subject: =?utf-8?b?0J3QtdGCINC/0LjRgtCw0L3QuNGPINC90LAg0L7Qv9C+0YDQtQ==?=
Message-ID: <live-queue-1@operator.example>
Date: Wed, 25 Nov 2026 09:00:00 +0300
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Авария, нет питания.
"""


def test_mail_worker_ingesting_a_new_e_mail_reaches_a_connected_client(live_settings, tmp_path):
    """The real ``ingest_mail`` worker reads a Maildir message and the client sees the incident."""
    import mailbox

    from django.core.management import call_command

    root = tmp_path / "maildir"
    box = mailbox.Maildir(root, create=True)
    box.add(MAIL.encode())
    token = Token.objects.create(user=make_user()).key
    with asgi_server() as base:
        response, reader = open_stream(base, token)
        try:
            call_command(
                "ingest_mail", "--once", "--source", f"maildir:{root}", "--folder", "INBOX"
            )
            _event, _id, data = reader.wait_for(
                lambda e: (
                    e[0] == "incident" and json.loads(e[2])["subject"] == "Нет питания на опоре"
                )
            )
            assert json.loads(data)["report"]["registration_method"] == "email"
        finally:
            response.close()


def test_reconnecting_with_last_event_id_replays_what_was_missed(live_settings):
    token = Token.objects.create(user=make_user()).key
    with asgi_server() as base:
        response, reader = open_stream(base, token)
        first = create_incident(incident_date=timezone.now(), subject="первый")
        _e, last_id, _d = reader.wait_for(
            lambda e: e[0] == "incident" and json.loads(e[2])["id"] == first.pk
        )
        response.close()
        time.sleep(11)  # longer than the look-back overlap, so only the cursor can find it
        missed = create_incident(incident_date=timezone.now(), subject="пропущенный")
        response, reader = open_stream(base, token, **{"Last-Event-ID": last_id})
        try:
            reader.wait_for(lambda e: e[0] == "incident" and json.loads(e[2])["id"] == missed.pk)
        finally:
            response.close()


def test_guest_and_anonymous_cannot_listen(live_settings):
    guest = Token.objects.create(user=make_user("guest")).key
    with asgi_server() as base:
        anonymous = requests.get(base + URL, timeout=10)
        assert anonymous.status_code == 401
        assert anonymous.json()["code"] == "not_authenticated"
        refused = requests.get(base + URL, headers={"Authorization": f"Token {guest}"}, timeout=10)
        assert refused.status_code == 403
        assert refused.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "revoke",
    [
        pytest.param({"is_active": False}, id="deactivated"),
        pytest.param({"role": "guest"}, id="back-to-guest"),
    ],
)
def test_stream_ends_as_soon_as_the_account_loses_access(live_settings, revoke):
    """An open stream re-checks its user on every poll: after the account is deactivated (or
    its role taken away) no incident reaches it and the server ends it; reconnecting fails."""
    user = make_user()
    token = Token.objects.create(user=user).key
    with asgi_server() as base:
        response, reader = open_stream(base, token)
        try:
            for field, value in revoke.items():
                setattr(user, field, value)
            user.save(update_fields=list(revoke))
            reader.wait_for(lambda e: e == ("comment", None, "access revoked"), timeout=5)
            create_incident(incident_date=timezone.now(), subject="после отключения")
            reader.join(timeout=5)
            assert not reader.is_alive(), "the server kept the stream open"
            leaked = []
            while not reader.events.empty():
                leaked.append(reader.events.get())
            assert [e for e in leaked if e[0] == "incident"] == []
        finally:
            response.close()
        again = requests.get(base + URL, headers={"Authorization": f"Token {token}"}, timeout=10)
        assert again.status_code in (401, 403)
