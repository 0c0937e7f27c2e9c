"""Sessions (dispatch/sessions.py): a logged-in page reads its session with one fixed
statement; an expired or logged-out session logs nobody in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from users.tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

PROFILE = reverse("users:profile")


def logged_in(client):
    make_user("petrov@example.com", "petrov.p")
    response = client.post(reverse("users:login"), {"username": "petrov.p", "password": PASSWORD})
    assert response.status_code == 302
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_a_logged_in_page_reads_its_session_in_one_statement(client):
    key = logged_in(client)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PROFILE)
    assert response.status_code == 200
    assert response.wsgi_request.user.username == "petrov.p"
    session_reads = [q["sql"] for q in queries if Session._meta.db_table in q["sql"]]
    assert len(session_reads) == 1
    columns = session_reads[0].split(" FROM ")[0]
    assert "session_data" in columns and "," not in columns  # not the ORM's whole row
    assert key in session_reads[0]


def test_an_expired_session_logs_nobody_in(client):
    key = logged_in(client)
    past = timezone.now() - timedelta(seconds=1)
    Session.objects.filter(session_key=key).update(expire_date=past)
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users:login"))


def test_after_logout_the_old_cookie_logs_nobody_in(client):
    key = logged_in(client)
    assert client.post(reverse("users:logout")).status_code == 302
    client.cookies[settings.SESSION_COOKIE_NAME] = key  # replayed
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
