"""Login by e-mail or username, logout, and brute-force lockout keyed on the real client IP."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from users.tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = reverse("users:login")


def login(client, login_name, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": login_name, "password": password}, **extra)


@pytest.mark.parametrize(
    "login_name", ["petrov@example.com", "PETROV@Example.com", "petrov.p", "Petrov.P"]
)
def test_login_by_email_or_username(client, login_name):
    user = make_user("petrov@example.com", "petrov.p")
    response = login(client, login_name)
    assert response.status_code == 302
    assert response["Location"] == reverse("users:home")
    assert int(client.session["_auth_user_id"]) == user.pk


def test_wrong_password_says_so_without_revealing_the_account(client):
    make_user("petrov@example.com", "petrov.p")
    known = login(client, "petrov.p", "wrong-password").content.decode()
    unknown = login(client, "nobody.here", "wrong-password").content.decode()
    message = "Неверный e-mail/имя пользователя или пароль."
    assert message in known and message in unknown


def test_logout_is_a_post_and_ends_the_session(client):
    make_user("petrov@example.com", "petrov.p")
    login(client, "petrov.p")
    response = client.post(reverse("users:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_disabled_account_cannot_log_in(client):
    make_user("petrov@example.com", "petrov.p", is_active=False)
    response = login(client, "petrov.p")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_lockout_after_repeated_failures_and_release_after_cool_off(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    make_user("petrov@example.com", "petrov.p")
    first = login(client, "petrov.p", "wrong")
    assert first.status_code == 200
    assert "Осталось 2 попытки до временной блокировки входа." in first.content.decode()
    second = login(client, "Petrov.P", "wrong")  # the same login in other letter case
    assert "Осталась 1 попытка до временной блокировки входа." in second.content.decode()
    locked = login(client, "petrov.p", "wrong")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Слишком много неудачных попыток входа" in page
    assert "Повторите через 15 мин." in page
    # The right password does not help while locked.
    assert login(client, "petrov.p").status_code == 429
    assert "_auth_user_id" not in client.session

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = login(client, "petrov.p")
        assert response.status_code == 302
    assert "_auth_user_id" in client.session
    assert not AccessAttempt.objects.filter(failures_since_start__gt=0).exists()


def test_lockout_is_keyed_on_the_client_behind_the_gateway(client, settings):
    """Behind nginx every request comes from the gateway; the client is in X-Forwarded-For."""
    settings.AXES_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXY_COUNT = 1
    make_user("petrov@example.com", "petrov.p")
    gateway = {"REMOTE_ADDR": "172.18.0.5"}
    attacker = {**gateway, "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    # A forged leftmost entry must not give the attacker a fresh identity.
    forged = {**gateway, "HTTP_X_FORWARDED_FOR": "10.9.9.9, 203.0.113.7"}
    for headers in (attacker, forged, attacker):
        login(client, "petrov.p", "wrong", **headers)
    assert login(client, "petrov.p", **attacker).status_code == 429
    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"

    colleague = {**gateway, "HTTP_X_FORWARDED_FOR": "198.51.100.20"}
    assert login(client, "petrov.p", **colleague).status_code == 302


def test_django_admin_login_is_protected_too(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    make_user("boss@example.com", "boss.admin", role="admin", is_staff=True)
    url = reverse("admin:login")
    for _ in range(2):
        client.post(url, {"username": "boss@example.com", "password": "nope"})
    response = client.post(url, {"username": "boss@example.com", "password": PASSWORD})
    assert response.status_code == 429


def _attempts_left(client, first: str, second: str) -> list[str]:
    """The warnings shown after a wrong password for ``first`` and then for ``second``."""
    pages = [login(client, name, "wrong").content.decode() for name in (first, second)]
    return [
        re.search(r"Осталось? \d+ попытк\w* до временной блокировки", p).group(0) for p in pages
    ]


def test_attempt_counter_does_not_tell_that_an_email_and_a_username_are_one_account(settings):
    """The remaining-attempts message for an account's e-mail and then its username is the
    same as for two logins that belong to nobody: the counter follows what was typed."""
    settings.AXES_FAILURE_LIMIT = 5
    make_user("petrov@example.com", "petrov.p")
    known = _attempts_left(Client(), "petrov@example.com", "petrov.p")
    AccessAttempt.objects.all().delete()
    unknown = _attempts_left(Client(), "sidorov@example.com", "sidorov.s")
    assert known == unknown == ["Осталось 4 попытки до временной блокировки"] * 2
