"""Files for spreadsheets, written once: the CSV that Excel in French opens
right (family history, staff fill rates, the import's model file) and the
guard every exported cell goes through (CSV and XLSX alike)."""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from portail.lib.validators import strip_control_characters

# A cell starting with one of these is run as a formula by spreadsheets (OWASP
# "CSV injection"): names come from staff entries and imported files. openpyxl
# also writes a string starting with "=" as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Excel in French reads ";" as the separator (its "," is the decimal comma) and
# takes a file as UTF-8 only when it starts with a byte-order mark; without one
# it reads cp1252 and accents come out wrong.
DELIMITER = ";"
BOM = "\ufeff"


def safe_cell(value: Any) -> Any:
    """`value` as a spreadsheet shows it as text: a string without control
    characters (line breaks split a CSV row for some readers, openpyxl refuses
    most of them), prefixed with an apostrophe when it would start a formula.
    Numbers and None are left as they are."""
    if not isinstance(value, str):
        return value
    text = strip_control_characters(value)
    # Checked before and after stripping: "\x00=1+1" must not become a formula.
    if value.startswith(FORMULA_STARTS) or text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def safe_row(row: Iterable[Any]) -> list[Any]:
    """Every cell of `row` through `safe_cell`."""
    return [safe_cell(value) for value in row]


def excel_csv(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> str:
    """A CSV as Excel in French opens it: ";" separators, CRLF line ends, a
    byte-order mark first (encode the result as UTF-8), every cell through
    `safe_cell`. None is written as an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow(safe_row(header))
    writer.writerows(safe_row(row) for row in rows)
    return BOM + buffer.getvalue()
