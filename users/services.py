"""User services (writes)."""

from __future__ import annotations

from users.models import Role, User


def ensure_admin(email: str, username: str, password: str) -> tuple[User, bool]:
    """Create or update the default superuser; idempotent. Returns (user, created)."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if user is None:
        user = User(email=email)
    user.username = username
    user.is_staff = True
    user.is_superuser = True
    user.is_active = True
    user.role = Role.ADMIN
    if password and not user.check_password(password):
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user, created
