"""Every response of the app carries the Content-Security-Policy, the API docs are served from
our own static files, and the gateway's default policy is the app's."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from dispatch.api.testing import make_user
from dispatch.csp import POLICY, REDOC_POLICY
from dispatch.tests.ops_support import ROOT
from users.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(make_user(Role.ADMIN, is_staff=True))
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/admin/",
        "/admin/users/user/",
        "/accounts/profile/",
        "/api/v1/incidents/",
        "/api/schema/",
        "/api/schema/swagger-ui/",
        "/api/schema/swagger-ui/?script",
        "/no-such-page/",
    ],
)
def test_every_page_has_the_policy(admin_client, url):
    response = admin_client.get(url)
    assert response["Content-Security-Policy"] == POLICY, (url, response.status_code)


def test_anonymous_pages_have_the_policy_too():
    for url in ("/accounts/login/", "/accounts/register/", "/admin/login/", "/api/v1/incidents/"):
        assert Client().get(url)["Content-Security-Policy"] == POLICY, url


def test_policy_allows_only_our_origin_for_code():
    directives = dict(item.split(" ", 1) for item in POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in POLICY and "http" not in POLICY


def test_redoc_page_loosens_only_styles_and_workers(admin_client):
    response = admin_client.get("/api/schema/redoc/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == REDOC_POLICY
    assert "script-src 'self';" in REDOC_POLICY


@pytest.mark.parametrize("url", ["/api/schema/swagger-ui/", "/api/schema/redoc/"])
def test_api_docs_load_nothing_from_elsewhere(admin_client, url):
    page = admin_client.get(url).content.decode()
    references = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert references, page
    assert all(ref.startswith("/") for ref in references), references
    assert "sidecar" in page
    assert "<script>" not in page and "<style>" not in page and "fonts." not in page


def test_gateway_default_policy_is_the_apps():
    text = (ROOT / "gateway" / "nginx.conf").read_text()
    block = re.search(r"map \$upstream_http_content_security_policy [^{]+\{([^}]+)\}", text)
    assert block, "gateway/nginx.conf has no Content-Security-Policy map"
    default = re.search(r'^\s*"" "([^"]+)";', block.group(1), re.MULTILINE).group(1)
    assert default == POLICY
    assert "proxy_hide_header Content-Security-Policy;" in text
