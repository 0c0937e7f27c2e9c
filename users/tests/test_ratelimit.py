"""Account form submissions are rate-limited per real client IP."""

from __future__ import annotations

import pytest
from django.urls import reverse

from users.ratelimit import parse_rate

pytestmark = pytest.mark.django_db


def test_password_reset_posts_are_limited_per_client(client, settings, mailoutbox):
    settings.ACCOUNT_RATE_LIMIT = "3/m"
    settings.TRUSTED_PROXY_COUNT = 1
    url = reverse("users:password_reset")
    one = {"REMOTE_ADDR": "172.18.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    other = {"REMOTE_ADDR": "172.18.0.5", "HTTP_X_FORWARDED_FOR": "198.51.100.20"}
    for _ in range(3):
        assert client.post(url, {"email": "x@example.com"}, **one).status_code == 302
    limited = client.post(url, {"email": "x@example.com"}, **one)
    assert limited.status_code == 429
    # The fourth of three a minute: room comes back in the next minute, as this one's weight
    # shrinks (sliding window), 30 s into it at the latest.
    assert 1 <= int(limited["Retry-After"]) <= 90
    assert "Слишком много попыток с вашего адреса" in limited.content.decode()
    assert client.post(url, {"email": "x@example.com"}, **other).status_code == 302
    assert client.get(url, **one).status_code == 200  # reading the form is not limited


def test_rate_setting_is_validated():
    assert parse_rate("10/m") == (10, 60)
    assert parse_rate("5/hour") == (5, 3600)
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        parse_rate("ten per minute")
