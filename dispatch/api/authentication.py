"""API token authentication: DRF's, with the token and its user read by one fixed statement."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from users.request_user import token_and_user

KEY_LENGTH = Token._meta.get_field("key").max_length


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>`` as DRF checks it (the same 401 answers and messages:
    unknown key, inactive user); the lookup is ``users.request_user.token_and_user``. A key no
    token can have (longer than the column, or with a NUL, which PostgreSQL refuses with an
    error) is an unknown key without asking the database."""

    def authenticate_credentials(self, key: str):
        if len(key) > KEY_LENGTH or "\x00" in key:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        found = token_and_user(key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token, user = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, token
