"""Who may use the API: any role but guest reads; dispatchers and admins change incidents."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from users.models import Role

READ_ROLES = frozenset({Role.USER, Role.DISPATCH, Role.ADMIN})
WRITE_ROLES = frozenset({Role.DISPATCH, Role.ADMIN})


def can_read(user) -> bool:
    """Active, authenticated, and not a guest (superusers always)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.role in READ_ROLES


def can_change_incidents(user) -> bool:
    return can_read(user) and (user.is_superuser or user.role in WRITE_ROLES)


class HasApiRole(BasePermission):
    """Reads for users, dispatchers and admins; writes for dispatchers and admins."""

    message = _("Your role does not give access to the API; ask an administrator.")

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return can_read(request.user)
        if not can_read(request.user):
            return False
        if not can_change_incidents(request.user):
            self.message = _("Only dispatchers and administrators may change incidents.")
            return False
        return True
