"""Who may do what — the one place the console, the admin and the API ask.

Roles (``User.role``): guest (signed up, waiting for approval: sees nothing), user (reads the
console and the API), dispatcher (also works incidents and is eligible for assignment),
admin (everything, Django admin). Superusers count as admins. Inactive users count as nobody.
Each approved role also has a Django group with the same permissions (``users.roles``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from users.models import Role

APPROVED_ROLES = frozenset({Role.USER, Role.DISPATCH, Role.ADMIN})
INCIDENT_ROLES = frozenset({Role.DISPATCH, Role.ADMIN})

GUEST_MESSAGE = _(
    "Your account is waiting for approval by an administrator. "
    "You will receive an e-mail when access is granted."
)


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def has_role(user, *roles: str) -> bool:
    """Active and holding one of ``roles``; superusers hold every role."""
    return _active(user) and (user.is_superuser or user.role in roles)


def is_guest(user) -> bool:
    """Signed in but not approved yet."""
    return _active(user) and not user.is_superuser and user.role == Role.GUEST


def is_approved(user) -> bool:
    """May see the console and read the API (user, dispatcher, admin)."""
    return has_role(user, *APPROVED_ROLES)


def is_dispatcher(user) -> bool:
    """Eligible for incident assignment (role dispatcher; superusers are not assigned)."""
    return _active(user) and user.role == Role.DISPATCH


def can_work_incidents(user) -> bool:
    """May change incidents: take, comment, change status (dispatcher, admin)."""
    return has_role(user, *INCIDENT_ROLES)


def is_admin(user) -> bool:
    """Administrator (role admin or superuser)."""
    return has_role(user, Role.ADMIN)


def can_see_avatar(viewer, owner) -> bool:
    """Your own avatar always; someone else's only between approved, active accounts (a guest
    is anyone who signed up from the Internet: it neither sees staff avatars nor shows its own)."""
    if not _active(viewer):
        return False
    if viewer.pk == owner.pk:
        return True
    return (
        is_approved(viewer)
        and owner.is_active
        and (owner.is_superuser or owner.role in APPROVED_ROLES)
    )


def _deny(request: HttpRequest) -> HttpResponse:
    """Anonymous → login page; guest → waiting-for-approval page; others → 403."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if is_guest(request.user):
        messages.info(request, GUEST_MESSAGE)
        return redirect("users:awaiting_approval")
    raise PermissionDenied(_("Your role does not allow this page."))


def role_required(*roles: str) -> Callable:
    """View decorator: only active users with one of ``roles`` (default: any approved role)."""
    allowed = tuple(roles) or tuple(APPROVED_ROLES)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not has_role(request.user, *allowed):
                return _deny(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class RoleRequiredMixin:
    """Class-based view mixin; set ``allowed_roles`` (default: any approved role)."""

    allowed_roles: Iterable[str] = APPROVED_ROLES

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not has_role(request.user, *self.allowed_roles):
            return _deny(request)
        return super().dispatch(request, *args, **kwargs)


class IsApproved(BasePermission):
    """DRF: any approved role; guests, inactive and anonymous users are refused."""

    message = _("Your account has no access yet; an administrator must approve it.")

    def has_permission(self, request, view) -> bool:
        return is_approved(request.user)


class CanWorkIncidents(BasePermission):
    """DRF: approved users read; only dispatchers and admins write."""

    message = _("Only dispatchers and administrators may change incidents.")

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return is_approved(request.user)
        return can_work_incidents(request.user)
