"""Reference data filters."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from dispatch.api.filters import IdFilter, StrictBooleanFilter, StrictFilterSet, TextFilter
from ts.models import BaseStation, Contractor, Pole


class PoleFilter(StrictFilterSet):
    code = TextFilter(lookup_expr="iexact")
    region = TextFilter(field_name="region_ru", lookup_expr="icontains")
    contractor = IdFilter(field_name="contractor_id")
    is_active = StrictBooleanFilter(field_name="is_active")
    search = TextFilter(method="filter_search")

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


class BaseStationFilter(StrictFilterSet):
    name = TextFilter(lookup_expr="icontains")
    pole = TextFilter(field_name="pole__code", lookup_expr="iexact")
    operator = IdFilter(field_name="operators__id", distinct=True)
    is_active = StrictBooleanFilter(field_name="is_active")

    class Meta:
        model = BaseStation
        fields: list[str] = []


class ContractorFilter(StrictFilterSet):
    name = TextFilter(lookup_expr="icontains")
    is_default = StrictBooleanFilter(field_name="is_default")

    class Meta:
        model = Contractor
        fields: list[str] = []
