"""Throttles: per authenticated user, and a stricter one for writes.

Counted in the database (``dispatch.ratelimit``), so the limit holds across all web workers;
DRF's own throttles keep their history in a per-process cache. Anonymous requests (refused
anyway) are keyed on ``dispatch.client_ip``, never on a raw ``X-Forwarded-For``.
"""

from rest_framework.throttling import SimpleRateThrottle

from dispatch.client_ip import client_ip
from dispatch.ratelimit import hit


class SharedRateThrottle(SimpleRateThrottle):
    """A sliding-window limit from ``DEFAULT_THROTTLE_RATES[scope]`` shared by every worker."""

    def get_cache_key(self, request, view) -> str:
        user = request.user
        if user and user.is_authenticated:
            return f"user:{user.pk}"
        return f"ip:{client_ip(request)}"

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.retry_after = hit(
            f"api-{self.scope}", self.get_cache_key(request, view), self.num_requests, self.duration
        )
        return not self.retry_after

    def wait(self) -> float:
        return float(self.retry_after)


class ApiUserThrottle(SharedRateThrottle):
    """All API reads and writes of one user (``API_THROTTLE_USER``)."""

    scope = "user"


class ApiWriteThrottle(SharedRateThrottle):
    """State changes (status changes) of one user (``API_THROTTLE_WRITE``)."""

    scope = "write"

    def allow_request(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)
