"""H1–H2: consumption history of the current and previous month, print,
CSV (Excel-ready) and XLSX exports; never another family's data."""

import csv
import datetime
import io

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from portail.booking.models import Consumption
from tests.helpers import page_text

TODAY = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def parent(client, world):
    with time_machine.travel(TODAY, tick=False):
        client.force_login(world.dupont)
        client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
        yield client


@pytest.fixture
def consumptions(world):
    def add(child, day, present=True, activity=None, **times):
        return Consumption.objects.create(
            child=child, activity=activity or world.aps_a, date=day, present=present, **times
        )

    add(world.paolo, datetime.date(2026, 11, 3), arrival=datetime.time(7, 45), departure=datetime.time(8, 30))
    add(world.amalia, datetime.date(2026, 11, 5), present=False, activity=world.cantine_a)
    add(world.paolo, datetime.date(2026, 10, 12))
    add(world.paolo, datetime.date(2026, 9, 14))  # two months ago: never shown
    add(world.leo, datetime.date(2026, 11, 3))  # another family
    add(world.paolo_b, datetime.date(2026, 11, 4), activity=world.alsh_b)  # same account, other structure


def test_current_month_with_arrow_to_previous(parent, consumptions):
    html = page_text(parent.get(reverse("family:history")))
    assert "Novembre 2026" in html and "mar. 03/11" in html and "jeu. 05/11" in html
    assert "07:45 – 08:30" in html and "Absent" in html
    assert "?mois=2026-10" in html and "Mois suivant" not in html
    assert "Léo" not in html and "mer. 04/11" not in html


def test_previous_month_with_arrow_back(parent, consumptions):
    html = page_text(parent.get(reverse("family:history"), {"mois": "2026-10"}))
    assert "Octobre 2026" in html and "lun. 12/10" in html and "?mois=2026-11" in html
    assert "Mois précédent" not in html


@pytest.mark.parametrize("month", ["2026-09", "2025-11", "2026-12", "n'importe", "2026-13"])
def test_other_months_are_not_reachable(parent, consumptions, month):
    html = page_text(parent.get(reverse("family:history"), {"mois": month}))
    assert "Novembre 2026" in html and "14/09" not in html


def test_csv_opens_in_excel_with_accents(parent, consumptions):
    response = parent.get(reverse("family:history"), {"mois": "2026-11", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Enfant", "Activité", "Jour", "Date", "Présence", "Arrivée", "Départ"]
    assert rows[1] == ["Paolo DUPONT", "APS MATIN", "mar.", "03/11/2026", "Présent", "07:45", "08:30"]
    assert rows[2][4] == "Absent" and len(rows) == 3


def test_xlsx_opens_with_openpyxl(parent, consumptions):
    response = parent.get(reverse("family:history"), {"mois": "2026-10", "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][1] == "Activité" and values[1][:2] == ("Paolo DUPONT", "APS MATIN") and len(values) == 2


def test_history_requires_login(client, db):
    assert client.get(reverse("family:history")).status_code == 302
