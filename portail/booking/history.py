"""The family's consumption history (H1–H2): the current month and the
previous one only, and its exports (CSV for Excel, XLSX)."""

import csv
import io
import re
import unicodedata

from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.styles import Font

from portail.booking.models import Consumption
from portail.booking.states import month_bounds
from portail.lib.dates import WEEKDAY_ABBR

COLUMNS = ["Enfant", "Activité", "Jour", "Date", "Présence", "Arrivée", "Départ"]


def allowed_months(today):
    """(previous, current) as (year, month) tuples."""
    previous = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return previous, (today.year, today.month)


def family_consumptions(family, year, month):
    first, last = month_bounds(year, month)
    return list(
        Consumption.objects.filter(child__family=family, date__range=(first, last))
        .select_related("child", "activity")
        .order_by("date", "child__first_name", "activity__name")
    )


# A cell starting with one of these is run as a formula by spreadsheets ("CSV
# injection"): names come from staff entries and imported files.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# Control characters (line breaks, NUL, escapes...) have no place in a cell:
# openpyxl refuses most of them (a 500 before issue 12) and a line break in a
# CSV cell splits a row for some readers. A name never needs them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _cell(value):
    prefix = "'" if value.startswith(FORMULA_STARTS) else ""
    return prefix + _CONTROL.sub(" ", value)


def export_filename(name, year, month, extension):
    """A file name for a family's export: ASCII letters, digits and dashes only,
    so that no quote, line break or accent of a name reaches the
    Content-Disposition header ("historique-dupont-2026-11.csv")."""
    slug = slugify(unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode())[:40].strip("-")
    return f"historique-{slug or 'famille'}-{year:04d}-{month:02d}.{extension}"


def rows(consumptions):
    for row in _rows(consumptions):
        yield [_cell(value) for value in row]


def _rows(consumptions):
    for c in consumptions:
        yield [
            f"{c.child.first_name} {c.child.last_name.upper()}",
            c.activity.name,
            WEEKDAY_ABBR[c.date.weekday()],
            c.date.strftime("%d/%m/%Y"),
            "Présent" if c.present else "Absent",
            c.arrival.strftime("%H:%M") if c.arrival else "",
            c.departure.strftime("%H:%M") if c.departure else "",
        ]


def to_csv(consumptions):
    """UTF-8 with a BOM and ';' separators: Excel in French opens it right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(consumptions))
    return "\ufeff" + buffer.getvalue()


def to_xlsx(consumptions, title):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows(consumptions):
        sheet.append(row)
    for column, width in zip("ABCDEFG", (24, 20, 6, 12, 10, 8, 8), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
