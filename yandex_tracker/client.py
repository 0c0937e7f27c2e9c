"""A small typed Yandex Tracker API client on ``requests``.

What it adds over plain requests: ``Authorization: OAuth`` and ``X-Org-ID``/``X-Cloud-Org-ID``
headers, timeouts, bounded retries with exponential back-off on network errors, 5xx and 429
(``Retry-After`` honoured as long as the caller's time ``budget`` allows), a token refresh on 401
persisted in ``TrackerToken`` (shared by every worker), pagination (``Link``/``X-Total-Pages``;
scroll for large searches), typed errors, and ``unique`` on every create with recovery of the
existing issue on 409.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import requests
from django.conf import settings
from django.utils.dateparse import parse_datetime

from yandex_tracker import tokens
from yandex_tracker.errors import (
    TrackerAuthError,
    TrackerConflict,
    TrackerDisabled,
    TrackerNotFound,
    TrackerRateLimited,
    TrackerResponseError,
    TrackerUnavailable,
    error_for,
)

logger = logging.getLogger(__name__)

JSON = Any
RETRY_STATUSES = {429, 500, 502, 503, 504}
# Longest ``Retry-After`` waited out by a call made outside a budgeted cycle (``budget``).
DEFAULT_WAIT_BUDGET = 60.0
# The shapes a 2xx body may be checked against (see ``_shaped``).
OBJECT, ISSUE, LIST, NOTHING = "object", "issue", "list of objects", "nothing"


def format_dt(value: datetime) -> str:
    """Tracker datetime format: UTC, milliseconds, offset without a colon."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def parse_dt(value: str | None) -> datetime | None:
    """Parse a tracker datetime (``2017-06-11T05:16:01.339+0000``); None for empty input."""
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(f"not a datetime: {value!r}")
    return parsed


def truncate_ms(value: datetime) -> datetime:
    """The value at the tracker's precision (milliseconds)."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


class TrackerClient:
    """One client per worker process; ``request_count`` counts HTTP requests sent to the API."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        oauth_url: str | None = None,
        org_id: str | None = None,
        cloud_org: bool | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        timeout: float | None = None,
        max_attempts: int = 4,
        backoff: float = 1.0,
        max_delay: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
        access_token: str | None = None,
    ) -> None:
        self.base_url = (base_url or settings.YT_API_BASE_URL).rstrip("/")
        self.oauth_url = oauth_url or settings.YT_OAUTH_URL
        self.org_id = settings.YT_ORGANIZATION_ID if org_id is None else org_id
        self.cloud_org = settings.YT_CLOUD_ORGANIZATION if cloud_org is None else cloud_org
        self.client_id = settings.YT_CLIENT_ID if client_id is None else client_id
        self.client_secret = settings.YT_CLIENT_SECRET if client_secret is None else client_secret
        self.timeout = timeout or settings.YT_TIMEOUT
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self.max_delay = max_delay
        self.sleep = sleep
        self.session = session or requests.Session()
        self.request_count = 0
        self._access_token: str | None = access_token
        self._deadline: float | None = None

    # -- transport -------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        if self._access_token is None:
            self._access_token = tokens.current_tokens().access_token
        if not self._access_token:
            raise TrackerDisabled("no tracker access token (YT_ACCESS_TOKEN)")
        headers = {"Authorization": f"OAuth {self._access_token}"}
        if self.org_id:
            headers["X-Cloud-Org-ID" if self.cloud_org else "X-Org-ID"] = self.org_id
        return headers

    @contextlib.contextmanager
    def budget(self, seconds: float) -> Iterator[None]:
        """Bound the ``Retry-After`` waits of the calls made inside to ``seconds`` in total.

        A worker's cycle runs inside one budget shorter than its claims' lease: a server that
        asks for a longer wait gets ``TrackerRateLimited`` with ``retry_after`` at once, and the
        caller gives its claims back until then instead of sleeping on them.
        """
        previous = self._deadline
        self._deadline = time.monotonic() + seconds
        try:
            yield
        finally:
            self._deadline = previous

    def _time_left(self) -> float:
        if self._deadline is None:
            return DEFAULT_WAIT_BUDGET
        return max(0.0, self._deadline - time.monotonic())

    def _backoff(self, attempt: int) -> float:
        """Jittered exponential back-off before attempt ``attempt + 1``, capped at ``max_delay``."""
        base = self.backoff * 2 ** (attempt - 1)
        return min(self.max_delay, base * (0.5 + random.random() / 2))  # noqa: S311

    def _wait_before_retry(
        self, method: str, path: str, attempt: int, response: requests.Response
    ) -> float:
        """Seconds to wait before retrying ``response``: the server's ``Retry-After`` when it
        fits in the time left (else ``TrackerRateLimited`` carrying it), or the back-off."""
        wait = _retry_after(response)
        if wait is not None:
            left = self._time_left()
            if wait > left:
                raise TrackerRateLimited(
                    f"{method} {path}: HTTP {response.status_code}, Retry-After {wait:.0f}s "
                    f"is beyond the {left:.0f}s left in this cycle",
                    status=response.status_code,
                    body=_body(response),
                    retry_after=wait,
                )
            logger.warning(
                "tracker: %s %s -> %s, waiting %.1fs as Retry-After asks",
                method,
                path,
                response.status_code,
                wait,
            )
            return wait
        delay = self._backoff(attempt)
        logger.warning(
            "tracker: %s %s -> %s, retry in %.1fs", method, path, response.status_code, delay
        )
        return delay

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: JSON = None,
        files: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """Send one API call (retried, refreshed); return the 2xx response or raise.

        429 is always retried (the request was refused). Network errors and 5xx are retried only
        for idempotent calls: GET/PATCH/DELETE, searches, and creates that carry ``unique``; a
        lost reply to a comment or transition is left to the caller's recovery.
        """
        if idempotent is None:
            idempotent = method in ("GET", "PATCH", "PUT", "DELETE", "HEAD")
        url = path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            response: requests.Response | None = None
            try:
                self.request_count += 1
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    files=files,
                    headers={**self._headers(), **(headers or {})},
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt >= self.max_attempts or not idempotent:
                    raise TrackerUnavailable(f"{method} {path}: {exc}") from exc
                logger.warning("tracker: %s %s failed (%s), retrying", method, path, exc)
                self.sleep(self._backoff(attempt))
                continue
            status = response.status_code
            if status < 300:
                return response
            if status == 401 and not refreshed:
                refreshed = True
                self._refresh_token()
                attempt -= 1  # the retry after a refresh is not a failure
                continue
            retryable = status == 429 or (status in RETRY_STATUSES and idempotent)
            if retryable and attempt < self.max_attempts:
                self.sleep(self._wait_before_retry(method, path, attempt, response))
                continue
            body = _body(response)
            if status == 429:
                raise TrackerRateLimited(
                    f"{method} {path}: HTTP 429",
                    status=429,
                    body=body,
                    retry_after=_retry_after(response),
                )
            raise error_for(status, body)

    def _refresh_token(self) -> None:
        """Take a token another worker already refreshed, else refresh at the OAuth server."""
        stored = tokens.current_tokens()
        if stored.access_token and stored.access_token != self._access_token:
            self._access_token = stored.access_token
            return
        if not stored.refresh_token:
            raise TrackerAuthError("HTTP 401 and no refresh token to renew the access token")
        self.request_count += 1
        try:
            response = self.session.post(
                self.oauth_url,
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": stored.refresh_token,
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                },
                timeout=self.timeout,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TrackerUnavailable(f"token refresh: {exc}") from exc
        body = _body(response)
        if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
            again = tokens.current_tokens()
            if again.access_token != stored.access_token:
                # another worker refreshed (and rotated the refresh token) in the meantime
                self._access_token = again.access_token
                return
            raise TrackerAuthError(
                f"token refresh refused: HTTP {response.status_code} {body}",
                status=response.status_code,
                body=body,
            )
        saved = tokens.store_tokens(
            body["access_token"], body.get("refresh_token", ""), body.get("expires_in")
        )
        self._access_token = saved.access_token
        logger.info("tracker: access token refreshed and stored")

    def call(self, method: str, path: str, *, shape: str = OBJECT, **kwargs: Any) -> JSON:
        """``request``, decode the JSON body and check it has the documented ``shape``: an
        ``OBJECT``, an ``ISSUE`` (an object with a key), a ``LIST`` of objects, or ``NOTHING``
        (any body, 204 included, is accepted and returned)."""
        response = self.request(method, path, **kwargs)
        return _shaped(response, _json_body(response), shape)

    def paginate(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, json: JSON = None
    ) -> Iterator[JSON]:
        """Every item of a page-mode list, following ``Link: rel="next"`` (or ``X-Total-Pages``)."""
        params = dict(params or {})
        page = int(params.get("page", 1))
        url = path
        while True:
            response = self.request(method, url, params=params, json=json, idempotent=True)
            items = _shaped(response, _json_body(response), LIST)
            yield from items
            if not items:
                return
            if "Link" in response.headers:
                next_link = response.links.get("next", {}).get("url")
                if not next_link:
                    return
                url, params = next_link, None
                continue
            total_pages = int(response.headers.get("X-Total-Pages", "0") or 0)
            if page >= total_pages:
                return
            page += 1
            url, params = path, {**(params or {}), "page": page}

    # -- resources ---------------------------------------------------------------------------

    def myself(self) -> JSON:
        return self.call("GET", "/v2/myself")

    def users(self) -> list[JSON]:
        return list(self.paginate("GET", "/v2/users", params={"perPage": 100}))

    def statuses(self) -> list[JSON]:
        return self.call("GET", "/v2/statuses", shape=LIST)

    def queue(self, key: str) -> JSON:
        return self.call("GET", f"/v2/queues/{key}", params={"expand": "all"})

    def local_fields(self, queue: str) -> list[JSON]:
        return self.call("GET", f"/v3/queues/{queue}/localFields", shape=LIST)

    def create_local_field(self, queue: str, payload: JSON) -> JSON:
        return self.call("POST", f"/v3/queues/{queue}/localFields", json=payload)

    def field(self, field_id: str) -> JSON:
        return self.call("GET", f"/v2/fields/{field_id}")

    def create_field(self, payload: JSON) -> JSON:
        return self.call("POST", "/v2/fields", json=payload)

    def update_field(self, field_id: str, version: int, payload: JSON) -> JSON:
        return self.call(
            "PATCH", f"/v2/fields/{field_id}", params={"version": version}, json=payload
        )

    def create_issue(self, payload: JSON, *, unique: str) -> tuple[JSON, bool]:
        """Create an issue with ``unique``; on 409 return the issue created earlier.

        Returns ``(issue, created)``. Safe to repeat after a crash: the same ``unique`` never
        makes a second issue.
        """
        try:
            body = {**payload, "unique": unique}
            issue = self.call("POST", "/v2/issues/", json=body, idempotent=True, shape=ISSUE)
            return issue, True
        except TrackerConflict:
            logger.info("tracker: issue with unique %s exists, recovering it", unique)
            return self.find_by_unique(unique), False

    def find_by_unique(self, unique: str) -> JSON:
        return self.call(
            "POST",
            "/v2/issues/_findByUnique",
            params={"unique": unique},
            idempotent=True,
            shape=ISSUE,
        )

    def get_issue(self, key: str, *, expand: str | None = None) -> JSON:
        params = {"expand": expand} if expand else None
        return self.call("GET", f"/v2/issues/{key}", params=params, shape=ISSUE)

    def update_issue(self, key: str, payload: JSON, *, version: int | None = None) -> JSON:
        params = {"version": version} if version is not None else None
        return self.call("PATCH", f"/v2/issues/{key}", params=params, json=payload, shape=ISSUE)

    def search(
        self,
        filter: JSON,
        *,
        order: str | None = None,
        per_page: int = 100,
        expand: str | None = None,
    ) -> Iterator[JSON]:
        """Issues matching ``filter`` in page mode (for results under 10,000)."""
        body: dict[str, Any] = {"filter": filter}
        if order:
            body["order"] = order
        params: dict[str, Any] = {"perPage": per_page}
        if expand:
            params["expand"] = expand
        return self.paginate("POST", "/v2/issues/_search", params=params, json=body)

    def search_all(self, filter: JSON, *, per_page: int = 1000) -> list[JSON]:
        """Every issue matching ``filter``: one page-mode request when it fits, else a scroll.

        Page mode recomputes each page, so an issue edited mid-walk can shift the pages and be
        skipped; several pages are therefore read as a scroll (a snapshot) instead.
        """
        params = {"perPage": per_page}
        response = self.request(
            "POST", "/v2/issues/_search", params=params, json={"filter": filter}, idempotent=True
        )
        items = _shaped(response, _json_body(response), LIST)
        if int(response.headers.get("X-Total-Pages", "1") or 1) <= 1:
            return items
        return list(self.scroll(filter, per_scroll=per_page))

    def scroll(self, filter: JSON, *, per_scroll: int = 1000) -> Iterator[JSON]:
        """Issues matching ``filter`` in scroll mode (a snapshot; for large result sets)."""
        body = {"filter": filter}
        params: dict[str, Any] = {
            "scrollType": "unsorted",
            "perScroll": per_scroll,
            "scrollTTLMillis": 60000,
        }
        pairs: dict[str, str] = {}
        while True:
            response = self.request(
                "POST", "/v2/issues/_search", params=params, json=body, idempotent=True
            )
            yield from _shaped(response, _json_body(response), LIST)
            scroll_id = response.headers.get("X-Scroll-Id")
            token = response.headers.get("X-Scroll-Token")
            if not scroll_id:
                break
            pairs[scroll_id] = token or ""
            params = {"scrollId": scroll_id, "scrollToken": token, "scrollTTLMillis": 60000}
        if pairs:
            with contextlib.suppress(TrackerNotFound):
                self.call("POST", "/v3/system/search/scroll/_clear", json=pairs, shape=NOTHING)

    def transitions(self, key: str) -> list[JSON]:
        return self.call("GET", f"/v3/issues/{key}/transitions", shape=LIST)

    def transition_to(self, key: str, status_key: str, *, comment: str = "") -> bool:
        """Execute the transition leading to ``status_key``; False when none is available."""
        for transition in self.transitions(key):
            if (transition.get("to") or {}).get("key") == status_key:
                body = {"comment": comment} if comment else {}
                self.call(
                    "POST",
                    f"/v3/issues/{key}/transitions/{transition['id']}/_execute",
                    json=body,
                    shape=NOTHING,
                )
                return True
        logger.info("tracker: %s has no transition to %s", key, status_key)
        return False

    def comments(self, key: str, *, after: str = "", per_page: int = 100) -> Iterator[JSON]:
        """The comments of an issue after the comment ``after`` (all by default), oldest first."""
        return self._cursor_walk(f"/v2/issues/{key}/comments", {"perPage": per_page}, after=after)

    def changelog(
        self, key: str, *, type: str | None = None, after: str = "", per_page: int = 50
    ) -> Iterator[JSON]:
        """The issue's changes (of ``type``, e.g. ``IssueWorkflow``) after the change ``after``,
        oldest first."""
        params: dict[str, Any] = {"perPage": per_page}
        if type:
            params["type"] = type
        return self._cursor_walk(f"/v2/issues/{key}/changelog", params, after=after)

    def _cursor_walk(
        self, path: str, params: dict[str, Any], *, after: str | int = ""
    ) -> Iterator[JSON]:
        """Items of a cursor-paginated list: each page starts after the ``id`` of the last item
        of the previous one; an empty or short page is the last."""
        last: str | int = after
        while True:
            page_params = {**params, "id": last} if last != "" else params
            page = self.call("GET", path, params=page_params, shape=LIST)
            if page and page[-1].get("id") in (None, ""):
                raise TrackerResponseError(f"GET {path}: an item without id")
            yield from page
            if len(page) < int(params["perPage"]):
                return
            last = page[-1]["id"]

    def add_comment(self, key: str, text: str, *, attachment_ids: list[str] | None = None) -> JSON:
        body: dict[str, Any] = {"text": text}
        if attachment_ids:
            body["attachmentIds"] = attachment_ids
        return self.call("POST", f"/v2/issues/{key}/comments", json=body)

    def delete_comment(self, key: str, comment_id: str) -> None:
        """Remove a comment (204); an already removed one is 404 (``TrackerNotFound``)."""
        self.call("DELETE", f"/v2/issues/{key}/comments/{comment_id}", shape=NOTHING)

    def add_email_comment(
        self,
        key: str,
        *,
        text: str,
        subject: str,
        body: str,
        sender: str,
        to: list[str],
        cc: list[str] | None = None,
    ) -> JSON:
        """Send an e-mail from the issue (the tracker's mail integration).

        ``text`` is the comment shown in the issue (the API requires it); ``body`` is the mail.
        """
        if not text.strip():
            raise ValueError("an e-mail comment needs the comment text")
        payload = {
            "text": text,
            "email": {
                "subject": subject,
                "text": body,
                "info": {"from": sender, "to": to, "cc": cc or []},
            },
        }
        return self.call("POST", f"/v2/issues/{key}/comments", json=payload)

    def edit_comment(self, key: str, comment_id: str, text: str) -> JSON:
        return self.call("PATCH", f"/v2/issues/{key}/comments/{comment_id}", json={"text": text})

    def links(self, key: str) -> list[JSON]:
        """The issue's links to other issues (both directions)."""
        return self.call("GET", f"/v2/issues/{key}/links", shape=LIST)

    def add_link(self, key: str, relationship: str, other: str) -> JSON:
        """Link ``key`` to ``other`` as ``relationship`` (read from ``key``'s side)."""
        body = {"relationship": relationship, "issue": other}
        return self.call("POST", f"/v2/issues/{key}/links", json=body)

    def delete_link(self, key: str, link_id: str) -> None:
        self.call("DELETE", f"/v2/issues/{key}/links/{link_id}", shape=NOTHING)

    def upload_attachment(self, filename: str, content: bytes, content_type: str) -> JSON:
        return self.call(
            "POST",
            "/v2/attachments/",
            params={"filename": filename},
            files={"file": (filename, content, content_type)},
        )


def _retry_after(response: requests.Response) -> float | None:
    """The server's ``Retry-After`` in seconds (the delta-seconds form), if it sent one."""
    raw = response.headers.get("Retry-After", "").strip()
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        logger.warning("tracker: unparsable Retry-After %r", raw)
        return None


def _json_body(response: requests.Response) -> JSON:
    """The decoded body of a 2xx answer; a body that is not JSON (a proxy's HTML page, a cut-off
    reply) is a typed failure, retried next cycle, not data."""
    body = _body(response)
    if isinstance(body, str):
        raise TrackerResponseError(
            f"{response.request.method} {response.url}: HTTP {response.status_code} "
            f"with a body that is not JSON ({len(response.content)} bytes)",
            status=response.status_code,
        )
    return body


def _shaped(response: requests.Response, body: JSON, shape: str) -> JSON:
    """``body`` if it has ``shape``; otherwise a ``TrackerResponseError`` naming the call."""
    if shape == NOTHING:
        return body
    if shape == LIST:
        fits = isinstance(body, list) and all(isinstance(item, dict) for item in body)
    else:
        fits = isinstance(body, dict)
        if fits and shape == ISSUE:
            fits = isinstance(body.get("key"), str) and bool(body["key"])
    if fits:
        return body
    raise TrackerResponseError(
        f"{response.request.method} {response.url}: HTTP {response.status_code} with "
        f"{type(body).__name__} where the API documents {'an' if shape != LIST else 'a'} {shape}",
        status=response.status_code,
    )


def _body(response: requests.Response) -> JSON:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def make_client(**kwargs: Any) -> TrackerClient:
    """The client configured from settings; raises ``TrackerDisabled`` when YT_* are not set."""
    if not settings.YT_ENABLED:
        raise TrackerDisabled("Yandex Tracker is not configured (YT_QUEUE and a token)")
    return TrackerClient(**kwargs)
