"""CSRF protects every form and session-authenticated API write; attachments fetched from a real
mailbox (hostile file names included) stay inside MEDIA_ROOT and reach logged-in staff only."""

from __future__ import annotations

import subprocess
import tomllib
from email.message import EmailMessage as MimeMessage
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from emails.ingest import ingest_folder
from emails.models import EmailAttachment
from emails.tests.conftest import MAILBOX_USER
from incidents.models import Incident, StatusKey
from users.models import Role, User

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Correct-Horse-42"


def _views(patterns=None):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLPattern):
            yield entry.callback
        else:
            yield from _views(entry.url_patterns)


def test_csrf_middleware_is_on_and_no_form_view_is_exempt():
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE
    exempt = {
        f"{view.__module__}.{view.__name__}"
        for view in _views()
        if getattr(view, "csrf_exempt", False) and not hasattr(view, "cls")  # DRF: own check
    }
    assert exempt <= {"dispatch.api.errors.api_not_found"}  # answers 404 to any method


@pytest.mark.django_db
def test_forms_and_session_api_writes_without_a_csrf_token_are_refused(defaults):
    from incidents.tests.factories import make_request

    incident = make_request()
    dispatcher = User.objects.create_user(
        email="anna@dispatch.example", password=PASSWORD, role=Role.DISPATCH
    )
    browser = Client(enforce_csrf_checks=True)
    login = browser.post(
        reverse("users:login"), {"username": dispatcher.email, "password": PASSWORD}
    )
    assert login.status_code == 403
    browser.force_login(dispatcher)
    status_url = reverse("console:status", args=[incident.pk])
    assert browser.post(status_url, {"to": StatusKey.IN_PROGRESS}).status_code == 403
    api = browser.post(
        f"/api/v1/incidents/{incident.pk}/status/",
        {"status": StatusKey.IN_PROGRESS},
        content_type="application/json",
    )
    assert api.status_code == 403
    assert "CSRF" in api.content.decode()
    incident.refresh_from_db()
    assert incident.status.key == StatusKey.NEW


def _hostile_attachments() -> bytes:
    msg = MimeMessage()
    msg["From"] = "engineer@operator.example"
    msg["To"] = MAILBOX_USER
    msg["Subject"] = "Фото с опоры 02-00123"
    msg["Message-ID"] = "<hostile-files@operator.example>"
    msg.set_content("Фото во вложении.")
    for name in ("../../../../etc/passwd", "..\\..\\boot.ini", "/abs/path.txt", "a\x00b.sh", ".."):
        msg.add_attachment(b"payload " + name.encode(), maintype="application",
                           subtype="octet-stream", filename=name)  # fmt: skip
    return msg.as_bytes()


@pytest.mark.django_db(transaction=True)
def test_attachment_from_the_mailbox_stays_in_media_root_and_needs_login(
    dovecot, imap_source, defaults, settings, tmp_path, client
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    dovecot.append("INBOX", [_hostile_attachments()])
    assert ingest_folder(imap_source, "INBOX").result.stored == 1
    stored = list(EmailAttachment.objects.exclude(file=""))
    assert len(stored) == 5
    media = (tmp_path / "media").resolve()
    for attachment in stored:
        path = Path(attachment.file.path).resolve()
        assert path.is_relative_to(media), path
        assert "/" not in attachment.filename and "\\" not in attachment.filename
        assert "\x00" not in attachment.filename and attachment.filename not in {"", ".", ".."}
        assert client.get(settings.MEDIA_URL + attachment.file.name).status_code == 404
        url = reverse("console:attachment", args=[attachment.pk])
        assert client.get(url)["Location"].startswith(reverse("users:login"))
    assert not (tmp_path / "etc").exists() and not Path("/abs/path.txt").exists()
    reader = User.objects.create_user(email="r@dispatch.example", password="x", role=Role.USER)
    client.force_login(reader)
    response = client.get(reverse("console:attachment", args=[stored[0].pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"payload ")
    assert Incident.objects.count() == 1


def test_gateway_never_serves_media_directly():
    conf = (ROOT / "gateway" / "nginx.conf").read_text()
    block = conf.split("location /media/", 1)[1].split("}", 1)[0]
    assert "return 404" in block
    assert "internal;" in conf.split("location /protected-media/", 1)[1].split("}", 1)[0]


def test_ruff_security_rules_are_on_and_clean():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "S" in config["tool"]["ruff"]["lint"]["select"]
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ruff"), "check", "--select", "S", "--quiet", "."],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
