"""Authentication backends: lockout check (django-axes) and login by e-mail or username."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from users.models import User
from users.request_user import user_by_id
from users.selectors import find_user_by_login


class AxesLockoutBackend(AxesStandaloneBackend):
    """django-axes lockout check for web logins; code that authenticates without a request
    (management commands, test clients) is not a login attempt and passes through."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class EmailOrUsernameBackend(ModelBackend):
    """The login box accepts the e-mail address or the username, case-insensitively."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        login = username if username is not None else kwargs.get(User.USERNAME_FIELD)
        if not login or password is None:
            return None
        user = find_user_by_login(login)
        if user is None:
            User().set_password(password)  # same hashing cost as a real check (timing)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The logged-in user of a session, as ``ModelBackend`` finds it (inactive: None), read
        by ``users.request_user.user_by_id``; Django then checks the session's password hash."""
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = user_by_id(pk)
        return user if user is not None and self.user_can_authenticate(user) else None


def axes_username(request: HttpRequest, credentials: dict | None) -> str:
    """The lockout key for a login: the login as typed (case-insensitive). It must not depend
    on whether the login belongs to an account — keying on the account would let the failure
    counter (and the remaining-attempts message) tell which e-mail and username are one."""
    typed = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(typed).strip().lower()
