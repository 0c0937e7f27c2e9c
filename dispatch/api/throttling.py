"""Throttles: per authenticated user, and a stricter one for writes."""

from rest_framework.throttling import UserRateThrottle


class ApiUserThrottle(UserRateThrottle):
    """All API reads and writes of one user (``API_THROTTLE_USER``)."""

    scope = "user"


class ApiWriteThrottle(UserRateThrottle):
    """State changes (status changes) of one user (``API_THROTTLE_WRITE``)."""

    scope = "write"

    def allow_request(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)
