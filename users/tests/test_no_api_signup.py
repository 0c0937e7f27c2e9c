"""No way to create an account except the confirmed web sign-up."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from users.models import PendingRegistration, User

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "username": "mallory.x",
    "email": "mallory@example.com",
    "password": "Vetrov-Signal-2026",
    "password1": "Vetrov-Signal-2026",
    "password2": "Vetrov-Signal-2026",
    "re_password": "Vetrov-Signal-2026",
}


def plain_routes(resolver: URLResolver, prefix: str = "") -> list[tuple[str, str]]:
    """(path, name) of every route without parameters."""
    routes = []
    for entry in resolver.url_patterns:
        pattern = str(entry.pattern)
        if any(c in pattern for c in "<(["):
            continue
        path = prefix + pattern.lstrip("^").rstrip("$")
        if isinstance(entry, URLResolver):
            routes += plain_routes(entry, path)
        elif isinstance(entry, URLPattern):
            routes.append(("/" + path, entry.name or ""))
    return routes


def test_anonymous_posts_anywhere_create_no_user(client):
    client.raise_request_exception = False
    guesses = ["/api/v1/users/", "/api/v1/auth/users/", "/api/v1/register/", "/api/auth/users/"]
    routes = [(path, name) for path, name in plain_routes(get_resolver()) if name != "register"]
    assert routes, "no routes found"
    for path in [p for p, _ in routes] + guesses:
        client.post(path, PAYLOAD)
        client.post(path, PAYLOAD, content_type="application/json")
    assert not User.objects.exists()
    assert not PendingRegistration.objects.exists()
