"""Base of every API view: role permission, throttles, pagination, strict object lookup."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status

from dispatch.api.filters import MAX_ID
from dispatch.api.pagination import ApiPagination
from dispatch.api.permissions import HasApiRole
from dispatch.api.throttling import ApiUserThrottle, ApiWriteThrottle


def parse_id(raw: str) -> int:
    """An object id from a URL: a positive ASCII integer in range, else 404."""
    text = str(raw)
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        raise exceptions.NotFound()
    return int(text)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state.")
    default_code = "conflict"


class ApiViewMixin:
    """Mixed into every API view set."""

    permission_classes = [HasApiRole]
    throttle_classes = [ApiUserThrottle, ApiWriteThrottle]
    pagination_class = ApiPagination
    lookup_value_regex = "[^/]+"  # anything up to the next slash: bad ids get a JSON 404

    def get_object(self):
        parse_id(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, ""))
        return super().get_object()
