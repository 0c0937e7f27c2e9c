"""Sign-up end to end: form → confirmation e-mail → link → guest account."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from emails.outbox.services import send_due
from users.models import PendingRegistration, Role, User
from users.tests.conftest import PASSWORD, link_in, make_user

pytestmark = pytest.mark.django_db

REGISTER = reverse("users:register")


def sign_up(client, username="ivanov.a", email="Ivanov@Example.com", password=PASSWORD):
    return client.post(
        REGISTER,
        {"username": username, "email": email, "password1": password, "password2": password},
    )


def test_sign_up_sends_a_link_that_creates_a_guest(client, mailoutbox):
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("users:register_done")
    assert User.objects.count() == 0
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["ivanov@example.com"]
    assert "Подтверждение" in mail.subject
    assert "Ссылка действует 1 день" in mail.body
    link = link_in(mail, "/accounts/activate/")

    page = client.get(link)  # GET only shows the button: mail scanners must not activate
    assert page.status_code == 200
    assert User.objects.count() == 0

    response = client.post(link)
    assert response.status_code == 302
    assert response["Location"] == reverse("users:login")
    user = User.objects.get()
    assert (user.username, user.email, user.role) == ("ivanov.a", "ivanov@example.com", "guest")
    assert user.is_active and not user.is_staff
    assert user.check_password(PASSWORD)
    assert PendingRegistration.objects.count() == 0
    # The stored secret is only a hash of the link's token.
    assert link.rstrip("/").rsplit("/", 1)[1] not in str(
        PendingRegistration.objects.values_list("token_hash", flat=True)
    )


def test_link_lifetime_follows_the_setting_and_the_mail_states_it(client, mailoutbox, settings):
    settings.ACCOUNT_LINK_TTL_HOURS = 12
    sign_up(client)
    assert "Ссылка действует 12 часов" in mailoutbox[0].body
    link = link_in(mailoutbox[0], "/accounts/activate/")
    with time_machine.travel(timezone.now() + timedelta(hours=11, minutes=59)):
        assert client.post(link).status_code == 302
    assert User.objects.filter(username="ivanov.a").exists()


def test_expired_link_is_refused(client, mailoutbox):
    sign_up(client)
    link = link_in(mailoutbox[0], "/accounts/activate/")
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=5)):
        response = client.post(link, follow=True)
    assert User.objects.count() == 0
    assert "Ссылка недействительна" in response.content.decode()


def test_link_works_once(client, mailoutbox):
    sign_up(client)
    link = link_in(mailoutbox[0], "/accounts/activate/")
    client.post(link)
    response = client.post(link, follow=True)
    assert User.objects.count() == 1
    assert "Ссылка недействительна" in response.content.decode()


def test_tampered_link_is_refused(client, mailoutbox):
    sign_up(client)
    link = link_in(mailoutbox[0], "/accounts/activate/")
    token = link.rstrip("/").rsplit("/", 1)[1]
    tampered = link.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))
    response = client.post(tampered, follow=True)
    assert User.objects.count() == 0
    assert "Ссылка недействительна" in response.content.decode()
    assert client.post(link).status_code == 302  # the genuine link still works
    assert User.objects.count() == 1


def test_taken_email_gets_the_same_answer_and_a_notice(client, mailoutbox):
    make_user("ivanov@example.com", "ivanov.old")
    response = sign_up(client, username="someone.new", email="IVANOV@example.COM")
    assert response.status_code == 302
    assert response["Location"] == reverse("users:register_done")
    assert PendingRegistration.objects.count() == 0
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ivanov@example.com"]
    assert "/accounts/activate/" not in mailoutbox[0].body
    assert "уже есть" in mailoutbox[0].body


def test_taken_username_gets_the_same_answer_and_a_notice(client, mailoutbox):
    """The page never says a username is taken (that would list accounts): the answer is the
    usual one and the address is told by mail, with no link and nothing kept."""
    make_user("other@example.com", "Ivanov.A")
    response = sign_up(client, username="ivanov.a")
    assert response.status_code == 302
    assert response["Location"] == reverse("users:register_done")
    assert PendingRegistration.objects.count() == 0
    [notice] = mailoutbox
    assert notice.to == ["ivanov@example.com"]
    assert "имя уже занято" in notice.body and "«ivanov.a»" in notice.body
    assert "/accounts/activate/" not in notice.body


def test_username_waiting_for_confirmation_is_taken(client, mailoutbox):
    sign_up(client, username="ivanov.a", email="first@example.com")
    response = sign_up(client, username="IVANOV.A", email="second@example.com")
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["first@example.com"], ["second@example.com"]]
    assert "имя уже занято" in mailoutbox[1].body
    assert PendingRegistration.objects.get().email == "first@example.com"
    # Once the first sign-up expires the name is free again.
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert sign_up(client, username="IVANOV.A", email="second@example.com").status_code == 302
        assert PendingRegistration.objects.get().email == "second@example.com"


def test_first_confirmed_of_two_signups_for_one_address_wins(client, mailoutbox):
    sign_up(client, username="first.one", email="same@example.com")
    sign_up(client, username="second.one", email="same@example.com")
    first, second = (link_in(m, "/accounts/activate/") for m in mailoutbox)
    client.post(second)
    response = client.post(first, follow=True)
    assert list(User.objects.values_list("username", flat=True)) == ["second.one"]
    assert "уже занят" in response.content.decode()


@pytest.mark.parametrize(
    ("username", "password", "error"),
    [
        ("ab", PASSWORD, "Убедитесь, что это значение содержит не менее 4 символов"),
        ("иван", PASSWORD, "Используйте только латинские буквы"),
        ("ivanov.a", "12345678", "Введённый пароль слишком широко распространён"),
        ("ivanov.a", "ivanov.a1", "Введённый пароль слишком похож"),
    ],
)
def test_bad_username_or_password_is_explained(client, mailoutbox, username, password, error):
    response = sign_up(client, username=username, password=password)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert mailoutbox == []


def test_passwords_must_match(client, mailoutbox):
    response = client.post(
        REGISTER,
        {
            "username": "ivanov.a",
            "email": "ivanov@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD + "x",
        },
    )
    assert "Пароли не совпадают" in response.content.decode()
    assert mailoutbox == []


def test_mail_server_down_loses_nothing_and_the_link_arrives_later(client, smtp_sink):
    """The request never talks to the mail server: with SMTP down the answer is the usual
    one, the confirmation waits in the outbox and is delivered once the server is back."""
    smtp_sink.stop()
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("users:register_done")
    assert PendingRegistration.objects.count() == 1
    assert send_due().retried == 1
    smtp_sink.start()
    assert send_due(now=timezone.now() + timedelta(minutes=5)).sent == 1
    [mail] = smtp_sink.wait_for(1)
    assert mail["To"] == "ivanov@example.com"
    assert "/accounts/activate/" in mail.get_content()


def test_guest_role_is_the_default_of_a_confirmed_account(client, mailoutbox):
    sign_up(client)
    client.post(link_in(mailoutbox[0], "/accounts/activate/"))
    assert User.objects.get().role == Role.GUEST


def test_account_mail_is_russian_whatever_the_browser_language(client, mailoutbox):
    client.post(
        REGISTER,
        {
            "username": "ivanov.a",
            "email": "ivanov@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Ссылка действует 1 день" in mailoutbox[0].body
