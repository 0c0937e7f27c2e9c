"""The user of each request (console session, API token) is read by one prepared statement,
and nothing is remembered: deactivation, a password change or a revoked token shows at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dispatch.api.testing import client_for
from users.models import Role, User
from users.request_user import _BY_ID, _BY_TOKEN
from users.tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

PROFILE = reverse("users:profile")
API = "/api/v1/incidents/"
NEW_PASSWORD = "Grozovoy-Front-77"


def _logged_in(login: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post(reverse("users:login"), {"username": login, "password": password})
    assert response.status_code == 302, response.content
    return client


def _user_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if '"users_user"' in q["sql"]]


def test_the_console_reads_its_user_with_one_prepared_statement_as_the_orm_would():
    user = make_user("petrov@example.com", "petrov.p", role=Role.DISPATCH)
    client = _logged_in("petrov.p")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PROFILE).status_code == 200
    reads = _user_queries(queries)
    assert len(reads) == 1 and reads[0].startswith(_BY_ID.sql(connection.alias)[:40])
    assert "LIMIT" not in reads[0]
    read = User.objects.get(pk=user.pk)
    from users.backends import EmailOrUsernameBackend

    ours = EmailOrUsernameBackend().get_user(str(user.pk))
    for field in User._meta.concrete_fields:  # converted as the ORM converts (SQLite too)
        assert getattr(ours, field.attname) == getattr(read, field.attname), field.name
    assert ours.last_login is not None and ours.last_login.utcoffset() is not None
    assert ours.get_deferred_fields() == set()


def test_a_deactivated_user_is_logged_out_at_the_next_request():
    user = make_user("petrov@example.com", "petrov.p")
    client = _logged_in("petrov.p")
    assert client.get(PROFILE).status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = client.get(PROFILE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("users:login"))


def test_a_password_change_ends_the_other_sessions_but_not_this_one():
    make_user("petrov@example.com", "petrov.p")
    here, elsewhere = _logged_in("petrov.p"), _logged_in("petrov@example.com")
    assert elsewhere.get(PROFILE).status_code == 200
    response = here.post(
        reverse("users:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert here.get(PROFILE).status_code == 200
    assert elsewhere.get(PROFILE).status_code == 302
    assert "_auth_user_id" not in elsewhere.session


def test_a_session_of_a_deleted_user_is_anonymous():
    user = make_user("petrov@example.com", "petrov.p")
    client = _logged_in("petrov.p")
    User.objects.filter(pk=user.pk).delete()
    assert client.get(PROFILE).status_code == 302


def test_the_api_reads_token_and_user_with_one_statement_without_the_password_hash():
    client = client_for(make_user("petrov@example.com", "petrov.p", role=Role.DISPATCH))
    client.get(API)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(API).status_code == 200
    reads = [q["sql"] for q in queries if "authtoken_token" in q["sql"]]
    assert len(reads) == 1 and "password" not in reads[0]
    assert reads[0].startswith(_BY_TOKEN.sql(connection.alias)[:40])
    assert not _user_queries(q for q in queries if "authtoken_token" not in q["sql"])


def _refused(client: APIClient, message: str) -> None:
    response = client.get(API)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response.json()["detail"] == gettext(message)


def test_a_revoked_token_is_refused_at_once_and_a_new_one_works():
    user = make_user("petrov@example.com", "petrov.p", role=Role.DISPATCH)
    client = client_for(user)
    assert client.get(API).status_code == 200
    Token.objects.filter(user=user).delete()
    _refused(client, "Invalid token.")
    assert client_for(user).get(API).status_code == 200


def test_a_deactivated_users_token_is_refused_at_once_with_drfs_message():
    user = make_user("petrov@example.com", "petrov.p", role=Role.DISPATCH)
    client = client_for(user)
    assert client.get(API).status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    _refused(client, "User inactive or deleted.")
    User.objects.filter(pk=user.pk).update(is_active=True, role=Role.GUEST)
    assert client.get(API).status_code == 403  # the role is read fresh too


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Token", "Invalid token header. No credentials provided."),
        ("Token a b", "Invalid token header. Token string should not contain spaces."),
        ("Token " + "f" * 40, "Invalid token."),
        ("Token " + "x" * 10_000, "Invalid token."),
        ("Token abc\x00def", "Invalid token."),
        ("Token " + "ключ".encode().decode("latin-1"), "Invalid token."),  # as a server reads it
        (
            "Token \xff\xfe",
            "Invalid token header. Token string should not contain invalid characters.",
        ),
        ("Token ' OR '1'='1", "Invalid token header. Token string should not contain spaces."),
        ("Token '--", "Invalid token."),
    ],
)
def test_hostile_token_headers_get_drfs_401(header, message):
    make_user("petrov@example.com", "petrov.p", role=Role.DISPATCH)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    _refused(client, message)
