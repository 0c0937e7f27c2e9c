"""Sign-up and password reset tell an outsider nothing about which accounts exist: not by the
page, not by how long the answer takes, not by a mail server conversation inside the request.

Timing is measured through the Django test client with the real password hasher and the real
SMTP backend (pointed at the SMTP sink); medians of several tries, with a tolerant bound."""

from __future__ import annotations

import statistics
import time
from itertools import count

import pytest
from django.urls import reverse

from emails.outbox.models import OutboundEmail
from emails.outbox.services import send_due
from users.tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

TRIES = 7
_seq = count()


def _sign_up(client, email: str, username: str) -> float:
    started = time.perf_counter()
    response = client.post(
        reverse("users:register"),
        {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD},
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 302
    assert response["Location"] == reverse("users:register_done")
    return elapsed


def test_sign_up_costs_the_same_for_known_and_new_addresses_and_usernames(
    client, settings, smtp_sink
):
    settings.ACCOUNT_RATE_LIMIT = "1000/m"
    make_user("known@example.com", "known.user")
    timings: dict[str, list[float]] = {"known e-mail": [], "taken username": [], "new": []}
    for _ in range(TRIES):  # interleaved, so load on the machine hits every path alike
        n = next(_seq)
        timings["known e-mail"].append(_sign_up(client, "known@example.com", f"fresh.{n}"))
        timings["taken username"].append(_sign_up(client, f"other{n}@example.com", "known.user"))
        timings["new"].append(_sign_up(client, f"new{n}@example.com", f"newbie.{n}"))
    medians = {path: statistics.median(values) for path, values in timings.items()}
    slowest = max(medians.values())
    assert min(medians.values()) >= 0.6 * slowest, medians
    assert smtp_sink.messages == []  # nothing was sent inside a request
    assert send_due(limit=100).sent == 3 * TRIES
    assert len(smtp_sink.wait_for(3 * TRIES)) == 3 * TRIES


def test_password_reset_is_queued_not_sent_inside_the_request(client, smtp_sink):
    make_user("petrov@example.com", "petrov.p")
    for email in ("petrov@example.com", "nobody@example.com"):
        response = client.post(reverse("users:password_reset"), {"email": email})
        assert response["Location"] == reverse("users:password_reset_done")
    assert smtp_sink.messages == []
    queued = OutboundEmail.objects.get()
    assert (queued.kind, queued.to) == (OutboundEmail.Kind.ACCOUNT, ["petrov@example.com"])
    assert send_due().sent == 1
    [mail] = smtp_sink.wait_for(1)
    assert mail["To"] == "petrov@example.com"
    assert "/accounts/password/reset/" in mail.get_content()
    # Delivered: the one-time link is no longer readable in the outbox (or the admin).
    queued.refresh_from_db()
    assert "/accounts/password/reset/" not in queued.body_text
