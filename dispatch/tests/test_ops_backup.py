"""backup_db / restore_db: a round trip restores the data; rotation keeps recent backups."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from dispatch.backup import BackupError, backup_database, restore_database, rotate_backups
from dispatch.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db(transaction=True)


def _names() -> list[str]:
    return sorted(WorkerHeartbeat.objects.values_list("name", flat=True))


def _round_trip(tmp_path: Path, suffix: str) -> None:
    WorkerHeartbeat.objects.create(name="kept-1")
    WorkerHeartbeat.objects.create(name="kept-2")
    call_command("backup_db", dir=tmp_path)
    [backup] = list(tmp_path.iterdir())
    assert backup.suffix == suffix
    assert not list(tmp_path.glob("*.partial"))

    WorkerHeartbeat.objects.filter(name="kept-1").delete()
    WorkerHeartbeat.objects.create(name="added-after-backup")
    call_command("restore_db", str(backup), yes=True)

    assert _names() == ["kept-1", "kept-2"]


@pytest.mark.postgres
def test_postgres_round_trip_with_pg_dump_custom_format(tmp_path):
    assert connection.vendor == "postgresql"
    _round_trip(tmp_path, ".dump")
    header = next(tmp_path.iterdir()).read_bytes()[:5]
    assert header == b"PGDMP"  # pg_dump custom format


def test_sqlite_round_trip_with_the_backup_api(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite pass only")
    _round_trip(tmp_path, ".sqlite3")


def test_restore_needs_confirmation_and_a_valid_file(tmp_path):
    WorkerHeartbeat.objects.create(name="untouched")
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore_db", str(tmp_path / "x.dump"))
    with pytest.raises(CommandError, match="not found"):
        call_command("restore_db", str(tmp_path / "missing.dump"), yes=True)
    garbage = tmp_path / "garbage.dump"
    garbage.write_bytes(b"not a backup at all")
    with pytest.raises(BackupError):
        restore_database(garbage)
    assert _names() == ["untouched"]


def test_rotation_removes_old_backups_but_keeps_the_newest(tmp_path):
    now = timezone.now()
    for days_ago in (1, 8, 30):
        stamp = timezone.localtime(now - timedelta(days=days_ago)).strftime("%Y%m%d-%H%M%S")
        (tmp_path / f"dispatch_db_{stamp}.dump").write_bytes(b"x")
    (tmp_path / "unrelated.txt").write_text("keep me")
    removed = rotate_backups(tmp_path, keep_days=7, now=now)
    assert len(removed) == 2
    assert sorted(p.name for p in tmp_path.iterdir())[1] == "unrelated.txt"
    # Even when every backup is old, the newest one stays.
    assert rotate_backups(tmp_path, keep_days=0, now=now + timedelta(days=365)) == []


def test_backup_file_names_sort_by_time(tmp_path):
    first = backup_database(tmp_path, now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    second = backup_database(tmp_path, now=datetime(2026, 1, 3, 3, 4, 5, tzinfo=UTC))
    assert sorted(os.listdir(tmp_path)) == [first.name, second.name]
