"""Walk the whole URL resolver: every page and API endpoint is denied to anonymous visitors and
guests, except the short, explicit list of public pages (login, sign-up, password reset, health)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from users.models import Role, User

pytestmark = pytest.mark.django_db

# Pages an anonymous visitor must be able to open (paths, as regular expressions).
PUBLIC = [
    r"^/accounts/login/$",
    r"^/accounts/logout/$",
    r"^/accounts/register/(done/)?$",
    r"^/accounts/activate/[^/]+/$",
    r"^/accounts/email/confirm/[^/]+/$",
    r"^/accounts/password/reset/",
    r"^/admin/login/$",
    r"^/admin/logout/$",
    r"^/health/$",
]
# Pages a logged-in guest (not yet approved) may open: its own account only.
GUEST_ALLOWED = [
    *PUBLIC,
    r"^/accounts/$",
    r"^/accounts/(waiting|profile|email|password/change(/done)?)/$",
    r"^/accounts/avatar/\d+/$",
]
DENIED = {401, 403, 404, 405, 406}

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_SAMPLE = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "1",
    "uuid": "0" * 8 + "-0000-0000-0000-" + "0" * 12,
}


def _concrete(pattern: str) -> str:
    """One concrete path for a route or regex pattern (converters filled with sample values)."""
    if pattern.startswith("^") or pattern.endswith("$") or "(?P<" in pattern:
        text = pattern.lstrip("^").rstrip("$").replace("\\Z", "")
        text = re.sub(r"\(\?P<\w+>[^)]*\)", "1", text)
        text = re.sub(r"\.\*|\.\+", "probe", text)
        text = re.sub(r"\[\^/\][*+]", "x", text)
        text = re.sub(r"\(([^)|]*)\|[^)]*\)", r"\1", text)
        text = text.replace("\\", "").replace("?", "")
        return text
    return _CONVERTER.sub(lambda m: _SAMPLE.get(m.group(1) or "str", "x"), pattern)


def walk(patterns=None, prefix: str = "/") -> Iterator[str]:
    """Every URL the project serves, as one concrete path per pattern."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        part = _concrete(str(entry.pattern))
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + part)
        elif isinstance(entry, URLPattern):
            yield prefix + part


def _matches(path: str, allowed: list[str]) -> bool:
    return any(re.search(rule, path) for rule in allowed)


def _denied(response, path: str) -> bool:
    if response.status_code in DENIED:
        return True
    location = response.get("Location", "")
    return response.status_code == 302 and ("/login/" in location or "/waiting/" in location)


def test_the_walk_covers_console_api_admin_and_accounts():
    paths = set(walk())
    assert len(paths) > 60
    for expected in ("/", "/incidents/1/", "/attachments/1/", "/api/v1/incidents/", "/admin/"):
        assert expected in paths, expected


@pytest.fixture
def real_paths(defaults) -> list[str]:
    """Every URL, with ids pointing at a real incident (with an e-mail and an attachment), so a
    404 cannot hide a leak."""
    from django.core.files.base import ContentFile

    from emails.models import EmailAttachment
    from incidents.tests.factories import make_request

    incident = make_request()
    email = incident.emails.get()
    attachment = EmailAttachment(
        email=email, filename="act.pdf", content_type="application/pdf", size=3, sha256="0" * 64
    )
    attachment.file.save("act.pdf", ContentFile(b"pdf"), save=False)
    attachment.save()
    paths = set()
    for path in walk():
        if path.startswith("/attachments/"):
            paths.add(path.replace("/1/", f"/{attachment.pk}/"))
        elif "/emailmessage/" in path:
            paths.add(path.replace("/1/", f"/{email.pk}/"))
        else:
            paths.add(re.sub(r"/1(/|$)", rf"/{incident.pk}\1", path))
    return sorted(paths)


def test_anonymous_visitor_is_denied_everywhere_but_public_pages(client, real_paths):
    leaks = []
    for path in real_paths:
        if _matches(path, PUBLIC):
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if not _denied(response, path):
                leaks.append((method, path, response.status_code))
    assert leaks == []


def test_guest_is_denied_everywhere_but_its_own_account(client, real_paths):
    guest = User.objects.create_user(
        email="guest@example.test", password="x-Pass-123", role=Role.GUEST
    )
    client.force_login(guest)
    leaks = []
    for path in real_paths:
        if _matches(path, GUEST_ALLOWED):
            continue
        response = client.get(path)
        if not _denied(response, path):
            leaks.append((path, response.status_code))
    assert leaks == []


def test_api_answers_anonymous_clients_with_401_or_403_not_a_login_page(client):
    for path in sorted(p for p in set(walk()) if p.startswith("/api/")):
        response = client.get(path)
        assert response.status_code in {401, 403, 404, 406}, (path, response.status_code)
        if path.startswith("/api/v1/") and response.status_code in {401, 403}:
            assert response["Content-Type"].startswith("application/"), path
