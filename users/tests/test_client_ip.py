"""The real client IP behind the trusted proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from dispatch.client_ip import client_ip


def request(remote="172.18.0.5", xff=None):
    meta = {"REMOTE_ADDR": remote}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("proxies", "xff", "expected"),
    [
        (0, "203.0.113.7", "172.18.0.5"),  # no trusted proxy: the header is ignored
        (1, None, "172.18.0.5"),  # nothing forwarded: the peer itself
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "1.1.1.1, 203.0.113.7", "203.0.113.7"),  # client-supplied entries are ignored
        (2, "1.1.1.1, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (2, "203.0.113.7", "203.0.113.7"),  # fewer hops than proxies: the furthest known
        (1, "not-an-ip", "172.18.0.5"),
        (1, "203.0.113.7:51234", "203.0.113.7"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(settings, proxies, xff, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(request(xff=xff)) == expected
