"""E-mail change: current password, confirmation from the new address, one use, notices."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from users.models import EmailChangeRequest
from users.tests.conftest import PASSWORD, link_in, make_user

pytestmark = pytest.mark.django_db

CHANGE = reverse("users:change_email")
PREFIX = "/accounts/email/confirm/"


@pytest.fixture
def user_client(client):
    user = make_user("old@example.com", "petrov.p")
    client.force_login(user)
    client.user = user
    return client


def ask(client, new_email="New@Example.com", password=PASSWORD):
    return client.post(CHANGE, {"new_email": new_email, "password": password})


def test_change_is_applied_from_the_link_and_the_old_address_is_told(
    user_client, mailoutbox, django_capture_on_commit_callbacks
):
    assert ask(user_client).status_code == 302
    assert [m.to for m in mailoutbox] == [["new@example.com"]]
    assert "Ссылка действует 1 день" in mailoutbox[0].body
    user_client.user.refresh_from_db()
    assert user_client.user.email == "old@example.com"  # nothing changes before the link

    link = link_in(mailoutbox[0], PREFIX)
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(link)
    user_client.user.refresh_from_db()
    assert user_client.user.email == "new@example.com"
    assert mailoutbox[-1].to == ["old@example.com"]
    assert "new@example.com" in mailoutbox[-1].body
    # The new address is now the login.
    user_client.post(reverse("users:logout"))
    login = {"username": "NEW@example.com", "password": PASSWORD}
    assert user_client.post(reverse("users:login"), login).status_code == 302


def test_link_works_once(user_client, mailoutbox):
    ask(user_client)
    link = link_in(mailoutbox[0], PREFIX)
    user_client.post(link)
    response = user_client.post(link, follow=True)
    assert "Ссылка недействительна" in response.content.decode()


def test_expired_link_is_refused(user_client, mailoutbox):
    ask(user_client)
    link = link_in(mailoutbox[0], PREFIX)
    with time_machine.travel(timezone.now() + timedelta(hours=24, seconds=1)):
        response = user_client.post(link, follow=True)
    assert "Ссылка недействительна" in response.content.decode()
    user_client.user.refresh_from_db()
    assert user_client.user.email == "old@example.com"


def test_someone_elses_link_is_refused(user_client, client, mailoutbox, django_user_model):
    ask(user_client)
    link = link_in(mailoutbox[0], PREFIX)
    from django.test import Client

    intruder_client = Client()
    intruder_client.force_login(make_user("intruder@example.com", "intruder"))
    response = intruder_client.post(link, follow=True)
    assert "Ссылка недействительна" in response.content.decode()
    assert not django_user_model.objects.filter(email="new@example.com").exists()
    assert EmailChangeRequest.objects.count() == 1


def test_tampered_link_is_refused(user_client, mailoutbox):
    ask(user_client)
    link = link_in(mailoutbox[0], PREFIX)
    token = link.rstrip("/").rsplit("/", 1)[1]
    response = user_client.post(link.replace(token, token[::-1]), follow=True)
    assert "Ссылка недействительна" in response.content.decode()


def test_wrong_password_or_same_address_is_refused(user_client, mailoutbox):
    assert "Неверный пароль" in ask(user_client, password="wrong").content.decode()
    same = ask(user_client, new_email="OLD@example.com").content.decode()
    assert "Это и есть ваш текущий адрес" in same
    assert mailoutbox == []


def test_taken_address_reveals_nothing(user_client, mailoutbox):
    make_user("taken@example.com", "other.user")
    response = ask(user_client, new_email="Taken@example.com")
    assert response.status_code == 302
    assert EmailChangeRequest.objects.count() == 0
    assert [m.to for m in mailoutbox] == [["taken@example.com"]]
    assert PREFIX not in mailoutbox[0].body
