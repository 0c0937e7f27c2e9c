"""The role helpers the console, the admin and the API share."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIRequestFactory

from users.models import Role
from users.permissions import (
    CanWorkIncidents,
    IsApproved,
    can_work_incidents,
    is_admin,
    is_approved,
    is_dispatcher,
    is_guest,
)
from users.tests.conftest import make_user

pytestmark = pytest.mark.django_db

#                   guest  approved  dispatcher  works  admin
MATRIX = {
    Role.GUEST: (True, False, False, False, False),
    Role.USER: (False, True, False, False, False),
    Role.DISPATCH: (False, True, True, True, False),
    Role.ADMIN: (False, True, False, True, True),
}
HELPERS = (is_guest, is_approved, is_dispatcher, can_work_incidents, is_admin)


@pytest.mark.parametrize("role", list(MATRIX))
def test_role_matrix(role):
    user = make_user(f"{role}@example.com", f"{role}.user", role=role)
    assert tuple(helper(user) for helper in HELPERS) == MATRIX[role]
    user.is_active = False
    assert not any(helper(user) for helper in HELPERS)


def test_superuser_counts_as_admin_but_is_never_assigned():
    root = make_user("root@example.com", "root.user", role=Role.GUEST, is_superuser=True)
    assert (is_guest(root), is_approved(root), is_admin(root)) == (False, True, True)
    assert can_work_incidents(root) and not is_dispatcher(root)


def test_anonymous_is_nobody():
    assert not any(helper(AnonymousUser()) for helper in HELPERS)


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [(Role.GUEST, False, False), (Role.USER, True, False), (Role.DISPATCH, True, True)],
)
def test_drf_permissions(role, read, write):
    user = make_user(f"{role}@example.com", f"{role}.user", role=role)
    factory = APIRequestFactory()
    get, post = factory.get("/api/v1/x/"), factory.post("/api/v1/x/")
    get.user = post.user = user
    assert IsApproved().has_permission(get, None) is read
    assert CanWorkIncidents().has_permission(get, None) is read
    assert CanWorkIncidents().has_permission(post, None) is write
