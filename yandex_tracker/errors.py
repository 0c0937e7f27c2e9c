"""Typed errors of the tracker client: one class per failure the callers treat differently."""

from __future__ import annotations


class TrackerError(Exception):
    """Any failure talking to the tracker."""

    status: int | None = None

    def __init__(self, message: str, *, status: int | None = None, body: object = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.body = body


class TrackerDisabled(TrackerError):
    """The tracker is not configured (no ``YT_QUEUE`` or token)."""


class TrackerUnavailable(TrackerError):
    """Network failure, timeout, 5xx or 429 that outlived the retries."""


class TrackerRateLimited(TrackerUnavailable):
    """HTTP 429 on every attempt, or a ``Retry-After`` longer than the time the caller has left;
    ``retry_after`` is the server's wait in seconds when it gave one."""

    status = 429

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: object = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, body=body)
        self.retry_after = retry_after


class TrackerResponseError(TrackerUnavailable):
    """A 2xx answer whose body is not what the API documents (not JSON, a list where an object
    belongs, an issue without a key...): treated like an outage, the work is retried later."""


class TrackerAuthError(TrackerError):
    """HTTP 401 that a token refresh did not cure, or the OAuth server refused the refresh."""

    status = 401


class TrackerBadRequest(TrackerError):
    status = 400


class TrackerForbidden(TrackerError):
    status = 403


class TrackerNotFound(TrackerError):
    status = 404


class TrackerConflict(TrackerError):
    """HTTP 409: duplicate ``unique`` on create, or a stale ``?version`` on edit."""

    status = 409


class TrackerPreconditionFailed(TrackerError):
    """HTTP 412 (stale ``If-Match``/field version) or 428 (version missing)."""

    status = 412


class TrackerNoTransition(TrackerError):
    """The queue's workflow has no way from the issue's status to the one DISPATCH set: the
    status stays not synced (the issue's ``last_error`` says why) and is tried again after the
    back-off — the issue may move in the tracker, or the workflow be fixed."""


class TrackerValidationError(TrackerError):
    """HTTP 422: the tracker refused the values (unknown field, transition not allowed...)."""

    status = 422


ERRORS_BY_STATUS: dict[int, type[TrackerError]] = {
    400: TrackerBadRequest,
    401: TrackerAuthError,
    403: TrackerForbidden,
    404: TrackerNotFound,
    409: TrackerConflict,
    412: TrackerPreconditionFailed,
    422: TrackerValidationError,
    428: TrackerPreconditionFailed,
}


def error_for(status: int, body: object) -> TrackerError:
    """The typed error for an HTTP error response, with the tracker's messages in the text."""
    messages: list[str] = []
    if isinstance(body, dict):
        messages.extend(str(m) for m in body.get("errorMessages") or [])
        errors = body.get("errors") or {}
        if isinstance(errors, dict):
            messages.extend(f"{field}: {text}" for field, text in errors.items())
        if body.get("error_description") or body.get("error"):
            messages.append(str(body.get("error_description") or body.get("error")))
    text = "; ".join(messages) or f"HTTP {status}"
    if status >= 500:
        return TrackerUnavailable(f"HTTP {status}: {text}", status=status, body=body)
    cls = ERRORS_BY_STATUS.get(status, TrackerError)
    return cls(f"HTTP {status}: {text}", status=status, body=body)
