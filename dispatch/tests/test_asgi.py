"""The ASGI entry point: ordinary requests run whole in the WSGI thread pool, the live stream on
Django's ASGI handler; request bodies arrive intact; pool threads keep their database connection."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core.signals import request_started
from django.db import connection
from django.db.backends.signals import connection_created
from django.utils import timezone
from rest_framework.authtoken.models import Token

from dispatch.api.liveserver import asgi_server
from dispatch.api.testing import make_user
from incidents.defaults import load_defaults
from incidents.models import IncidentSource
from incidents.services import create_incident

pytestmark = pytest.mark.django_db(transaction=True)


class ThreadNames:
    """Names of the threads that started Django requests, in order."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, **kwargs) -> None:
        with self.lock:
            self.names.append(threading.current_thread().name)


@pytest.fixture
def started_in():
    names = ThreadNames()
    request_started.connect(names, dispatch_uid="test-asgi-thread-names")
    yield names
    request_started.disconnect(dispatch_uid="test-asgi-thread-names")


def test_plain_requests_run_in_the_wsgi_pool_and_the_live_stream_on_asgi(settings, started_in):
    settings.API_LIVE_MAX_SECONDS = 1
    settings.API_LIVE_POLL_SECONDS = 0.1
    token = Token.objects.create(user=make_user()).key
    with asgi_server() as base:
        health = requests.get(f"{base}/health/", timeout=10)
        live = requests.get(
            f"{base}/api/v1/incidents/live/",
            headers={"Authorization": f"Token {token}", "Accept": "text/event-stream"},
            timeout=10,
        )
    assert health.status_code == 200
    assert health.json()["database"] == "ok"
    assert live.status_code == 200
    assert live.headers["Content-Type"].startswith("text/event-stream")
    assert len(started_in.names) == 2
    assert started_in.names[0].startswith("WSGI")  # a2wsgi's pool threads
    assert not started_in.names[1].startswith("WSGI")


def test_request_bodies_reach_the_views_intact():
    load_defaults()
    incident = create_incident(
        subject="Нет питания", requester_email="noc@operator.example",
        incident_date=timezone.now(), source=IncidentSource.EMAIL,
    )  # fmt: skip
    token = Token.objects.create(user=make_user()).key
    padding = "тело запроса " * 20_000  # 460 KB: many receive chunks
    with asgi_server() as base:
        response = requests.post(
            f"{base}/api/v1/incidents/{incident.pk}/status/",
            json={"status": "no-such-status", "comment": "проверка", "padding": padding},
            headers={"Authorization": f"Token {token}"},
            timeout=10,
        )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]  # the JSON parsed whole


def test_pool_threads_keep_their_database_connection(settings):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite connections are opened per request (a file open, not a backend)")
    opened: list[int] = []
    connection_created.connect(lambda **kw: opened.append(1), weak=False, dispatch_uid="t-conn")
    try:
        with asgi_server() as base, ThreadPoolExecutor(4) as clients:
            sessions = [requests.Session() for _ in range(4)]
            codes = list(
                clients.map(
                    lambda n: sessions[n % 4].get(f"{base}/health/", timeout=10).status_code,
                    range(60),
                )
            )
    finally:
        connection_created.disconnect(dispatch_uid="t-conn")
    assert codes == [200] * 60
    assert 1 <= len(opened) <= settings.GUNICORN_THREADS
