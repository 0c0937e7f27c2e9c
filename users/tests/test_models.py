"""User model: login by e-mail, case-insensitive uniqueness, default admin."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from users.models import Role, User
from users.services import ensure_admin

pytestmark = pytest.mark.django_db


def test_email_is_the_login_and_lowercased():
    user = User.objects.create_user(email="Ivan.Petrov@Example.COM", password="x" * 12)
    assert User.USERNAME_FIELD == "email"
    assert user.email == "ivan.petrov@example.com"
    assert user.username == "ivan.petrov"
    assert user.role == Role.GUEST


def test_email_and_username_unique_case_insensitively():
    User.objects.create_user(email="a@example.com", username="disp1")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="b@example.com", username="DISP1")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="A@example.com", username="other")


def test_username_follows_tracker_login_rules():
    user = User(email="x@example.com", username="ab!")
    with pytest.raises(ValidationError):
        user.full_clean()


def test_ensure_admin_is_idempotent():
    user, created = ensure_admin("Admin@Example.com", "admin", "s3cret-pass-123")
    again, created_again = ensure_admin("admin@example.com", "admin", "s3cret-pass-123")
    assert created and not created_again
    assert user.pk == again.pk
    assert again.is_superuser and again.role == Role.ADMIN
    assert again.check_password("s3cret-pass-123")
    assert User.objects.count() == 1


def test_dispatchers_are_active_dispatch_role_only():
    User.objects.create_user(email="d@example.com", role=Role.DISPATCH)
    User.objects.create_user(email="off@example.com", role=Role.DISPATCH, is_active=False)
    User.objects.create_user(email="g@example.com")
    assert [u.email for u in User.objects.dispatchers()] == ["d@example.com"]
