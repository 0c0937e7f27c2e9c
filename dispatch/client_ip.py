"""The real client IP address behind the trusted reverse proxies (the nginx gateway).

Each trusted proxy appends the address it received the connection from to
``X-Forwarded-For``; with ``TRUSTED_PROXY_COUNT = n`` the client is the n-th entry from the
right. Entries further left are supplied by the client and never trusted. Without trusted
proxies, or when the header is missing or malformed, ``REMOTE_ADDR`` is used.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """Return the address of the client that connected to our outermost trusted proxy."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    if not hops:
        return remote
    candidate = hops[-proxies] if len(hops) >= proxies else hops[0]
    return _valid_ip(candidate) or remote


def _valid_ip(value: str) -> str | None:
    """Normalise an IPv4/IPv6 address (port and brackets stripped); None when invalid."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
