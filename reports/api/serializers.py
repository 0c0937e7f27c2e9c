"""The statistics as JSON: counts, shares (0–1) and durations in seconds (BI-friendly)."""

from __future__ import annotations

from datetime import timedelta

from rest_framework import serializers

from reports.clocks import CLOCKS
from reports.statistics import Figures, SlaFigures, Statistics


def seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


class SlaFiguresSerializer(serializers.Serializer):
    clock = serializers.CharField(help_text="Clock key, e.g. `incident`.")
    label = serializers.CharField()
    expired_open = serializers.IntegerField()
    expired_closed = serializers.IntegerField()
    closed_on_time = serializers.IntegerField()
    waiting = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    unknown_open = serializers.IntegerField()
    unknown_closed = serializers.IntegerField()
    share_on_time = serializers.FloatField(allow_null=True, help_text="0–1; null: none judged.")


class FiguresSerializer(serializers.Serializer):
    opened = serializers.IntegerField()
    closed = serializers.IntegerField()
    open = serializers.IntegerField(help_text="Open at `as_of`.")
    mean_to_close_seconds = serializers.FloatField(allow_null=True)
    sla = SlaFiguresSerializer(many=True)


class TotalsSerializer(FiguresSerializer):
    p90_to_close_seconds = serializers.FloatField(allow_null=True)


class GroupRowSerializer(FiguresSerializer):
    id = serializers.IntegerField(allow_null=True, help_text="null: none (no contractor…).")
    name = serializers.CharField()


class DaySerializer(serializers.Serializer):
    day = serializers.DateField()
    opened = serializers.IntegerField()
    closed = serializers.IntegerField()
    closed_expired = serializers.IntegerField()


class HourSerializer(serializers.Serializer):
    hour = serializers.IntegerField(min_value=0, max_value=23)
    opened = serializers.IntegerField()
    closed = serializers.IntegerField()


class PeriodSerializer(serializers.Serializer):
    kind = serializers.CharField()
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class StatisticsSerializer(serializers.Serializer):
    period = PeriodSerializer()
    as_of = serializers.DateTimeField()
    totals = TotalsSerializer()
    by_contractor = GroupRowSerializer(many=True)
    by_dispatcher = GroupRowSerializer(many=True)
    by_type = GroupRowSerializer(many=True)
    daily = DaySerializer(many=True)
    hourly = HourSerializer(many=True)


def _sla(key: str, figures: SlaFigures) -> dict:
    label = next(str(c.label) for c in CLOCKS if c.key == key)
    return {
        "clock": key,
        "label": label,
        **{
            name: getattr(figures, name)
            for name in SlaFiguresSerializer().fields
            if name not in ("clock", "label")
        },
    }


def _figures(figures: Figures) -> dict:
    return {
        "opened": figures.opened,
        "closed": figures.closed,
        "open": figures.open,
        "mean_to_close_seconds": seconds(figures.mean_to_close),
        "sla": [_sla(key, sla) for key, sla in figures.sla.items()],
    }


def statistics_data(stats: Statistics) -> dict:
    """Plain data for :class:`StatisticsSerializer`."""
    period = stats.period
    return {
        "period": {
            "kind": period.kind,
            "first_day": period.first_day,
            "last_day": period.last_day,
            "start": period.start,
            "end": period.end,
        },
        "as_of": stats.as_of,
        "totals": {
            **_figures(stats.totals),
            "p90_to_close_seconds": seconds(stats.totals.p90_to_close),
        },
        **{
            f"by_{name}": [
                {"id": row.key, "name": row.name, **_figures(row.figures)} for row in rows
            ]
            for name, rows in stats.groups.items()
        },
        "daily": [vars(p) for p in stats.daily],
        "hourly": [vars(p) for p in stats.hourly],
    }
