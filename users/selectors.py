"""User selectors (reads)."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from users.models import EmailChangeRequest, PendingRegistration, Role, User
from users.tokens import link_lifetime, token_hash


def find_user_by_login(login: str) -> User | None:
    """The user whose e-mail or username equals ``login`` (case-insensitive)."""
    login = login.strip()
    if not login:
        return None
    field = "email__iexact" if "@" in login else "username__iexact"
    return User.objects.filter(**{field: login}).first()


def email_taken(email: str, *, exclude_user: User | None = None) -> bool:
    qs = User.objects.filter(email__iexact=email.strip())
    if exclude_user is not None:
        qs = qs.exclude(pk=exclude_user.pk)
    return qs.exists()


def username_taken(username: str) -> bool:
    """Taken by a user or by a sign-up still waiting for its confirmation."""
    username = username.strip()
    return (
        User.objects.filter(
            Q(username__iexact=username) | Q(tracker_login__iexact=username)
        ).exists()
        or live_registrations().filter(username__iexact=username).exists()
    )


def live_registrations():
    """Pending registrations whose link has not expired yet."""
    return PendingRegistration.objects.filter(created_at__gte=timezone.now() - link_lifetime())


def registration_for_token(token: str) -> PendingRegistration | None:
    """The live registration the link token belongs to; None if unknown, used or expired."""
    return live_registrations().filter(token_hash=token_hash(token)).first()


def email_change_for_token(token: str) -> EmailChangeRequest | None:
    """The live e-mail change the link token belongs to; None if unknown, used or expired."""
    return (
        EmailChangeRequest.objects.select_related("user")
        .filter(token_hash=token_hash(token), created_at__gte=timezone.now() - link_lifetime())
        .first()
    )


def approvers():
    """Active administrators to tell about new accounts waiting for approval."""
    return User.objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(role="admin"))


def awaiting_approval():
    """Active accounts that confirmed their e-mail and wait for an administrator to give them a
    role (guests); the superuser is never one."""
    return User.objects.filter(is_active=True, is_superuser=False, role=Role.GUEST)
