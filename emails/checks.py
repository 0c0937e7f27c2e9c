"""System checks of the mailbox settings (``manage.py check --deploy``)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.checks import Warning, register

_LOCAL_DOMAINS = {"localhost", "localhost.localdomain", "localdomain"}


def is_local_address(address: str) -> bool:
    """True for an address no other mail server can deliver to (``…@localhost``, loopback)."""
    domain = address.rpartition("@")[2].strip().strip("[]").lower().rstrip(".")
    if domain in _LOCAL_DOMAINS or domain.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(domain.removeprefix("ipv6:")).is_loopback
    except ValueError:
        return False


@register(deploy=True)
def check_dispatch_mailbox(app_configs=None, **kwargs) -> list:
    """Outgoing mail is sent from and CCs DISPATCH_MAILBOX: a localhost address loses replies."""
    if not is_local_address(settings.DISPATCH_MAILBOX):
        return []
    return [
        Warning(
            f"DISPATCH_MAILBOX is {settings.DISPATCH_MAILBOX!r}, a localhost address: outgoing "
            "mail is sent from it and CCs it, so replies and copies are lost to threading.",
            hint="Set DISPATCH_MAILBOX (or PARSING_EMAIL_LOGIN, its default) to the address of "
            "the mailbox the workers read.",
            id="emails.W001",
        )
    ]
