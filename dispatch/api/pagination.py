"""Page-number pagination that rejects bad page parameters with 400 instead of guessing."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 200
# A COUNT of at least this many rows is reused for COUNT_REUSE_SECONDS (per query).
LARGE_COUNT = 10_000
COUNT_REUSE_SECONDS = 2


def _positive_int(request, name: str, maximum: int | None = None) -> int | None:
    values = request.query_params.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise ValidationError({name: [_("Give this parameter once.")]})
    raw = values[0]
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise ValidationError({name: [_("A positive integer is required.")]})
    value = int(raw)
    if maximum is not None and value > maximum:
        raise ValidationError({name: [_("Must be at most %(maximum)d.") % {"maximum": maximum}]})
    return value


class CountReusingPaginator(Paginator):
    """Counts exactly, but reuses a large count for a moment: ``COUNT(*)`` over 100,000 incidents
    is ~3 ms of database CPU on every page, and a count that large is never exact to the second
    anyway (the count and the page are separate statements). Small results are always fresh."""

    def _count_key(self) -> str | None:
        """What is counted: a list's own ``count_key``, else its query's SQL (None: neither)."""
        named = getattr(self.object_list, "count_key", None)
        if named is not None:
            return f"api-count:{named}"
        query = getattr(self.object_list, "query", None)
        if query is None:
            return None
        try:
            sql, params = query.sql_with_params()
        except EmptyResultSet:
            return None
        source = repr((self.object_list.db, sql, params))
        return "api-count:" + hashlib.sha256(source.encode()).hexdigest()

    @cached_property
    def count(self) -> int:
        key = self._count_key()
        if key is None:
            return super().count
        count = cache.get(key)
        if count is None:
            count = super().count
            if count >= LARGE_COUNT:
                cache.set(key, count, COUNT_REUSE_SECONDS)
        return count

    def page(self, number) -> Page:
        """As Django's, but the rows of a page never depend on the (possibly reused) count."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)


class ApiPagination(PageNumberPagination):
    """``?page=N&page_size=M``; page size defaults to ``API_PAGE_SIZE``, at most 200."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    django_paginator_class = CountReusingPaginator

    def get_page_size(self, request) -> int:
        size = _positive_int(request, self.page_size_query_param, self.max_page_size)
        return size or min(settings.REST_FRAMEWORK.get("PAGE_SIZE") or 50, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        number = _positive_int(request, self.page_query_param, 10**9) or 1
        page_size = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset, page_size)
        if number > 1 and number > paginator.num_pages:
            raise NotFound(_("Page %(number)d does not exist.") % {"number": number})
        self.page = paginator.page(number)
        self.request = request
        return list(self.page)

    def get_paginated_response_schema(self, schema: dict) -> dict:
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = (
            f"Matching items; exact below {LARGE_COUNT:,}, a larger total may be up to "
            f"{COUNT_REUSE_SECONDS} s old."
        )
        return response

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            param["schema"] = {"type": "integer", "minimum": 1}
            if param["name"] == self.page_query_param:
                param["schema"]["maximum"] = 10**9
            if param["name"] == self.page_size_query_param:
                param["schema"]["maximum"] = self.max_page_size
        return params
