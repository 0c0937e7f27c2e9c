"""Tables to CSV and XLSX in bounded memory.

CSV: UTF-8 with a BOM, ``;``-separated (what Excel expects in a Russian locale), decimal
commas, local times; produced chunk by chunk for a streaming response. XLSX: openpyxl's
write-only mode (rows go straight to a temporary file, strings inline), typed cells — local
date-times and durations with Excel number formats, integers, shares as percentages — a frozen
header row and an autofilter; the finished file is sent from disk in chunks.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

BOM = "\ufeff"
CSV_CHUNK_ROWS = 1000
TEXT, INT, DATE, DATETIME, DURATION, PERCENT = (
    "text",
    "int",
    "date",
    "datetime",
    "duration",
    "percent",
)
XLSX_FORMATS = {
    DATE: "DD.MM.YYYY",
    DATETIME: "DD.MM.YYYY HH:MM",
    DURATION: "[h]:mm",
    PERCENT: "0.0%",
}
XLSX_WIDTHS = {TEXT: 28, INT: 11, DATE: 12, DATETIME: 17, DURATION: 12, PERCENT: 11}


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = TEXT


@dataclass(frozen=True)
class Table:
    name: str  # sheet name / CSV section title
    columns: list[Column]
    rows: Iterable[tuple]


def local(value: datetime | None) -> datetime | None:
    """An aware date-time as naive local time (spreadsheets have no time zones)."""
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None, microsecond=0)


def _csv_value(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == DATETIME:
        return local(value).strftime("%d.%m.%Y %H:%M:%S")
    if kind == DATE:
        return value.strftime("%d.%m.%Y")
    if kind == DURATION:
        minutes = round(value.total_seconds() / 60)
        return f"{minutes // 60}:{minutes % 60:02d}"
    if kind == PERCENT:
        return f"{value * 100:.1f}".replace(".", ",")
    return str(value)


def csv_chunks(tables: list[Table]) -> Iterator[bytes]:
    """The tables as CSV bytes (a BOM first; several tables: a title row before each, a blank
    row between them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write(BOM)

    def drain() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data

    for number, table in enumerate(tables):
        if len(tables) > 1:
            if number:
                writer.writerow([])
            writer.writerow([table.name])
        writer.writerow([c.title for c in table.columns])
        kinds = [c.kind for c in table.columns]
        for count, row in enumerate(table.rows, 1):
            writer.writerow([_csv_value(v, k) for v, k in zip(row, kinds, strict=True)])
            if count % CSV_CHUNK_ROWS == 0:
                yield drain()
        yield drain()


def write_xlsx(tables: list[Table], out: BinaryIO) -> None:
    """The tables as an XLSX workbook (one sheet each) written to ``out``."""
    workbook = Workbook(write_only=True)
    for table in tables:
        sheet = workbook.create_sheet(title=_sheet_title(table.name))
        sheet.freeze_panes = "A2"
        for index, column in enumerate(table.columns, 1):
            sheet.column_dimensions[get_column_letter(index)].width = XLSX_WIDTHS[column.kind]
        bold = Font(bold=True)
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(sheet, value=column.title)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        typed = [
            (index, XLSX_FORMATS[c.kind])
            for index, c in enumerate(table.columns)
            if c.kind in XLSX_FORMATS
        ]
        datetimes = {i for i, c in enumerate(table.columns) if c.kind == DATETIME}
        count = 0
        for row in table.rows:
            values: list[Any] = list(row)
            for index, number_format in typed:
                value = values[index]
                if value is None:
                    continue
                if index in datetimes:
                    value = local(value)
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = number_format
                values[index] = cell
            sheet.append(values)
            count += 1
        last = get_column_letter(len(table.columns))
        sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    workbook.save(out)


def xlsx_file(tables: list[Table]) -> BinaryIO:
    """The workbook in a temporary file (deleted when closed), positioned at its start."""
    out = tempfile.TemporaryFile(prefix="dispatch-export-")  # noqa: SIM115 - the response closes it
    write_xlsx(tables, out)
    out.seek(0)
    return out


def _sheet_title(name: str) -> str:
    """Excel sheet names: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)
    return cleaned[:31] or "Sheet"
