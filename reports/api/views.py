"""Report endpoints: the statistics as JSON, and the exports (CSV/XLSX) with the same filters."""

from __future__ import annotations

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.api.errors import error_responses
from dispatch.api.views import ApiViewMixin
from incidents.api.filters import IncidentFilter
from incidents.models import Incident
from reports.api.params import (
    FILE_FORMAT_PARAMETER,
    REPORT_PARAMETERS,
    FileFormatParam,
    ReportParams,
)
from reports.api.serializers import StatisticsSerializer, statistics_data
from reports.statistics import statistics
from reports.tables import queue_table, statistics_tables
from reports.views import XLSX_TYPE, export_response

FILE_RESPONSES = {
    (200, "text/csv"): OpenApiResponse(
        OpenApiTypes.BINARY, description="CSV: UTF-8 with a BOM, `;`-separated."
    ),
    (200, XLSX_TYPE): OpenApiResponse(
        OpenApiTypes.BINARY, description="XLSX: typed cells, frozen header, autofilter."
    ),
}


class _JsonErrors(BaseContentNegotiation):
    """Errors are JSON whatever the client accepts (the files set their own type)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ReportView(ApiViewMixin, APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _JsonErrors

    def params(self, request: Request) -> ReportParams:
        params = ReportParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        return params

    def file_format(self, request: Request) -> str:
        param = FileFormatParam(data=request.query_params)
        param.is_valid(raise_exception=True)
        return param.validated_data["file_format"]


class StatisticsView(ReportView):
    @extend_schema(
        summary="Statistics of a period (the figures of the statistics page)",
        description=(
            "Opened / closed in the period, open at `as_of` (the period's end, or now), SLA per "
            "clock (expired open/closed, closed on time, waiting, in progress, unknown, share on "
            "time), mean and 90th percentile time to close (seconds), per contractor / "
            "dispatcher / type, per local day and hour of the day."
        ),
        tags=["reports"],
        parameters=REPORT_PARAMETERS,
        responses={200: StatisticsSerializer, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        params = self.params(request)
        stats = statistics(params.report_period(), params.report_filters())
        return Response(StatisticsSerializer(statistics_data(stats)).data)


class StatisticsExportView(ReportView):
    @extend_schema(
        summary="The statistics tables as CSV or XLSX",
        tags=["reports"],
        parameters=[*REPORT_PARAMETERS, FILE_FORMAT_PARAMETER],
        responses={**FILE_RESPONSES, **error_responses(400)},
    )
    def get(self, request: Request) -> HttpResponseBase:
        params, fmt = self.params(request), self.file_format(request)
        stats = statistics(params.report_period(), params.report_filters())
        return export_response(statistics_tables(stats), fmt, "statistics")


class IncidentExportView(ReportView, GenericAPIView):
    filterset_class = IncidentFilter
    queryset = Incident.objects.order_by("-incident_date", "-id")

    @extend_schema(
        summary="Incidents as CSV or XLSX, with the filters of the incident list",
        description="Every matching incident (no pagination), streamed in bounded memory.",
        tags=["reports"],
        parameters=[FILE_FORMAT_PARAMETER],
        responses={**FILE_RESPONSES, **error_responses(400)},
        filters=True,
    )
    def get(self, request: Request) -> HttpResponseBase:
        fmt = self.file_format(request)
        incidents = self.filter_queryset(self.get_queryset())
        return export_response([queue_table(incidents)], fmt, "incidents")
