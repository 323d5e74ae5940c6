"""The family's consumption history (H1–H2): the current month and the
previous one only, and its exports (CSV for Excel, XLSX)."""

import datetime
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.translation import gettext, gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from portail.booking.models import Consumption
from portail.booking.states import month_bounds
from portail.lib.dates import WEEKDAY_ABBR
from portail.lib.downloads import ascii_slug
from portail.lib.spreadsheets import excel_csv, safe_row
from portail.structures.models import Family

COLUMNS = [
    gettext_lazy("Enfant"), gettext_lazy("Activité"), gettext_lazy("Jour"), gettext_lazy("Date"),
    gettext_lazy("Présence"), gettext_lazy("Arrivée"), gettext_lazy("Départ"),
]  # fmt: skip


def columns() -> list[str]:
    """The export's header in the active language (plain str: openpyxl takes no lazy text)."""
    return [str(c) for c in COLUMNS]


def allowed_months(today: datetime.date) -> tuple[tuple[int, int], tuple[int, int]]:
    """(previous, current) as (year, month) tuples."""
    previous = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return previous, (today.year, today.month)


def family_consumptions(family: Family, year: int, month: int) -> list[Consumption]:
    first, last = month_bounds(year, month)
    return list(
        Consumption.objects.filter(child__family=family, date__range=(first, last))
        .select_related("child", "activity")
        .order_by("date", "child__first_name", "activity__name")
    )


def export_filename(name: str, year: int, month: int, extension: str) -> str:
    """A file name for a family's export: ASCII letters, digits and dashes only,
    so that no quote, line break or accent of a name reaches the
    Content-Disposition header ("historique-dupont-2026-11.csv")."""
    return f"historique-{ascii_slug(name, 40) or 'famille'}-{year:04d}-{month:02d}.{extension}"


def rows(consumptions: Iterable[Consumption]) -> Iterator[list[Any]]:
    """The export's rows, every cell safe for a spreadsheet (no formula, no
    control character: names come from staff entries and imported files)."""
    for row in _rows(consumptions):
        yield safe_row(row)


def _rows(consumptions: Iterable[Consumption]) -> Iterator[list[str]]:
    for c in consumptions:
        yield [
            f"{c.child.first_name} {c.child.last_name.upper()}",
            c.activity.name,
            str(WEEKDAY_ABBR[c.date.weekday()]),
            c.date.strftime("%d/%m/%Y"),
            gettext("Présent") if c.present else gettext("Absent"),
            c.arrival.strftime("%H:%M") if c.arrival else "",
            c.departure.strftime("%H:%M") if c.departure else "",
        ]


def to_csv(consumptions: Iterable[Consumption]) -> str:
    """UTF-8 with a BOM and ';' separators: Excel in French opens it right."""
    return excel_csv(columns(), _rows(consumptions))


def to_xlsx(consumptions: Iterable[Consumption], title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook has one worksheet, active
    sheet.title = title[:31]
    sheet.append(columns())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows(consumptions):
        sheet.append(row)
    for column, width in zip("ABCDEFG", (24, 20, 6, 12, 10, 8, 8), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
