"""API access: authentication required (token or session), guests refused, writes by role,
throttling, and one error schema everywhere."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from dispatch.api.testing import client_for, make_incident, make_user
from incidents.defaults import load_defaults
from users.models import Role

pytestmark = pytest.mark.django_db

READ_URLS = [
    "api:incident-list",
    "api:incident-type-list",
    "api:incident-status-list",
    "api:pole-list",
    "api:base-station-list",
    "api:contractor-list",
    "api:operator-list",
    "api:dispatcher-list",
]


@pytest.fixture(autouse=True)
def _defaults():
    load_defaults()
    cache.clear()


@pytest.mark.parametrize("name", READ_URLS)
def test_anonymous_gets_401_with_the_error_schema(name):
    response = APIClient().get(reverse(name))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Token")


def test_bad_token_is_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = client.get(reverse("api:incident-list"))
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


@pytest.mark.parametrize("name", READ_URLS)
def test_guest_gets_403_everywhere(name):
    response = client_for(make_user(Role.GUEST)).get(reverse(name))
    assert response.status_code == 403
    assert response.json() == {
        "status": 403,
        "code": "permission_denied",
        "detail": response.json()["detail"],
    }


def test_guest_cannot_change_status_or_open_the_live_queue():
    incident = make_incident()
    guest = client_for(make_user(Role.GUEST))
    url = reverse("api:incident-change-status", args=[incident.pk])
    assert guest.post(url, {"status": "in_progress"}, format="json").status_code == 403
    assert guest.get(reverse("api:incident-live")).status_code == 403


def test_guest_cannot_read_the_schema_anonymous_either():
    assert APIClient().get(reverse("api:schema")).status_code == 401
    assert client_for(make_user(Role.GUEST)).get(reverse("api:schema")).status_code == 403
    response = client_for(make_user(Role.USER)).get(reverse("api:schema"))
    assert response.status_code == 200 and b"/api/v1/incidents/" in response.content


@pytest.mark.parametrize("role", [Role.USER, Role.DISPATCH, Role.ADMIN])
def test_every_role_but_guest_reads(role):
    assert client_for(make_user(role)).get(reverse("api:incident-list")).status_code == 200


def test_superuser_reads_whatever_the_role():
    user = make_user(Role.GUEST, is_superuser=True)
    assert client_for(user).get(reverse("api:incident-list")).status_code == 200


def test_inactive_user_is_refused():
    user = make_user(Role.DISPATCH)
    client = client_for(user)
    user.is_active = False
    user.save()
    assert client.get(reverse("api:incident-list")).status_code == 401


def test_session_authentication_works_and_writes_need_csrf():
    user = make_user(Role.DISPATCH)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(reverse("api:incident-list")).status_code == 200
    incident = make_incident()
    url = reverse("api:incident-change-status", args=[incident.pk])
    response = client.post(url, {"status": "in_progress"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_plain_user_role_cannot_change_status():
    incident = make_incident()
    url = reverse("api:incident-change-status", args=[incident.pk])
    response = client_for(make_user(Role.USER)).post(url, {"status": "in_progress"}, format="json")
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status.key == "new"


def test_throttling_answers_429_with_retry_after(monkeypatch):
    from dispatch.api.throttling import ApiUserThrottle

    monkeypatch.setattr(ApiUserThrottle, "rate", "3/min", raising=False)
    client = client_for(make_user())
    codes = [client.get(reverse("api:incident-list")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get(reverse("api:incident-list"))
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_error_messages_are_in_russian():
    response = client_for(make_user(Role.GUEST)).get(reverse("api:incident-list"))
    assert response.json()["detail"].startswith("Ваша роль не даёт доступа к API")
    response = client_for(make_user()).get(reverse("api:incident-list"), {"page": "x"})
    assert response.json()["detail"] == "Неверные данные."
    assert response.json()["errors"]["page"] == ["Нужно целое положительное число."]
