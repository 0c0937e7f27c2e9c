"""The client survives what the real API does: 429, 5xx bursts, expired tokens, lost replies."""

from __future__ import annotations

import pytest

from yandex_tracker.client import TrackerClient
from yandex_tracker.errors import (
    TrackerAuthError,
    TrackerNotFound,
    TrackerRateLimited,
    TrackerUnavailable,
    TrackerValidationError,
)
from yandex_tracker.models import TrackerToken

pytestmark = pytest.mark.django_db


def test_429_with_retry_after_waits_that_long(client, fake_tracker, sleeps):
    fake_tracker.state.inject(429, count=2, headers={"Retry-After": "7"})
    assert client.myself()["login"] == "robot-dispatch"
    assert sleeps == [7.0, 7.0]
    assert client.request_count == 3


def test_429_without_retry_after_backs_off_exponentially(client, fake_tracker, sleeps):
    fake_tracker.state.inject(429, count=3)
    client.myself()
    assert len(sleeps) == 3
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0 and 1.0 <= sleeps[2] <= 2.0


def test_retry_after_beyond_30_seconds_is_waited_out_and_logged(
    client, fake_tracker, sleeps, caplog
):
    fake_tracker.state.inject(429, headers={"Retry-After": "45"})
    assert client.myself()["login"] == "robot-dispatch"
    assert sleeps == [45.0]
    assert "waiting 45.0s as Retry-After asks" in caplog.text


def test_retry_after_beyond_the_time_budget_is_raised_at_once(client, fake_tracker, sleeps):
    fake_tracker.state.inject(429, headers={"Retry-After": "3600"})
    with client.budget(90), pytest.raises(TrackerRateLimited) as raised:
        client.myself()
    assert raised.value.retry_after == 3600.0
    assert sleeps == [] and client.request_count == 1


def test_endless_429_raises_rate_limited_after_bounded_attempts(client, fake_tracker, sleeps):
    fake_tracker.state.inject(429, count=100)
    with pytest.raises(TrackerRateLimited):
        client.myself()
    assert client.request_count == client.max_attempts == 4
    assert len(sleeps) == 3


def test_5xx_burst_is_retried(client, fake_tracker):
    for status in (500, 502, 503):
        fake_tracker.state.inject(status)
    assert client.statuses()
    assert fake_tracker.state.request_count("GET", "/statuses") == 4


def test_5xx_beyond_the_retries_is_unavailable(client, fake_tracker):
    fake_tracker.state.inject(503, count=10)
    with pytest.raises(TrackerUnavailable):
        client.statuses()


def test_4xx_is_not_retried_and_typed(client, fake_tracker):
    with pytest.raises(TrackerNotFound):
        client.get_issue("DISP-999")
    with pytest.raises(TrackerValidationError):
        client.create_issue({"queue": "DISP", "summary": "x", "nope": 1}, unique="u")
    assert client.request_count == 2


def test_expired_token_is_refreshed_and_persisted_for_every_worker(client, fake_tracker):
    client.myself()
    fake_tracker.state.expire_token("robot-token")
    assert client.myself()["login"] == "robot-dispatch"
    stored = TrackerToken.objects.get()
    assert stored.access_token.startswith("at-") and stored.refresh_token.startswith("rt-")
    assert stored.expires_at is not None
    # another worker (a fresh client) starts with the stored token: no second refresh
    other = TrackerClient()
    other.myself()
    assert other.request_count == 1
    assert TrackerToken.objects.get().access_token == stored.access_token


def test_worker_with_stale_token_takes_the_one_another_worker_stored(client, fake_tracker):
    stale = TrackerClient()
    stale.myself()
    fake_tracker.state.expire_token("robot-token")
    client.myself()  # refreshes and stores
    refreshed = TrackerToken.objects.get().access_token
    stale.myself()  # 401 -> picks the stored token, no second refresh (rotation would break it)
    assert stale._access_token == refreshed
    assert len(fake_tracker.state.refresh_tokens) == 1


def test_refused_refresh_is_a_hard_auth_error(client, fake_tracker):
    TrackerToken.objects.all().delete()
    TrackerToken.objects.create(access_token="robot-token", refresh_token="revoked")
    fake_tracker.state.expire_token()
    with pytest.raises(TrackerAuthError):
        client.myself()
    assert client.request_count == 2  # the 401 and the refused refresh, no retry storm


def test_lost_create_reply_does_not_duplicate_the_issue(client, fake_tracker):
    # the tracker creates the issue but the reply is lost (gateway 504): the retry gets 409
    fake_tracker.state.inject(504, method="POST", path="/issues/", after=True)
    issue, created = client.create_issue({"queue": "DISP", "summary": "A"}, unique="incident-1")
    assert created is False and issue["key"] == "DISP-1"
    assert len(fake_tracker.state.issues) == 1


def test_search_follows_pages(client, fake_tracker):
    fake_tracker.state.bulk_issues("DISP", 230)
    keys = [i["key"] for i in client.search({"queue": "DISP"}, per_page=100)]
    assert len(keys) == 230 == len(set(keys))
    assert client.request_count == 3


def test_scroll_reads_everything_once(client, fake_tracker):
    fake_tracker.state.bulk_issues("DISP", 45)
    keys = [i["key"] for i in client.scroll({"queue": "DISP"}, per_scroll=20)]
    assert len(keys) == 45 == len(set(keys))
    assert fake_tracker.state.scrolls == {}


def test_transition_to_executes_the_transition_leading_to_the_status(client, fake_tracker):
    issue, _ = client.create_issue({"queue": "DISP", "summary": "A"}, unique="u1")
    assert client.transition_to(issue["key"], "inProgress", comment="Принято") is True
    assert client.transition_to(issue["key"], "open") is False
    assert fake_tracker.state.issues[issue["key"]]["status"] == "inProgress"
    assert [c["text"] for c in client.comments(issue["key"])] == ["Принято"]


def test_refresh_may_return_the_same_access_token(tracker_settings, sleeps, db):
    from yandex_tracker.fake import FakeTrackerServer

    with FakeTrackerServer(rotate_tokens=False) as fake:
        tracker_settings.YT_API_BASE_URL = fake.url
        tracker_settings.YT_OAUTH_URL = fake.oauth_url
        client = TrackerClient(sleep=sleeps)
        fake.state.expire_token("robot-token")
        assert client.myself()["login"] == "robot-dispatch"
        assert TrackerToken.objects.get().access_token == "robot-token"


def test_email_comment_sends_the_required_comment_text_and_the_mail(client, fake_tracker):
    key = client.create_issue({"queue": "DISP", "summary": "A"}, unique="u-mail")[0]["key"]
    comment = client.add_email_comment(
        key,
        text="📤 Уведомление оператору",
        subject=f"Re: {key}: A",
        body="Принято",
        sender="desk@example.ru",
        to=["op@example.ru"],
    )
    assert comment["text"] == "📤 Уведомление оператору"
    [sent] = fake_tracker.state.outbox
    assert (sent["subject"], sent["text"], sent["to"]) == (
        f"Re: {key}: A",
        "Принято",
        ["op@example.ru"],
    )
