"""Incident list filters: status, type, dispatcher, pole, region, date range, SLA state, text."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from dispatch.api.filters import (
    IdFilter,
    StrictBooleanFilter,
    StrictFilterSet,
    TextFilter,
    day_start,
    next_day_start,
    single_ordering,
)
from incidents.models import Incident, SlaState, StatusKey


class IncidentFilter(StrictFilterSet):
    status = django_filters.MultipleChoiceFilter(
        field_name="status__key",
        choices=StatusKey.choices,
        help_text="Status key; repeat for several (`?status=new&status=in_progress`).",
    )
    type = IdFilter(field_name="incident_type_id", help_text="Incident type id.")
    dispatcher = IdFilter(field_name="assignee_id", help_text="Dispatcher (user) id.")
    assigned = StrictBooleanFilter(method="filter_assigned", help_text="Has a dispatcher.")
    pole = TextFilter(field_name="pole__code", lookup_expr="iexact", help_text="Pole code.")
    base_station = TextFilter(
        field_name="base_station__name",
        lookup_expr="iexact",
        help_text="Base station name.",
    )
    region = TextFilter(
        field_name="pole__region_ru",
        lookup_expr="icontains",
        help_text="Part of the pole's region name.",
    )
    incident_date_after = django_filters.DateFilter(
        method="filter_after", help_text="Incident date on or after this day (local time)."
    )
    incident_date_before = django_filters.DateFilter(
        method="filter_before", help_text="Incident date on or before this day (local time)."
    )
    last_month = StrictBooleanFilter(
        method="filter_last_month",
        help_text="Since the 1st day of the previous month (local time), as the original API.",
    )
    sla_state = django_filters.MultipleChoiceFilter(
        choices=SlaState.choices, help_text="SLA state; repeat for several."
    )
    is_finished = StrictBooleanFilter(field_name="is_finished")
    unread = StrictBooleanFilter(
        field_name="unread_since", lookup_expr="isnull", exclude=True, help_text="Has unread mail."
    )
    search = TextFilter(
        method="filter_search",
        help_text="Text in the code, subject, requester, pole code/address or base station.",
    )
    ordering = single_ordering(
        "incident_date", "created_at", "updated_at", "sla_deadline", "id", default="-incident_date"
    )

    class Meta:
        model = Incident
        fields: list[str] = []

    _forms: ClassVar[dict[tuple[type, str], type]] = {}

    def get_form_class(self) -> type:
        """Built once per language rather than per request (~0.5 ms): the filters are static."""
        key = (type(self), get_language())
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = super().get_form_class()
        return form

    def filter_assigned(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        return qs.filter(assignee__isnull=not value)

    def filter_after(self, qs: QuerySet, name: str, value) -> QuerySet:
        return qs.filter(incident_date__gte=day_start(value))

    def filter_before(self, qs: QuerySet, name: str, value) -> QuerySet:
        return qs.filter(incident_date__lt=next_day_start(value))

    def filter_last_month(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        if not value:
            return qs
        first_of_this_month = timezone.localdate().replace(day=1)
        first_of_previous = (first_of_this_month - timedelta(days=1)).replace(day=1)
        return qs.filter(incident_date__gte=day_start(first_of_previous))

    def filter_search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(code__icontains=value)
            | Q(subject__icontains=value)
            | Q(requester_email__icontains=value)
            | Q(pole__code__icontains=value)
            | Q(pole__address__icontains=value)
            | Q(base_station__name__icontains=value)
        )
