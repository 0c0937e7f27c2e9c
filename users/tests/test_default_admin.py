"""The init step's default administrator: created, then updated, never duplicated."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from users.models import Role, User
from users.roles import ROLE_GROUPS
from users.tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_command_creates_then_updates_the_admin(settings, capsys):
    settings.ADMIN_EMAIL, settings.ADMIN_USERNAME = "Root@Example.com", "root.admin"
    settings.ADMIN_PASSWORD = "Pervyi-Parol-2026"
    call_command("ensure_admin")
    settings.ADMIN_PASSWORD = "Vtoroi-Parol-2026"
    call_command("ensure_admin")
    out = capsys.readouterr().out
    assert "created" in out and "updated" in out
    admin = User.objects.get()
    assert admin.email == "root@example.com" and admin.role == Role.ADMIN
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password("Vtoroi-Parol-2026")
    assert list(admin.groups.all()) == [Group.objects.get(name=ROLE_GROUPS[Role.ADMIN])]


def test_username_taken_by_someone_else_is_a_clear_error(settings):
    make_user("other@example.com", "Root.Admin")
    settings.ADMIN_EMAIL, settings.ADMIN_USERNAME = "root@example.com", "root.admin"
    settings.ADMIN_PASSWORD = "Pervyi-Parol-2026"
    with pytest.raises(CommandError, match="cannot be saved"):
        call_command("ensure_admin")
    assert User.objects.count() == 1


def test_not_configured_is_skipped(settings, capsys):
    settings.ADMIN_EMAIL = ""
    call_command("ensure_admin")
    assert "no default admin" in capsys.readouterr().out
    assert not User.objects.exists()
