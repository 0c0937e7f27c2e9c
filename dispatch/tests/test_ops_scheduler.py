"""Scheduled jobs: CRONJOBS schedules parsed like cron and run by the run_cron worker."""

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from dispatch.management.commands.run_cron import Command as RunCron
from dispatch.management.commands.run_cron import ScheduledJobsFailed
from dispatch.models import WorkerHeartbeat
from dispatch.scheduler import Schedule, ScheduleError, due_jobs, load_jobs
from dispatch.tests.ops_support import wait_for

CALLS: list[str] = []


def record_call(name: str) -> None:
    CALLS.append(name)


def explode() -> None:
    raise RuntimeError("job failed")


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("expression", "moment", "expected"),
    [
        ("0 20 * * *", "2026-11-25 20:00", True),
        ("0 20 * * *", "2026-11-25 20:01", False),
        ("0 1,10 * * *", "2026-11-25 10:00", True),
        ("*/15 * * * *", "2026-11-25 07:45", True),
        ("*/15 * * * *", "2026-11-25 07:46", False),
        ("30 9-18/3 * * *", "2026-11-25 15:30", True),
        ("30 9-18/3 * * *", "2026-11-25 16:30", False),
        ("0 0 * * 0", "2026-11-29 00:00", True),  # Sunday
        ("0 0 * * 7", "2026-11-29 00:00", True),  # 7 is Sunday too
        ("0 0 1 * 1", "2026-11-30 00:00", True),  # day-of-month OR weekday (Monday)
        ("0 0 1 * 1", "2026-11-25 00:00", False),
        ("@daily", "2026-11-25 00:00", True),
    ],
)
def test_schedule_matches_like_cron(expression, moment, expected):
    assert Schedule.parse(expression).matches(at(moment)) is expected


@pytest.mark.parametrize("expression", ["", "* * * *", "61 * * * *", "*/0 * * * *", "a * * * *"])
def test_bad_schedules_are_refused(expression):
    with pytest.raises(ScheduleError):
        Schedule.parse(expression)


def test_due_jobs_run_once_per_passed_minute_and_not_for_long_gaps():
    jobs = load_jobs(
        [
            ("0 20 * * *", "django.core.management.call_command", ["import_towerstore"]),
            ("* * * * *", "dispatch.tests.test_ops_scheduler.record_call", ["tick"]),
        ]
    )
    assert [j.label for j in due_jobs(jobs, at("2026-11-25 19:59"), at("2026-11-25 20:00"))] == [
        "import_towerstore",
        "dispatch.tests.test_ops_scheduler.record_call",
    ]
    assert due_jobs(jobs, at("2026-11-25 20:00"), at("2026-11-25 20:00")) == []
    # A worker that was down for a day does not make up yesterday's runs.
    assert len(due_jobs(jobs[:1], at("2026-11-24 19:00"), at("2026-11-25 19:30"))) == 0


@pytest.mark.django_db
def test_run_cron_runs_due_jobs_and_reports_failures(settings):
    settings.CRONJOBS = [
        ("* * * * *", "dispatch.tests.test_ops_scheduler.record_call", ["backup"]),
        ("* * * * *", "dispatch.tests.test_ops_scheduler.explode"),
        ("* * * * *", "dispatch.tests.test_ops_scheduler.record_call", ["cleanup"]),
    ]
    CALLS.clear()
    command = RunCron()
    command.setup()
    command.checked_until = timezone.localtime() - timedelta(minutes=1)
    with pytest.raises(ScheduledJobsFailed, match="explode"):
        command.run_cycle()
    assert CALLS == ["backup", "cleanup"]  # one failing job does not stop the others
    assert command.run_cycle() == "ran 0 job(s)"  # nothing is due twice in the same minute


@pytest.mark.django_db
def test_run_cron_once_records_a_heartbeat(settings):
    settings.CRONJOBS = [("0 3 * * *", "dispatch.tests.test_ops_scheduler.record_call", ["x"])]
    call_command("run_cron", once=True)
    assert WorkerHeartbeat.objects.get(name="run_cron").last_success_at is not None


def test_default_cronjobs_are_valid_and_name_the_housekeeping_commands(settings):
    labels = [job.label for job in load_jobs(settings.CRONJOBS)]
    assert labels == [
        "import_towerstore",
        "backup_db",
        "cleanup_attachments",
        "purge_rate_counters",
        "send_monthly_report",
        "archive_quarter",
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_only_one_run_cron_runs_the_schedule_on_postgres(settings):
    import psycopg
    from django.db import connection

    from dispatch.scheduler import SCHEDULE_LOCK_KEY

    settings.CRONJOBS = [("* * * * *", "dispatch.tests.test_ops_scheduler.record_call", ["job"])]
    params = connection.get_connection_params()
    other = psycopg.connect(
        host=params["host"], port=params["port"], user=params["user"], dbname=params["dbname"]
    )
    with connection.cursor() as cursor:  # earlier tests in this session may hold it
        cursor.execute("SELECT pg_advisory_unlock_all()")
    try:
        taken = other.execute("SELECT pg_try_advisory_lock(%s)", [SCHEDULE_LOCK_KEY]).fetchone()
        assert taken == (True,)
        CALLS.clear()
        command = RunCron()
        command.setup()
        command.checked_until = timezone.localtime() - timedelta(minutes=1)
        assert command.run_cycle().startswith("stand-by")
        assert CALLS == []
    finally:
        other.close()  # the runner goes away: this copy takes over

    def takes_over() -> bool:
        command.checked_until = timezone.localtime() - timedelta(minutes=1)
        return command.run_cycle() == "ran 1 job(s)"

    wait_for(takes_over, 10, "the stand-by to take over", step=0.1)  # the server frees it
    assert CALLS == ["job"]
