"""Report pages: thin views over ``reports.statistics`` (dispatchers and admins)."""

from __future__ import annotations

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from console.forms import QueueFilterForm
from console.selectors import queue_incidents
from incidents.models import SlaState
from reports.charts import Series, bar_chart
from reports.clocks import CLOCKS
from reports.exports import Table, csv_chunks, xlsx_file
from reports.forms import ReportForm
from reports.map import map_points, map_policy
from reports.periods import PeriodKind, period_for
from reports.statistics import Statistics, statistics
from reports.tables import queue_table, statistics_tables
from users.permissions import INCIDENT_ROLES, role_required

report_roles_required = role_required(*INCIDENT_ROLES)

OPENED_COLOR, CLOSED_COLOR, EXPIRED_COLOR = "#2563eb", "#16a34a", "#dc2626"


def read_form(request: HttpRequest) -> ReportForm:
    """The bound report form (no parameters: this month, no filters)."""
    return ReportForm(request.GET)


def charts(stats: Statistics) -> dict[str, str]:
    days = [formats.date_format(p.day, "d.m") for p in stats.daily]
    return {
        "daily": bar_chart(
            _("Incidents per day"),
            days,
            [
                Series(_("Opened"), [p.opened for p in stats.daily], OPENED_COLOR),
                Series(_("Closed"), [p.closed for p in stats.daily], CLOSED_COLOR),
                Series(
                    _("Closed after the deadline"),
                    [p.closed_expired for p in stats.daily],
                    EXPIRED_COLOR,
                ),
            ],
        ),
        "hourly": bar_chart(
            _("Incidents per hour of the day"),
            [f"{p.hour:02d}" for p in stats.hourly],
            [
                Series(_("Opened"), [p.opened for p in stats.hourly], OPENED_COLOR),
                Series(_("Closed"), [p.closed for p in stats.hourly], CLOSED_COLOR),
            ],
        ),
    }


GROUP_TITLES = {
    "contractor": (_("By contractor"), _("Contractor"), _("no contractor")),
    "dispatcher": (_("By dispatcher"), _("Dispatcher"), _("not assigned")),
    "type": (_("By incident type"), _("Type"), _("no type")),
}


@require_GET
@report_roles_required
def statistics_page(request: HttpRequest) -> HttpResponse:
    """Figures, SLA per clock, per contractor/dispatcher/type tables and charts of a period."""
    form = read_form(request)
    status = 200
    if form.is_valid():
        period, filters = form.report_period(), form.report_filters()
    else:
        status = 400
        period, filters = period_for(PeriodKind.MONTH, _today()), None
    stats = statistics(period, filters)
    groups = [
        {"key": key, "title": title, "column": column, "empty": empty, "rows": stats.groups[key]}
        for key, (title, column, empty) in GROUP_TITLES.items()
    ]
    context = {
        "form": form,
        "stats": stats,
        "clocks": [(clock, stats.totals.sla[clock.key]) for clock in CLOCKS],
        "groups": groups,
        "charts": charts(stats),
        "query": request.GET.urlencode(),
    }
    return render(request, "reports/statistics.html", context, status=status)


def _today():
    return timezone.localdate()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


def export_response(tables: list[Table], fmt: str, stem: str) -> HttpResponseBase:
    """CSV streamed as it is produced; XLSX written to a temporary file, then sent from it."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{stem}-{stamp}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(csv_chunks(tables), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    elif fmt == "xlsx":
        response = FileResponse(
            xlsx_file(tables), as_attachment=True, filename=filename, content_type=XLSX_TYPE
        )
    else:
        raise Http404("unknown export format")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@report_roles_required
def statistics_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The statistics tables of the page's period and filters (400 page on a bad request)."""
    form = read_form(request)
    if not form.is_valid():
        return statistics_page(request)
    stats = statistics(form.report_period(), form.report_filters())
    return export_response(statistics_tables(stats), fmt, "statistics")


@require_GET
@role_required()
def queue_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """Every incident the queue shows with its current filter and sort (all pages)."""
    form = QueueFilterForm(request.GET or None)
    incidents = queue_incidents(form.filters(), request.user)
    return export_response([queue_table(incidents)], fmt, "incidents")


@require_GET
@role_required()
def map_page(request: HttpRequest) -> HttpResponse:
    """Open incidents on a map of their poles, filtered like the queue, live-updated."""
    form = QueueFilterForm(request.GET or None)
    response = render(
        request,
        "reports/map.html",
        {
            "form": form,
            "query": request.GET.urlencode(),
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
            "sla_states": SlaState.choices,
        },
    )
    response["Content-Security-Policy"] = map_policy()
    return response


@require_GET
@role_required()
def map_data(request: HttpRequest) -> JsonResponse:
    """The markers for the queue's filter (JSON for the map page's script)."""
    form = QueueFilterForm(request.GET or None)
    incidents = queue_incidents(form.filters(), request.user)
    response = JsonResponse(map_points(incidents))
    response["Cache-Control"] = "private, no-store"
    return response
