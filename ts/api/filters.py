"""Reference data filters."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from dispatch.api.filters import IdFilter, StrictBooleanFilter
from ts.models import BaseStation, Contractor, Pole


class PoleFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact", max_length=64)
    region = django_filters.CharFilter(
        field_name="region_ru", lookup_expr="icontains", max_length=256
    )
    contractor = IdFilter(field_name="contractor_id")
    is_active = StrictBooleanFilter(field_name="is_active")
    search = django_filters.CharFilter(method="filter_search", max_length=200)

    class Meta:
        model = Pole
        fields: list[str] = []

    def filter_search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(code__icontains=value) | Q(address__icontains=value) | Q(bs_name__icontains=value)
        )


class BaseStationFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", max_length=256)
    pole = django_filters.CharFilter(field_name="pole__code", lookup_expr="iexact", max_length=64)
    operator = IdFilter(field_name="operators__id", distinct=True)
    is_active = StrictBooleanFilter(field_name="is_active")

    class Meta:
        model = BaseStation
        fields: list[str] = []


class ContractorFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", max_length=256)
    is_default = StrictBooleanFilter(field_name="is_default")

    class Meta:
        model = Contractor
        fields: list[str] = []
