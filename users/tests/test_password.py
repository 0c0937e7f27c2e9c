"""Password change and password reset end to end (no enumeration, expiry, one use)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from users.tests.conftest import PASSWORD, link_in, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Grozovoy-Front-77"
RESET = reverse("users:password_reset")


def test_password_change(client):
    user = make_user("petrov@example.com", "petrov.p")
    client.force_login(user)
    response = client.post(
        reverse("users:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert "_auth_user_id" in client.session  # the session survives the change


def test_password_change_needs_the_old_password(client):
    user = make_user("petrov@example.com", "petrov.p")
    client.force_login(user)
    response = client.post(
        reverse("users:password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_reset_known_and_unknown_addresses_look_the_same(client, mailoutbox):
    make_user("petrov@example.com", "petrov.p")
    known = client.post(RESET, {"email": "PETROV@example.com"})
    unknown = client.post(RESET, {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("users:password_reset_done")
    assert [m.to for m in mailoutbox] == [["petrov@example.com"]]


def test_reset_link_sets_a_new_password_once(client, mailoutbox):
    user = make_user("petrov@example.com", "petrov.p")
    client.post(RESET, {"email": "petrov@example.com"})
    mail = mailoutbox[0]
    assert "Ссылка действует 1 день" in mail.body
    link = link_in(mail, "/accounts/password/reset/")
    form_page = client.get(link, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    again = client.get(link, follow=True)
    assert "Ссылка недействительна" in again.content.decode()
    assert (
        client.post(
            reverse("users:login"), {"username": "petrov.p", "password": NEW_PASSWORD}
        ).status_code
        == 302
    )


def test_expired_reset_link_is_refused(client, mailoutbox):
    user = make_user("petrov@example.com", "petrov.p")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.post(RESET, {"email": "petrov@example.com"})
        link = link_in(mailoutbox[0], "/accounts/password/reset/")
        traveller.shift(timedelta(hours=23, minutes=59))
        assert client.get(link, follow=True).context["validlink"]
        traveller.shift(timedelta(minutes=2))
        page = client.get(link, follow=True)
    assert "Ссылка недействительна" in page.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_tampered_reset_link_is_refused(client, mailoutbox):
    make_user("petrov@example.com", "petrov.p")
    client.post(RESET, {"email": "petrov@example.com"})
    link = link_in(mailoutbox[0], "/accounts/password/reset/")
    token = link.rstrip("/").rsplit("/", 1)[1]
    bad = link.replace(token, token[:-2] + ("zz" if not token.endswith("zz") else "yy"))
    page = client.get(bad, follow=True)
    assert "Ссылка недействительна" in page.content.decode()
