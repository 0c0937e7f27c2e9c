"""The monthly report by e-mail and the quarterly archive, on the November data set."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db


def test_last_month_is_mailed_with_its_tables(seed, frozen, settings):
    settings.REPORT_RECIPIENTS = ["boss@desk.example", "sla@operator.example"]
    call_command("send_monthly_report")
    (message,) = mail.outbox
    assert message.to == ["boss@desk.example", "sla@operator.example"]
    assert message.subject == "Отчёт DISPATCH: Ноябрь 2026"
    assert "Открыто: 8" in message.body
    assert "Закрыто вовремя: 3, после срока: 2, доля вовремя: 60,0 %" in message.body
    assert "Среднее время до закрытия: 1 д 01 ч 36 мин; 90-й процентиль: 2 д 11 ч 24 мин" in (
        message.body
    )
    ((name, content, kind),) = message.attachments
    assert name == "statistics-2026-11.xlsx" and kind.endswith("spreadsheetml.sheet")
    totals = [c.value for c in load_workbook(io.BytesIO(content))["Итоги"][2]]
    assert totals[:4] == ["SLA инцидента", 8, 5, 5]


def test_no_recipients_no_mail(seed, frozen, settings):
    settings.REPORT_RECIPIENTS = []
    call_command("send_monthly_report")
    assert mail.outbox == []


def test_the_quarter_is_archived_once(seed, frozen, settings, tmp_path):
    settings.REPORT_ARCHIVE_DIR = tmp_path / "reports"
    call_command("archive_quarter", "--quarter", "2026-q4")
    path = tmp_path / "reports" / "2026-Q4.xlsx"
    book = load_workbook(path)
    assert book.sheetnames[0] == "Итоги" and book.sheetnames[-1] == "Инциденты"
    subjects = [r[1] for r in book["Инциденты"].iter_rows(min_row=2, values_only=True)]
    assert subjects == [
        "Авария L",
        "Авария A",
        "Авария B",
        "Авария E",
        "Авария D",
        "Авария I",
        "Авария F",
        "Авария G",
        "Авария H",
        "Авария C",
        "Авария K",
    ]
    before = path.stat().st_mtime_ns
    call_command("archive_quarter", "--quarter", "2026-Q4")
    assert path.stat().st_mtime_ns == before  # kept
    call_command("archive_quarter")  # the last whole quarter: Q3, with J only
    rows = list(load_workbook(tmp_path / "reports" / "2026-Q3.xlsx")["Инциденты"].values)
    assert [r[1] for r in rows[1:]] == ["Авария J"]
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "2026-Q3.xlsx",
        "2026-Q4.xlsx",
    ]  # no partial files left


def test_a_bad_quarter_is_refused(db):
    with pytest.raises(CommandError, match="2026-Q3"):
        call_command("archive_quarter", "--quarter", "2026-Q5")
