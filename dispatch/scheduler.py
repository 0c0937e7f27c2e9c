"""Scheduled jobs from ``settings.CRONJOBS`` (django-crontab's format), run by ``run_cron``.

django-crontab only writes the jobs into a system crontab, which needs a cron daemon running as
root; the container runs as an unprivileged user and the embedded default has no cron at all.
So the same ``CRONJOBS`` list is executed by a worker under Supervisor: each cycle it runs the
jobs whose schedule matches a minute that passed since the previous cycle (like cron, runs missed
while the worker was down are not made up). Schedules use the five standard cron fields
(``*``, ``a-b``, ``*/n``, ``a-b/n``, lists) or ``@hourly``/``@daily``/``@weekly``/``@monthly``,
evaluated in ``TIME_ZONE``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils.module_loading import import_string

from dispatch.locks import name_key, try_session_lock

ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
}
RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
MAX_CATCH_UP = timedelta(hours=1)
# PostgreSQL advisory lock held by the one run_cron process that runs the schedule.
SCHEDULE_LOCK_KEY = name_key("dispatch.scheduler")


class ScheduleError(ValueError):
    """A cron expression that cannot be parsed."""


def _field(text: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _sep, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() else 1
        if (step_text and not step_text.isdigit()) or step < 1:
            raise ScheduleError(f"bad step in {text!r}")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            if not (first.isdigit() and last.isdigit()):
                raise ScheduleError(f"bad range in {text!r}")
            start, end = int(first), int(last)
        elif base.isdigit():
            start = int(base)
            end = high if step_text else start
        else:
            raise ScheduleError(f"bad value in {text!r}")
        if start < low or end > high or start > end:
            raise ScheduleError(f"{text!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Schedule:
    """A parsed five-field cron expression."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str) -> Schedule:
        text = ALIASES.get(expression.strip(), expression.strip())
        fields = text.split()
        if len(fields) != 5:
            raise ScheduleError(f"{expression!r}: expected five fields")
        parsed = [_field(f, low, high) for f, (low, high) in zip(fields, RANGES, strict=True)]
        minutes, hours, days, months, _weekdays = parsed
        return cls(
            expression=expression,
            minutes=minutes,
            hours=hours,
            days=days,
            months=months,
            weekdays=frozenset(d % 7 for d in _weekdays),
            any_day=fields[2] == "*",
            any_weekday=fields[4] == "*",
        )

    def matches(self, moment: datetime) -> bool:
        """True when the minute of ``moment`` (local time) is scheduled."""
        if moment.minute not in self.minutes or moment.hour not in self.hours:
            return False
        if moment.month not in self.months:
            return False
        day_ok = moment.day in self.days
        weekday_ok = (moment.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return day_ok and weekday_ok
        return day_ok or weekday_ok  # cron: either restricted day field may match


@dataclass(frozen=True)
class Job:
    """One CRONJOBS entry."""

    schedule: Schedule
    function: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    @property
    def label(self) -> str:
        if self.function.endswith("call_command") and self.args:
            return str(self.args[0])
        return self.function

    def run(self) -> Any:
        func: Callable[..., Any] = import_string(self.function)
        return func(*self.args, **self.kwargs)


def load_jobs(cronjobs: list[tuple[Any, ...]]) -> list[Job]:
    """Parse django-crontab entries ``(schedule, function[, args[, kwargs[, suffix]]])``."""
    jobs = []
    for entry in cronjobs:
        if len(entry) < 2:
            raise ScheduleError(f"CRONJOBS entry needs a schedule and a function: {entry!r}")
        args = entry[2] if len(entry) > 2 and isinstance(entry[2], list | tuple) else ()
        kwargs = entry[3] if len(entry) > 3 and isinstance(entry[3], dict) else {}
        jobs.append(Job(Schedule.parse(entry[0]), entry[1], tuple(args), dict(kwargs)))
    return jobs


def minutes_between(after: datetime, until: datetime) -> Iterator[datetime]:
    """Each whole minute in ``(after, until]``, at most ``MAX_CATCH_UP`` back."""
    start = max(after, until - MAX_CATCH_UP).replace(second=0, microsecond=0)
    moment = start + timedelta(minutes=1)
    while moment <= until:
        yield moment
        moment += timedelta(minutes=1)


def due_jobs(jobs: list[Job], after: datetime, until: datetime) -> list[Job]:
    """Jobs scheduled in a minute of ``(after, until]``, each at most once, in list order."""
    minutes = list(minutes_between(after, until))
    return [job for job in jobs if any(job.schedule.matches(m) for m in minutes)]


def hold_schedule_lock() -> bool:
    """True when this process may run the schedule.

    On PostgreSQL a session advisory lock makes one ``run_cron`` the runner and any other copy
    (another machine, a second container) a stand-by that takes over when the runner's
    connection goes away. SQLite is one machine: always True.
    """
    return try_session_lock(SCHEDULE_LOCK_KEY)
