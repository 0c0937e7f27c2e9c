"""Forwarded headers count only from the configured proxies, for the whole stack at once:
gunicorn/uvicorn, the login lockout (django-axes), the rate limits and the HTTPS check.

These run the production web server (gunicorn with the project's ``gunicorn.conf.py`` and
uvicorn workers) on 127.0.0.1 and talk to it over real HTTP, as an attacker on the same host or
behind a misconfigured proxy would."""

from __future__ import annotations

import re

import pytest
import requests

from dispatch.testing.gunicorn import GunicornSite
from users.tests.conftest import PASSWORD

LOCKED = "Слишком много неудачных попыток входа"


def _create_user(site: GunicornSite) -> None:
    site.manage(
        "shell",
        "-c",
        "from users.models import User; User.objects.create_user("
        f"email='petrov@example.com', username='petrov.p', password='{PASSWORD}', role='user')",
    )


def _login(session: requests.Session, base: str, password: str, xff: str) -> requests.Response:
    page = session.get(base + "/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(
        base + "/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": "petrov.p", "password": password},
        headers={"X-Forwarded-For": xff},
        allow_redirects=False,
        timeout=10,
    )


def test_rotating_x_forwarded_for_does_not_dodge_the_lockout(tmp_path):
    """Without trusted proxies the header is ignored: 15 wrong passwords, each claiming a new
    client address, lock the account for the one real client; even the right password fails."""
    site = GunicornSite(
        tmp_path, TRUSTED_PROXY_COUNT="0", AXES_FAILURE_LIMIT="5", ACCOUNT_RATE_LIMIT="1000/m"
    )
    _create_user(site)
    with site.running() as base, requests.Session() as session:
        answers = [
            _login(session, base, "wrong-password", f"203.0.113.{n}").status_code
            for n in range(1, 16)
        ]
        assert answers[:4] == [200] * 4
        assert set(answers[4:]) == {429}, answers
        final = _login(session, base, PASSWORD, "198.51.100.77")
        assert final.status_code == 429
        assert LOCKED in final.text
        assert "sessionid" not in session.cookies


def test_account_rate_limit_ignores_forged_addresses(tmp_path):
    """The per-IP form limit counts the connection, not what the client claims to be."""
    site = GunicornSite(tmp_path, TRUSTED_PROXY_COUNT="0", ACCOUNT_RATE_LIMIT="3/m")
    with site.running() as base, requests.Session() as session:
        page = session.get(base + "/accounts/password/reset/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answers = [
            session.post(
                base + "/accounts/password/reset/",
                data={"csrfmiddlewaretoken": token, "email": f"x{n}@example.com"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
                allow_redirects=False,
                timeout=10,
            ).status_code
            for n in range(1, 6)
        ]
    assert answers == [302, 302, 302, 429, 429]


@pytest.mark.parametrize(("proxies", "redirected"), [("0", True), ("1", False)])
def test_x_forwarded_proto_counts_only_behind_a_trusted_proxy(tmp_path, proxies, redirected):
    """A client that says "https" over plain HTTP is still sent to HTTPS unless a trusted
    proxy (the gateway, which terminates TLS) is configured to say so."""
    site = GunicornSite(tmp_path, TRUSTED_PROXY_COUNT=proxies, SECURE_SSL_REDIRECT="true")
    with site.running() as base:
        response = requests.get(
            base + "/accounts/login/",
            headers={"X-Forwarded-Proto": "https"},
            allow_redirects=False,
            timeout=10,
        )
    if redirected:
        assert response.status_code == 301
        assert response.headers["Location"].startswith("https://")
    else:
        assert response.status_code == 200
