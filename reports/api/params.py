"""Query parameters of the report endpoints, strict like the rest of the API."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from dispatch.api.filters import LATEST_DAY, MAX_ID, MAX_TEXT
from reports.filters import ReportFilters
from reports.periods import MAX_CUSTOM_DAYS, Period, PeriodKind, period_for

FILE_FORMATS = ("csv", "xlsx")


class StrictParams(serializers.Serializer):
    """Refuses a parameter given more than once (the schema declares each one single) and an
    empty value where the schema asks for a number, a date or a choice."""

    def to_internal_value(self, data):
        getlist = getattr(data, "getlist", None)
        if getlist is not None:
            errors = {}
            for name, field in self.fields.items():
                values = getlist(name)
                if len(values) > 1:
                    errors[name] = [_("Give this parameter once.")]
                elif "" in values and not isinstance(field, serializers.CharField):
                    errors[name] = [_("This parameter cannot be empty.")]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class ReportParams(StrictParams):
    """Period and filters; a custom period ending before it starts is turned round and one
    longer than two years is cut; days are clamped to 1970–9000."""

    period = serializers.ChoiceField(choices=PeriodKind.choices, default=PeriodKind.MONTH)
    date = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    macroregion = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    region = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    operator = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    contractor = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    type = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    dispatcher = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)

    def report_period(self) -> Period:
        data = self.validated_data
        first = _clamp(data.get("date") or timezone.localdate())
        last = _clamp(data.get("end") or first)
        if last < first:
            first, last = last, first
        last = min(last, first + timedelta(days=MAX_CUSTOM_DAYS - 1))
        return period_for(data["period"], first, last)

    def report_filters(self) -> ReportFilters:
        data = self.validated_data
        return ReportFilters(
            macroregion=data.get("macroregion", ""),
            region=data.get("region", ""),
            operator=data.get("operator"),
            contractor=data.get("contractor"),
            incident_type=data.get("type"),
            dispatcher=data.get("dispatcher"),
        )


# Before 1970 some zones had offsets with seconds (Moscow: +02:30:17 in 1900), which RFC 3339
# date-times cannot carry; no incident is that old.
EARLIEST_REPORT_DAY = date(1970, 1, 1)


def _clamp(day: date) -> date:
    return min(max(day, EARLIEST_REPORT_DAY), LATEST_DAY)


def _param(name: str, kind, description: str, **extra) -> OpenApiParameter:
    return OpenApiParameter(
        name, kind, OpenApiParameter.QUERY, required=False, description=description, **extra
    )


ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
TEXT_SCHEMA = {"type": "string", "maxLength": MAX_TEXT, "pattern": "^[^\\u0000]*$"}

REPORT_PARAMETERS = [
    _param(
        "period",
        OpenApiTypes.STR,
        "Period kind (default `month`).",
        enum=[k for k, _label in PeriodKind.choices],
    ),
    _param(
        "date",
        OpenApiTypes.DATE,
        "A day inside the period, the first day of a custom one (default: today, local).",
    ),
    _param("end", OpenApiTypes.DATE, "Last day of a custom period (default: `date`)."),
    _param("macroregion", TEXT_SCHEMA, "Pole macroregion (exact)."),
    _param("region", TEXT_SCHEMA, "Pole region, Russian name (exact)."),
    _param("operator", ID_SCHEMA, "Operator id (of the incident's base station)."),
    _param("contractor", ID_SCHEMA, "Contractor id (of the incident's pole)."),
    _param("type", ID_SCHEMA, "Incident type id."),
    _param("dispatcher", ID_SCHEMA, "Dispatcher (user) id."),
]

FILE_FORMAT_PARAMETER = _param(
    "file_format", OpenApiTypes.STR, "`csv` (default) or `xlsx`.", enum=list(FILE_FORMATS)
)


class FileFormatParam(StrictParams):
    file_format = serializers.ChoiceField(choices=FILE_FORMATS, default="csv")
