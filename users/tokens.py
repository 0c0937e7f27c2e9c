"""One-time confirmation tokens: a random secret goes into the link, only its hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils.translation import ngettext


def new_token() -> tuple[str, str]:
    """Return (token for the link, hash to store)."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_lifetime() -> timedelta:
    """How long confirmation and password-reset links stay valid."""
    return timedelta(hours=settings.ACCOUNT_LINK_TTL_HOURS)


def link_lifetime_text() -> str:
    """The lifetime as the e-mails state it, e.g. «1 день» or «12 часов»."""
    hours = settings.ACCOUNT_LINK_TTL_HOURS
    if hours % 24 == 0:
        days = hours // 24
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
