"""Default types and statuses load once and only once."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from incidents.defaults import DefaultsError, load_defaults
from incidents.models import IncidentStatus, IncidentType, StatusKey

pytestmark = pytest.mark.django_db


def test_load_defaults_creates_types_with_sla_and_all_statuses():
    result = load_defaults()
    assert result.types_created == 7
    assert result.statuses_created == len(StatusKey)
    threat = IncidentType.objects.get(name="Угроза гибели / гибель объекта")
    assert threat.sla_minutes == 240
    assert IncidentStatus.objects.get(key=StatusKey.NEW).name == "Новый"
    assert IncidentStatus.objects.get(key=StatusKey.CLOSED).is_final


def test_load_defaults_is_idempotent_and_keeps_admin_edits():
    load_defaults()
    IncidentType.objects.filter(name="Авария ВОЛС").update(sla_minutes=999)
    second = load_defaults()
    assert (second.types_created, second.statuses_created) == (0, 0)
    assert IncidentType.objects.count() == 7
    assert IncidentStatus.objects.count() == len(StatusKey)
    assert IncidentType.objects.get(name="Авария ВОЛС").sla_minutes == 999


def test_load_defaults_restores_a_deleted_shipped_template_and_keeps_edited_ones():
    from emails.outbox.models import MailTemplate
    from incidents.mail_defaults import SHIPPED

    MailTemplate.objects.filter(key=SHIPPED[0].key).delete()
    MailTemplate.objects.filter(key=SHIPPED[1].key).update(body="Отредактировано админом")
    assert load_defaults().templates_created == 1
    assert MailTemplate.objects.filter(key__in=[s.key for s in SHIPPED]).count() == len(SHIPPED)
    assert MailTemplate.objects.get(key=SHIPPED[1].key).body == "Отредактировано админом"
    assert load_defaults().templates_created == 0


def test_command_reports_counts(capsys):
    call_command("load_defaults")
    call_command("load_defaults")
    assert "types created: 0, statuses created: 0" in capsys.readouterr().out


def test_bad_sla_in_csv_is_refused_and_writes_nothing(tmp_path: Path):
    (tmp_path / "types.csv").write_text("name,description,sla_deadline\nA,d,10\nB,d,-5\n")
    (tmp_path / "statuses.csv").write_text("name,description\nНовый,x\n")
    with pytest.raises(DefaultsError, match="positive integer"):
        load_defaults(tmp_path)
    assert not IncidentType.objects.exists()


def test_sla_minutes_must_be_positive_in_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        IncidentType.objects.create(name="zero", sla_minutes=0)


def test_a_worker_on_a_migrated_but_uninitialised_database_says_what_to_run(tmp_path):
    """The operator migrates by hand and starts the mail worker: a clear error naming
    init_dispatch, nothing stored half-way; after init_dispatch the same mail is ingested."""
    from dispatch.tests.test_settings import run_manage

    env = {"DEBUG": "true", "DATA_DIR": str(tmp_path)}
    assert run_manage("migrate", **env).returncode == 0
    failed = run_manage("ingest_mail", "--once", **env)
    assert failed.returncode != 0
    assert "Run `python manage.py init_dispatch`" in failed.stderr
    assert "incident status 'new' is missing" in failed.stderr
    assert run_manage("init_dispatch", **env).returncode == 0
    done = run_manage("ingest_mail", "--once", **env)
    assert done.returncode == 0, done.stderr
    inbox = re.search(r"INBOX: fetched=(\d+) stored=(\d+) .* quarantined=(\d+);", done.stdout)
    assert inbox is not None, done.stdout
    fetched, stored, quarantined = map(int, inbox.groups())
    assert fetched == stored > 0
    assert quarantined == 0
