"""Exports: the queue's current filter and the statistics tables as CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from users.models import User

pytestmark = pytest.mark.django_db
NOVEMBER = {"period": "month", "date": "2026-11-17"}


@pytest.fixture(autouse=True)
def logged_in(seed, frozen, client):
    client.force_login(User.objects.get(email="anna@dispatch.example"))


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def workbook(response):
    return load_workbook(io.BytesIO(body(response)))


def test_statistics_xlsx_is_typed_with_a_frozen_header_and_a_filter(client, seed):
    response = client.get("/reports/export/statistics.xlsx", NOVEMBER)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="statistics-20261203-1200.xlsx"' in response["Content-Disposition"]
    book = workbook(response)
    assert book.sheetnames == [
        "Итоги",
        "По подрядчикам",
        "По диспетчерам",
        "По типам инцидентов",
        "По дням",
        "По часам",
    ]
    totals = book["Итоги"]
    assert totals.freeze_panes == "A2"
    assert totals.auto_filter.ref == "A1:N2"
    header = [c.value for c in totals[1]]
    assert header[:4] == ["Вид SLA", "Открыто", "Закрыто", "Открытые"]
    row = list(totals[2])
    assert [c.value for c in row[:10]] == ["SLA инцидента", 8, 5, 5, 2, 2, 3, 1, 1, 0.6]
    assert row[9].number_format == "0.0%"
    assert row[10].value == timedelta(hours=25.6)  # the mean, a duration cell
    assert row[11].value == timedelta(hours=59.4)
    assert row[12].value == datetime(2026, 11, 1) and row[12].number_format == "DD.MM.YYYY"
    contractors = [[c.value for c in r] for r in book["По подрядчикам"].iter_rows(min_row=2)]
    assert [r[:4] for r in contractors] == [
        ["АВР Север", 3, 3, 1],
        ["АВР Юг", 3, 2, 1],
        ["без подрядчика", 2, 0, 3],
    ]
    days = book["По дням"]
    assert days.max_row == 31 and days["B2"].value == 1 and days["C2"].value == 2


def test_statistics_csv_has_a_bom_and_semicolons(client, seed):
    response = client.get(
        "/reports/export/statistics.csv", {**NOVEMBER, "contractor": seed.north.pk}
    )
    assert response.streaming
    data = body(response)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Итоги"]
    assert rows[2][:7] == ["SLA инцидента", "3", "3", "1", "0", "1", "2"]
    assert rows[2][9] == "66,7"  # share on time, per cent with a decimal comma
    assert rows[2][10] == "24:50"  # mean of 2.5, 5 and 67 h


def test_queue_export_follows_the_queue_filter(client, seed):
    query = {"scope": "finished", "sort": "incident_date", "type": seed.calendar.pk}
    book = workbook(client.get("/reports/export/incidents.xlsx", query))
    sheet = book.active
    assert sheet.title == "Инциденты"
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    # Finished calendar-clock incidents, oldest first: J, A, B, F, C.
    assert [r[1] for r in rows] == ["Авария J", "Авария A", "Авария B", "Авария F", "Авария C"]
    a = rows[1]
    assert a[2] == "Закрыт" and a[3] == "Закрыт вовремя"
    assert a[5] == datetime(2026, 10, 31, 23, 30)  # local (Moscow) time, typed
    assert a[7] == timedelta(hours=2, minutes=30)
    assert (a[9], a[12], a[13]) == ("77-0001", "АВР Север", "anna@dispatch.example")
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:O6"
    csv_rows = body(client.get("/reports/export/incidents.csv", query)).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(csv_rows), delimiter=";"))
    assert len(lines) == 6
    assert lines[2][5] == "31.10.2026 23:30:00" and lines[2][7] == "2:30"


def test_default_queue_export_is_the_open_queue(client, seed):
    lines = body(client.get("/reports/export/incidents.csv")).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 5  # G, H, I, K, L


def test_unknown_format_is_a_404(client, seed):
    assert client.get("/reports/export/incidents.pdf").status_code == 404
    assert client.get("/reports/export/statistics.json").status_code == 404
