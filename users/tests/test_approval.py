"""Guests see nothing until an administrator sets their role in the Django admin; then they
are told by e-mail, and groups/staff access follow the role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from users.models import Role, User
from users.roles import ROLE_GROUPS
from users.tests.conftest import PASSWORD, link_in, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = make_user("boss@example.com", "boss.admin", role=Role.ADMIN)
    assert admin.is_staff  # the admin role opens the Django admin
    client.force_login(admin)
    return client


def sign_up_and_confirm(client, mailoutbox) -> User:
    client.post(
        reverse("users:register"),
        {
            "username": "sidorov.s",
            "email": "sidorov@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    client.post(link_in(mailoutbox[-1], "/accounts/activate/"))
    return User.objects.get(username="sidorov.s")


def test_admins_are_told_about_a_new_account(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    make_user("boss@example.com", "boss.admin", role=Role.ADMIN)
    make_user("plain@example.com", "plain.user")
    with django_capture_on_commit_callbacks(execute=True):
        guest = sign_up_and_confirm(client, mailoutbox)
    notice = mailoutbox[-1]
    assert notice.to == ["boss@example.com"]
    assert "ждёт одобрения" in notice.subject
    assert reverse("admin:users_user_change", args=[guest.pk]) in notice.body


def test_guest_is_denied_everywhere(client, mailoutbox):
    sign_up_and_confirm(client, mailoutbox)
    response = client.post(
        reverse("users:login"), {"username": "sidorov.s", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("users:awaiting_approval")
    assert "Ожидает одобрения" in response.content.decode()

    for name in ("users:profile", "users:change_email"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"] == reverse("users:awaiting_approval")
    confirm = reverse("users:confirm_email_change", args=["x" * 43])
    assert client.post(confirm)["Location"] == reverse("users:awaiting_approval")

    admin = client.get(reverse("admin:index"))
    assert admin.status_code == 302 and "/admin/login/" in admin["Location"]
    api = client.get("/api/v1/dispatchers/")
    assert api.status_code == 403


def test_approval_in_the_admin_list_sets_the_role_and_mails_the_user(
    admin_client, client, mailoutbox, django_capture_on_commit_callbacks
):
    guest = User.objects.create_user(email="sidorov@example.com", username="sidorov.s")
    boss = User.objects.get(username="boss.admin")
    changelist = reverse("admin:users_user_changelist")
    rows = {"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2", "_save": "Сохранить"}
    for i, user in enumerate(User.objects.order_by("email")):  # the list's own ordering
        rows[f"form-{i}-id"] = str(user.pk)
        rows[f"form-{i}-role"] = Role.DISPATCH if user == guest else user.role
        rows[f"form-{i}-is_active"] = "on"
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(changelist, rows, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302, response.content.decode()[:2000]

    guest.refresh_from_db()
    assert guest.role == Role.DISPATCH
    assert [g.name for g in guest.groups.all()] == [ROLE_GROUPS[Role.DISPATCH]]
    assert guest.has_perm("users.work_incidents") and guest.has_perm("users.use_console")
    assert not guest.is_staff
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["sidorov@example.com"]
    assert "Ваша роль: Диспетчер" in mailoutbox[0].body
    assert boss.role == Role.ADMIN  # the unchanged row is untouched


def test_role_changes_move_groups_and_staff_access():
    user = make_user("u@example.com", "user.one", role=Role.GUEST)
    assert not user.groups.exists()
    user.role = Role.ADMIN
    user.save()
    user = User.objects.get(pk=user.pk)
    assert user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == [ROLE_GROUPS[Role.ADMIN]]
    admin_group = Group.objects.get(name=ROLE_GROUPS[Role.ADMIN])
    assert admin_group.permissions.filter(codename="change_incident").exists()
    user.role = Role.USER
    user.save()
    user = User.objects.get(pk=user.pk)
    assert not user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == [ROLE_GROUPS[Role.USER]]
    assert user.has_perm("users.use_console") and not user.has_perm("users.work_incidents")


def test_approved_user_lands_on_the_console_and_reaches_the_profile(client):
    user = make_user("u@example.com", "user.one", role=Role.USER)
    client.force_login(user)
    response = client.get(reverse("users:home"), follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert response.status_code == 200
    assert client.get(reverse("users:profile")).status_code == 200
