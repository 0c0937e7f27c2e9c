"""What the exports contain: the queue's rows and the statistics tables, as :class:`Table`."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from incidents.models import Incident, SlaState
from reports.clocks import CLOCKS
from reports.exports import DATE, DATETIME, DURATION, INT, PERCENT, Column, Table
from reports.statistics import Figures, Statistics

EXPORT_CHUNK = 2000

QUEUE_LOOKUPS = (
    "code",
    "subject",
    "status__name",
    "sla_state",
    "sla_deadline",
    "incident_date",
    "finished_at",
    "incident_type__name",
    "pole__code",
    "base_station__name",
    "pole__region_ru",
    "pole__contractor__name",
    "assignee__email",
    "requester_email",
)


def queue_table(incidents: QuerySet[Incident]) -> Table:
    """Every incident of ``incidents`` (in its order), read in chunks (a server-side cursor on
    PostgreSQL), one row each."""
    columns = [
        Column(_("Number")),
        Column(_("Subject")),
        Column(_("Status")),
        Column(_("SLA")),
        Column(_("SLA deadline"), DATETIME),
        Column(_("Incident date"), DATETIME),
        Column(_("Finished at"), DATETIME),
        Column(_("Time to close"), DURATION),
        Column(_("Type")),
        Column(_("Pole")),
        Column(_("Base station")),
        Column(_("Region")),
        Column(_("Contractor")),
        Column(_("Dispatcher")),
        Column(_("Requester")),
    ]
    labels = {state.value: str(state.label) for state in SlaState}

    def rows() -> Iterator[tuple]:
        values = incidents.values_list(*QUEUE_LOOKUPS).iterator(chunk_size=EXPORT_CHUNK)
        for code, subject, status, sla, deadline, date, finished, *rest in values:
            to_close = finished - date if finished else None
            yield (
                code,
                subject,
                status,
                labels.get(sla, sla),
                deadline,
                date,
                finished,
                to_close,
                *rest,
            )

    return Table(_("Incidents"), columns, rows())


def _figure_columns(first: str) -> list[Column]:
    return [
        Column(first),
        Column(_("Opened"), INT),
        Column(_("Closed"), INT),
        Column(_("Open"), INT),
        Column(_("Expired (open)"), INT),
        Column(_("Expired (closed)"), INT),
        Column(_("Closed on time"), INT),
        Column(_("Waiting"), INT),
        Column(_("In progress"), INT),
        Column(_("Share on time"), PERCENT),
        Column(_("Mean time to close"), DURATION),
    ]


def _figure_row(name: str, figures: Figures, clock_key: str | None = None) -> tuple:
    sla = figures.sla[clock_key] if clock_key else figures.primary
    return (
        name,
        figures.opened,
        figures.closed,
        figures.open,
        sla.expired_open,
        sla.expired_closed,
        sla.closed_on_time,
        sla.waiting,
        sla.in_progress,
        sla.share_on_time,
        figures.mean_to_close,
    )


GROUP_NAMES = {
    "contractor": (_("By contractor"), _("Contractor"), _("no contractor")),
    "dispatcher": (_("By dispatcher"), _("Dispatcher"), _("not assigned")),
    "type": (_("By incident type"), _("Type"), _("no type")),
}


def statistics_tables(stats: Statistics) -> list[Table]:
    """Totals per SLA clock, the per-contractor/dispatcher/type tables, daily and hourly."""
    first, last = stats.period.first_day, stats.period.last_day
    summary = Table(
        _("Totals"),
        [
            *_figure_columns(_("Kind of SLA")),
            Column(_("90th percentile of time to close"), DURATION),
            Column(_("First day"), DATE),
            Column(_("Last day"), DATE),
        ],
        [
            (
                *_figure_row(str(c.label), stats.totals, c.key),
                stats.totals.p90_to_close,
                first,
                last,
            )
            for c in CLOCKS
        ],
    )
    tables = [summary]
    for key, rows in stats.groups.items():
        title, column, empty = GROUP_NAMES[key]
        tables.append(
            Table(
                str(title),
                _figure_columns(str(column)),
                [_figure_row(row.name or str(empty), row.figures) for row in rows],
            )
        )
    tables.append(
        Table(
            _("Per day"),
            [
                Column(_("Day"), DATE),
                Column(_("Opened"), INT),
                Column(_("Closed"), INT),
                Column(_("Closed after the deadline"), INT),
            ],
            [(p.day, p.opened, p.closed, p.closed_expired) for p in stats.daily],
        )
    )
    tables.append(
        Table(
            _("Per hour"),
            [Column(_("Hour")), Column(_("Opened"), INT), Column(_("Closed"), INT)],
            [(f"{p.hour:02d}:00", p.opened, p.closed) for p in stats.hourly],
        )
    )
    return tables
