"""Statistics of a period, set-based: a fixed number of aggregate queries whatever the volume.

Cohorts of a period ``[start, end)`` (local midnights, ``TIME_ZONE``), ``as_of = min(end, now)``:

* **opened** — incident date within the period; **closed** — finished within the period;
* **open** — open at ``as_of`` (started before it, not finished by then): at the end of a past
  period, or now for the current one.

SLA per clock (:mod:`reports.clocks`), from the stored deadlines (business hours and pauses are
already in them, see ``incidents/sla.py``): of the incidents *closed* in the period, those finished
after their deadline are **expired (closed)**, the others **closed on time**; of those *open* at
``as_of``, a deadline before ``as_of`` is **expired (open)**, otherwise the clock is **waiting**
(paused by the status held at ``as_of``) or **in progress**. No deadline (no type) is **unknown**.
**Share on time** = closed on time / (closed on time + expired closed).

Time to close: ``finished_at − incident_date`` of the incidents closed in the period — the mean
and the 90th percentile (``percentile_cont`` on PostgreSQL; on SQLite two rows read at the
percentile's offset).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncHour
from django.utils import timezone

from incidents.models import Incident
from reports.clocks import CLOCKS, ClockSpec
from reports.filters import ReportFilters
from reports.periods import Period

P90 = 0.9
SLA_METRICS = (
    "expired_open",
    "expired_closed",
    "closed_on_time",
    "waiting",
    "in_progress",
    "unknown_open",
    "unknown_closed",
)


class PercentileCont(Aggregate):
    """PostgreSQL ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


@dataclass(frozen=True)
class SlaFigures:
    expired_open: int = 0
    expired_closed: int = 0
    closed_on_time: int = 0
    waiting: int = 0
    in_progress: int = 0
    unknown_open: int = 0
    unknown_closed: int = 0

    @property
    def share_on_time(self) -> float | None:
        """Closed on time / closed with a deadline (None when nothing closed had one)."""
        judged = self.closed_on_time + self.expired_closed
        return self.closed_on_time / judged if judged else None


@dataclass(frozen=True)
class Figures:
    """The counts of one slice (the whole filter, or one contractor / dispatcher / type)."""

    opened: int
    closed: int
    open: int
    sla: dict[str, SlaFigures]
    mean_to_close: timedelta | None
    p90_to_close: timedelta | None = None

    @property
    def primary(self) -> SlaFigures:
        return self.sla[CLOCKS[0].key]


@dataclass(frozen=True)
class GroupRow:
    key: int | None
    name: str
    figures: Figures


@dataclass(frozen=True)
class DayPoint:
    day: date
    opened: int
    closed: int
    closed_expired: int


@dataclass(frozen=True)
class HourPoint:
    hour: int
    opened: int
    closed: int


@dataclass(frozen=True)
class Statistics:
    period: Period
    as_of: datetime
    filters: ReportFilters
    totals: Figures
    groups: dict[str, list[GroupRow]] = field(default_factory=dict)
    daily: list[DayPoint] = field(default_factory=list)
    hourly: list[HourPoint] = field(default_factory=list)


@dataclass(frozen=True)
class Grouping:
    """A per-… table: the incident's key lookup, and the model and fields naming a key."""

    key: str
    model: str  # "app_label.Model"
    name_fields: tuple[str, ...]

    def names(self, keys: set) -> dict:
        """{key: [name parts]} for ``keys`` (one query on the small reference table)."""
        from django.apps import apps

        wanted = [k for k in keys if k is not None]
        model = apps.get_model(self.model)
        rows = model.objects.filter(pk__in=wanted).values_list("pk", *self.name_fields)
        return {pk: list(parts) for pk, *parts in rows}


GROUPINGS: dict[str, Grouping] = {
    "contractor": Grouping("pole__contractor_id", "ts.Contractor", ("name",)),
    "dispatcher": Grouping("assignee_id", "users.User", ("last_name", "first_name", "email")),
    "type": Grouping("incident_type_id", "incidents.IncidentType", ("name",)),
}
# PostgreSQL: memory for the report's sorts and hashes (the percentile sorts every duration of
# the period), for the transaction only.
REPORT_WORK_MEM = "64MB"


def _duration():
    return ExpressionWrapper(F("finished_at") - F("incident_date"), output_field=DurationField())


class _Cohorts:
    """The Q conditions of one period's cohorts (see the module docstring)."""

    def __init__(self, period: Period, as_of: datetime, now: datetime) -> None:
        self.period, self.as_of, self.now = period, as_of, now
        self.opened = Q(incident_date__gte=period.start, incident_date__lt=period.end)
        self.closed = Q(finished_at__gte=period.start, finished_at__lt=period.end)

    def clock_closed(self, clock: ClockSpec) -> Q:
        finished = clock.finished
        return clock.applies & Q(
            **{f"{finished}__gte": self.period.start, f"{finished}__lt": self.period.end}
        )

    def clock_open(self, clock: ClockSpec) -> Q:
        finished = clock.finished
        return (
            clock.applies
            & Q(incident_date__lt=self.as_of)
            & (Q(**{f"{finished}__isnull": True}) | Q(**{f"{finished}__gte": self.as_of}))
        )

    def open(self) -> Q:
        return Q(incident_date__lt=self.as_of) & (
            Q(finished_at__isnull=True) | Q(finished_at__gte=self.as_of)
        )

    def scope(self) -> Q:
        """Incidents any cohort may contain: started before the end, not finished before the
        start (for every clock's finish)."""
        finishes = {"finished_at", *(clock.finished for clock in CLOCKS)}
        not_done = Q()
        for finished in sorted(finishes):
            not_done |= Q(**{f"{finished}__isnull": True}) | Q(
                **{f"{finished}__gte": self.period.start}
            )
        return Q(incident_date__lt=self.period.end) & not_done

    def aggregates(self) -> dict[str, Aggregate]:
        """Named conditional counts (and the mean time to close) of every cohort and clock."""
        aggs: dict[str, Aggregate] = {
            "opened": Count("pk", filter=self.opened),
            "closed": Count("pk", filter=self.closed),
            "open": Count("pk", filter=self.open()),
            "to_close_sum": Sum(_duration(), filter=self.closed),
        }
        for clock in CLOCKS:
            deadline, finished = clock.deadline, clock.finished
            has = Q(**{f"{deadline}__isnull": False})
            none = Q(**{f"{deadline}__isnull": True})
            closed, still_open = self.clock_closed(clock), self.clock_open(clock)
            running = still_open & has & Q(**{f"{deadline}__gte": self.as_of})
            prefix = f"{clock.key}_"
            aggs |= {
                prefix + "expired_closed": Count(
                    "pk", filter=closed & has & Q(**{f"{finished}__gt": F(deadline)})
                ),
                prefix + "closed_on_time": Count(
                    "pk", filter=closed & has & Q(**{f"{finished}__lte": F(deadline)})
                ),
                prefix + "unknown_closed": Count("pk", filter=closed & none),
                prefix + "expired_open": Count(
                    "pk", filter=still_open & has & Q(**{f"{deadline}__lt": self.as_of})
                ),
                prefix + "running": Count("pk", filter=running),
                prefix + "waiting": Count(
                    "pk", filter=running & clock.paused_at(self.as_of, self.now)
                ),
                prefix + "unknown_open": Count("pk", filter=still_open & none),
            }
        return aggs


def _figures(row: dict, p90: timedelta | None = None) -> Figures:
    sla = {}
    for clock in CLOCKS:
        prefix = f"{clock.key}_"
        values = {m: row.get(prefix + m, 0) for m in SLA_METRICS if m != "in_progress"}
        values["in_progress"] = row[prefix + "running"] - row[prefix + "waiting"]
        sla[clock.key] = SlaFigures(**values)
    return Figures(
        opened=row["opened"],
        closed=row["closed"],
        open=row["open"],
        sla=sla,
        mean_to_close=_as_timedelta(row["to_close_sum"]) / row["closed"] if row["closed"] else None,
        p90_to_close=p90,
    )


def _as_timedelta(value) -> timedelta | None:
    """A sum of durations: a timedelta on PostgreSQL, microseconds (a number) on SQLite."""
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(microseconds=round(value))


def _percentile_fallback(closed: QuerySet[Incident], count: int, fraction: float):
    """``percentile_cont`` without the database's help: the two rows around the fractional
    rank, read with ORDER BY … LIMIT 2 OFFSET k, interpolated linearly."""
    if count == 0:
        return None
    rank = fraction * (count - 1)
    low = math.floor(rank)
    values = list(
        closed.annotate(to_close=_duration())
        .order_by("to_close")
        .values_list("to_close", flat=True)[low : low + 2]
    )
    values = [_as_timedelta(v) for v in values]
    if len(values) == 1 or rank == low:
        return values[0]
    return values[0] + (values[1] - values[0]) * (rank - low)


def statistics(
    period: Period,
    filters: ReportFilters | None = None,
    *,
    groups: tuple[str, ...] = tuple(GROUPINGS),
    now: datetime | None = None,
) -> Statistics:
    """Every figure of the statistics page for ``period`` and ``filters`` (4 queries, one more
    per table for its names, and ``SET LOCAL work_mem`` on PostgreSQL).

    One pass over the period's incidents counts everything per (contractor, dispatcher, type):
    the counts add up, so the totals and each table are sums of those rows. The percentile reads
    only the incidents closed in the period, the dynamics only those opened / closed in it.
    """
    filters = filters or ReportFilters()
    now = now or timezone.now()
    as_of = min(period.end, now)
    cohorts = _Cohorts(period, as_of, now)
    base = filters.apply(Incident.objects.all())
    keys = {f"k_{name}": F(g.key) for name, g in GROUPINGS.items()}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        rows = list(
            base.filter(cohorts.scope()).values(**keys).annotate(**cohorts.aggregates()).order_by()
        )
        totals = _sum(rows)
        p90, closed_hours = closed_side(base.filter(cohorts.closed), totals["closed"])
        series = dynamics(base, cohorts, closed_hours)
    return Statistics(
        period=period,
        as_of=as_of,
        filters=filters,
        totals=_figures(totals, p90),
        groups={name: _group_rows(rows, name) for name in groups},
        **series,
    )


def _sum(rows: list[dict]) -> dict:
    """Counts and duration sums of ``rows`` added up."""
    total: dict = {}
    for row in rows:
        for name, value in row.items():
            if name.startswith("k_") or value is None:
                continue
            total[name] = total[name] + value if name in total else value
    total.setdefault("to_close_sum", None)
    for name in ("opened", "closed", "open"):
        total.setdefault(name, 0)
    for clock in CLOCKS:
        for metric in (*SLA_METRICS, "running"):
            total.setdefault(f"{clock.key}_{metric}", 0)
    return total


def _p90(closed: QuerySet[Incident], count: int) -> timedelta | None:
    if count == 0:
        return None
    if connection.vendor == "postgresql":
        value = closed.aggregate(
            p90=PercentileCont(_duration(), P90, output_field=DurationField())
        )["p90"]
        return _as_timedelta(value)
    return _percentile_fallback(closed, count, P90)


def _group_rows(rows: list[dict], name: str) -> list[GroupRow]:
    """The table of one grouping: the rows merged by its key, named from its model."""
    merged: dict = {}
    for row in rows:
        merged.setdefault(row[f"k_{name}"], []).append(row)
    names = GROUPINGS[name].names(set(merged))
    result = []
    for key, members in merged.items():
        figures = _figures(_sum(members))
        if figures.opened or figures.closed or figures.open:
            result.append(GroupRow(key, _name(names.get(key, [])), figures))
    result.sort(key=lambda r: (r.key is None, r.name.casefold(), r.key or 0))
    return result


def _name(parts: list) -> str:
    words = [str(p) for p in parts if p]
    if len(words) > 1 and "@" in words[-1]:  # a dispatcher: «Фамилия Имя», the e-mail if no name
        return " ".join(words[:-1]) or words[-1]
    return " ".join(words)


def _count_by(incidents: QuerySet[Incident], moment: str, **counts) -> dict:
    """{local hour (aware): {name: count}} in one GROUP BY query (``n`` counts every row)."""
    rows = (
        incidents.annotate(hour=TruncHour(moment))
        .values("hour")
        .annotate(n=Count("pk"), **counts)
        .order_by()
    )
    return {timezone.localtime(row.pop("hour")): row for row in rows}


def closed_side(closed: QuerySet[Incident], count: int) -> tuple[timedelta | None, dict]:
    """The 90th percentile of the time to close and the closed per local hour. PostgreSQL: one
    statement reading the closed incidents once (a materialised CTE used by both); elsewhere an
    ORM query each."""
    if connection.vendor != "postgresql" or count == 0:
        expired = Count("pk", filter=Q(finished_at__gt=F("sla_deadline")))
        return _p90(closed, count), _count_by(closed, "finished_at", expired=expired)
    inner, params = closed.values(
        "finished_at", "incident_date", "sla_deadline"
    ).query.sql_with_params()
    sql = (  # the ORM's own SQL (its values are parameters) and a constant: nothing typed in
        f"WITH s AS MATERIALIZED ({inner}) "  # noqa: S608
        "SELECT date_trunc('hour', finished_at AT TIME ZONE %s), count(*), "
        "count(*) FILTER (WHERE finished_at > sla_deadline), NULL FROM s GROUP BY 1 "
        "UNION ALL SELECT NULL, NULL, NULL, "
        f"percentile_cont({P90}) WITHIN GROUP (ORDER BY finished_at - incident_date) FROM s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, timezone.get_current_timezone_name()])
        rows = cursor.fetchall()
    p90 = next(row[3] for row in rows if row[0] is None)
    return p90, {row[0]: {"n": row[1], "expired": row[2]} for row in rows if row[0] is not None}


def dynamics(base: QuerySet[Incident], cohorts: _Cohorts, closed: dict) -> dict[str, list]:
    """Opened and closed (and closed after the deadline) per local day and per local hour of
    the day, from the opened per local hour (1 query) and ``closed`` (from ``closed_side``)."""
    opened = _count_by(base.filter(cohorts.opened), "incident_date")
    days = {day: [0, 0, 0] for day in cohorts.period.days()}
    hours = [[0, 0] for _ in range(24)]
    for moment, row in opened.items():
        days[moment.date()][0] += row["n"]
        hours[moment.hour][0] += row["n"]
    for moment, row in closed.items():
        days[moment.date()][1] += row["n"]
        days[moment.date()][2] += row["expired"]
        hours[moment.hour][1] += row["n"]
    return {
        "daily": [DayPoint(day, *counts) for day, counts in days.items()],
        "hourly": [HourPoint(hour, *counts) for hour, counts in enumerate(hours)],
    }
