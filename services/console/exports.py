"""Exports of what a page shows: Excel (.xlsx, with ``openpyxl``) and CSV, with the page's
Chinese headers. Times are Beijing time (real date cells in Excel, text in CSV); amounts
are numbers from their Decimal strings, never floats rounded on the way; codes sit in
hidden columns."""

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Callable

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from .rendering import BEIJING, beijing

TIME_FORMAT = 'yyyy"年"m"月"d"日" hh:mm'
MONEY_FORMAT = "#,##0.00"


@dataclass(frozen=True)
class Column:
    label: str
    value: Callable[[dict], object]
    time: bool = False
    money: bool = False
    hidden: bool = False


def _moment(value) -> datetime | None:
    if value in (None, ""):
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(BEIJING).replace(tzinfo=None)  # Excel has no time zones


def to_xlsx(title: str, columns: list[Column], rows: list[dict]) -> bytes:
    return to_workbook([(title, columns, rows)])


def to_workbook(sheets: list[tuple[str, list[Column], list[dict]]]) -> bytes:
    """One sheet per (title, columns, rows), in order: a page of several tables (统计)
    exports as one file."""
    book = Workbook()
    book.remove(book.active)
    for title, columns, rows in sheets:
        _fill(book.create_sheet(title[:31]), columns, rows)  # Excel's limit on a sheet's name
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet, columns: list[Column], rows: list[dict]) -> None:
    sheet.append([column.label for column in columns])
    for row in rows:
        cells = []
        for column in columns:
            value = column.value(row)
            if column.time:
                value = _moment(value)
            elif column.money and value not in (None, ""):
                value = Decimal(str(value))
            elif value is not None and not isinstance(value, (int, Decimal)):
                value = str(value)
            cells.append(value)
        sheet.append(cells)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text a person typed, never a formula Excel would run
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 24 if column.time else max(10, len(column.label) * 2 + 4)
        sheet.column_dimensions[letter].hidden = column.hidden
        number_format = TIME_FORMAT if column.time else MONEY_FORMAT if column.money else None
        if number_format:
            for cell in sheet[letter][1:]:
                cell.number_format = number_format
    sheet.freeze_panes = "A2"


def to_csv(columns: list[Column], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.label for column in columns])
    for row in rows:
        writer.writerow([beijing(column.value(row)) if column.time else _plain(column.value(row))
                         for column in columns])
    return out.getvalue()


def _plain(value) -> str:
    text = "" if value is None else str(value)
    # A cell starting like a formula is run by a spreadsheet: quoted as text (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
