"""The one CSV writer for Excel in French and the guard every exported cell
goes through (portail/lib/spreadsheets.py, issue 13 point 2): the family's
history, the staff's fill rates and the import's model file all use it."""

import csv
import datetime
import io

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from portail.booking.models import Consumption
from portail.lib.spreadsheets import excel_csv, safe_cell
from portail.structures import importer
from tests import factories as f


def read(text):
    assert text.startswith("\ufeff")  # Excel in French reads UTF-8 only with a byte-order mark
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def test_csv_for_excel_in_french():
    text = excel_csv(["Nom", "Places"], [["Léo ÉLÈVE", 12], ["Zoé; « guillemets »", None]])
    assert "\r\n" in text and ";" in text.splitlines()[0]
    assert read(text) == [["Nom", "Places"], ["Léo ÉLÈVE", "12"], ["Zoé; « guillemets »", ""]]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\x00=", "\u202e="])
def test_a_cell_never_starts_a_formula(start):
    cell = safe_cell(start + 'HYPERLINK("http://evil.example/")')
    assert cell.startswith("'") and "HYPERLINK" in cell
    assert read(excel_csv(["x"], [[start + "1+1"]]))[1][0].startswith("'")


@pytest.mark.parametrize("control", ["\n", "\r\n", "\x00", "\x1b", "\x85", "\u202e", "\u2066"])
def test_control_and_direction_characters_leave_the_cell(control):
    cell = safe_cell(f"DUPONT{control}Jean")
    assert cell.replace(" ", "") == "DUPONTJean"
    assert len(read(excel_csv(["Nom"], [[f"DUPONT{control}Jean"]]))) == 2  # one row, not split


def test_numbers_and_plain_text_are_left_as_they_are():
    assert safe_cell(-3) == -3 and safe_cell(None) is None
    assert safe_cell("Jean-Paul DUPONT") == "Jean-Paul DUPONT"


def test_history_exports_strip_a_direction_override_from_names(client, world):
    """The family's exports go through the same guard as every other: a
    right-to-left override stored in a name (before issue 12's validators)
    does not reach the spreadsheet, in CSV or XLSX."""
    type(world.leo).objects.filter(pk=world.leo.pk).update(first_name="Léo\u202eexe.txt")
    f.EnrolmentFactory(child=world.leo, activity=world.aps_a)
    Consumption.objects.create(child=world.leo, activity=world.aps_a, date=datetime.date(2026, 11, 20))
    client.force_login(world.martin)
    for export in ("csv", "xlsx"):
        with time_machine.travel(datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC), tick=False):
            response = client.get(reverse("family:history"), {"format": export, "mois": "2026-11"})
        assert response.status_code == 200
        if export == "csv":
            cells = [c for row in read(response.content.decode("utf-8")) for c in row]
        else:
            sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
            cells = [str(c.value) for row in sheet.iter_rows() for c in row]
        assert any("Léo" in c for c in cells)
        assert not any("\u202e" in c for c in cells), export


def test_import_model_file_is_the_same_csv():
    data = importer.example_csv()
    assert data.startswith("\ufeff".encode())
    rows = read(data.decode("utf-8"))
    assert rows[0] == importer.COLUMN_NAMES and len(rows) > 1
