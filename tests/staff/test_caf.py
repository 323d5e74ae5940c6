"""The CAF figures (issue 18 point 10): hours actually attended per child, by
activity and age band (under 6 / 6 and over, age on the day), days for leisure
centres, as a table, CSV and XLSX — checked against figures computed by hand
for a small fixed world, then the exports against the table, the scoping, the
refusals and both languages.

The fixed world: structure A (Mairie de CarteVille), the week of Monday 2 to
Friday 6 November 2026 (the clock is on 26 November: every day is past).

- APS SOIR, with times, activity hours 16:30-18:30 (120 minutes);
- ALSH VACANCES, without times, declared range 08:00-18:00 (600 minutes a day);
- RESTAURATION (the world's), without times nor range: days only.

Children: Paolo (born 02/05/2017, 9: "6 and over"), Emma (born 04/11/2020:
5 until Tuesday 3, 6 from her birthday, Wednesday 4), Nina (born 10/03/2022, 4).
"""

import csv
import datetime
import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from portail.booking.models import BookingStatus, Consumption
from portail.staff import caf
from tests import factories as f
from tests.helpers import make_booking
from tests.staff.conftest import visible_text

URL = reverse("staff:caf")
NOVEMBER = {"du": "2026-11-01", "au": "2026-11-30"}
MON, TUE, WED, THU, FRI = (datetime.date(2026, 11, d) for d in range(2, 7))


def t(text):
    return datetime.time.fromisoformat(text) if text else None


def present(child, activity, day, arrival="", departure=""):
    return Consumption.objects.create(
        child=child, activity=activity, date=day, present=True, arrival=t(arrival), departure=t(departure)
    )


def booked(child, activity, day, arrival="", departure=""):
    return make_booking(
        child=child, activity=activity, date=day, status=BookingStatus.ACCEPTED, arrival=t(arrival),
        departure=t(departure),
    )  # fmt: skip


@pytest.fixture
def caf_world(world):
    w = world
    w.aps = f.ActivityFactory(
        structure=w.a, name="APS SOIR", code="APSS", has_times=True,
        earliest_time=t("16:30"), latest_time=t("18:30"), time_step_minutes=5,
    )  # fmt: skip
    w.alsh = f.ActivityFactory(
        structure=w.a, name="ALSH VACANCES", code="ALSHV", earliest_time=t("08:00"), latest_time=t("18:00")
    )
    w.emma = f.ChildFactory(
        family=w.family_a, first_name="Emma", last_name="DUPONT", birth_date=datetime.date(2020, 11, 4)
    )
    w.nina = f.ChildFactory(
        family=w.martin_a, first_name="Nina", last_name="MARTIN", birth_date=datetime.date(2022, 3, 10)
    )

    # APS SOIR
    # Paolo: Mon the roll call's 16:30-18:00 = 90 (his booking's 16:30-18:30 is not used);
    # Tue 16:45-18:30 = 105; Wed present without times, booked 16:30-17:15 = 45;
    # Thu absent (booked: recorded, so not "not marked"); Fri times entered backwards
    # (18:00 -> 17:00) and no booking: the activity's hours, 120.
    booked(w.paolo, w.aps, MON, "16:30", "18:30")
    present(w.paolo, w.aps, MON, "16:30", "18:00")
    present(w.paolo, w.aps, TUE, "16:45", "18:30")
    booked(w.paolo, w.aps, WED, "16:30", "17:15")
    present(w.paolo, w.aps, WED)
    booked(w.paolo, w.aps, THU, "16:30", "18:30")
    Consumption.objects.create(child=w.paolo, activity=w.aps, date=THU, present=False)
    present(w.paolo, w.aps, FRI, "18:00", "17:00")
    # Emma: Mon (5) 16:30-17:35 = 65; Tue booked and never marked (not counted);
    # Wed, her 6th birthday, 17:00-18:10 = 70; Thu (6) 16:30-16:55 = 25.
    present(w.emma, w.aps, MON, "16:30", "17:35")
    booked(w.emma, w.aps, TUE, "16:30", "18:30")
    present(w.emma, w.aps, WED, "17:00", "18:10")
    present(w.emma, w.aps, THU, "16:30", "16:55")
    # Nina: Mon 16:30-17:35 = 65.
    present(w.nina, w.aps, MON, "16:30", "17:35")
    # A booking of Monday 30, after "today": not yet to mark, never "not marked".
    booked(w.paolo, w.aps, datetime.date(2026, 11, 30), "16:30", "18:30")

    # ALSH VACANCES: whole days, 600 minutes each.
    for day in (MON, TUE, WED):
        present(w.emma, w.alsh, day)  # Mon, Tue under 6; Wed 6
    for day in (MON, TUE, WED, THU, FRI):
        present(w.nina, w.alsh, day)
    present(w.paolo, w.alsh, THU)
    Consumption.objects.create(child=w.paolo, activity=w.alsh, date=FRI, present=False)

    # RESTAURATION: days only.
    present(w.paolo, w.cantine_a, MON)
    present(w.paolo, w.cantine_a, TUE)

    # Structure B, the same week: never in A's figures.
    present(w.paolo_b, w.alsh_b, WED)
    # October and December: outside the period.
    present(w.nina, w.alsh, datetime.date(2026, 10, 30))
    present(w.nina, w.alsh, datetime.date(2026, 12, 1))
    return w


# The table, computed by hand: (activity, child, birth date, then days and hours
# under 6, 6 and over, total). Hours are minutes / 60, rounded to two decimals.
EXPECTED = [
    # ALSH VACANCES: Emma under 6 Mon+Tue = 2 x 600 = 1200 min = 20.00 h; 6+ Wed = 600 = 10.00 h.
    ["ALSH VACANCES", "DUPONT Emma", "04/11/2020", 2, "20,00", 1, "10,00", 3, "30,00"],
    # Paolo: Thu only (Fri absent): 600 = 10.00 h.
    ["ALSH VACANCES", "DUPONT Paolo", "02/05/2017", 0, "0,00", 1, "10,00", 1, "10,00"],
    # Nina: 5 days x 600 = 3000 min = 50.00 h.
    ["ALSH VACANCES", "MARTIN Nina", "10/03/2022", 5, "50,00", 0, "0,00", 5, "50,00"],
    # Under 6: 1200 + 3000 = 4200 = 70.00; 6+: 600 + 600 = 1200 = 20.00; total 5400 = 90.00.
    ["ALSH VACANCES", "Total de l'activité", "", 7, "70,00", 2, "20,00", 9, "90,00"],
    # APS SOIR: Emma under 6: 65 min = 1.0833 -> 1.08; 6+: 70 + 25 = 95 = 1.5833 -> 1.58;
    # total 160 = 2.6667 -> 2.67.
    ["APS SOIR", "DUPONT Emma", "04/11/2020", 1, "1,08", 2, "1,58", 3, "2,67"],
    # Paolo: 90 + 105 + 45 + 120 = 360 = 6.00 h, 4 days (Thursday absent).
    ["APS SOIR", "DUPONT Paolo", "02/05/2017", 0, "0,00", 4, "6,00", 4, "6,00"],
    # Nina: 65 = 1.08.
    ["APS SOIR", "MARTIN Nina", "10/03/2022", 1, "1,08", 0, "0,00", 1, "1,08"],
    # Under 6: 65 + 65 = 130 min = 2.1667 -> 2.17 (not 1.08 + 1.08 = 2.16: minutes are
    # summed first); 6+: 95 + 360 = 455 = 7.5833 -> 7.58; total 585 = 9.75.
    ["APS SOIR", "Total de l'activité", "", 2, "2,17", 6, "7,58", 8, "9,75"],
    # RESTAURATION: no times, no range: days only.
    ["RESTAURATION", "DUPONT Paolo", "02/05/2017", 0, "—", 2, "—", 2, "—"],
    ["RESTAURATION", "Total de l'activité", "", 0, "—", 2, "—", 2, "—"],
    # Grand total: under 6 days 7 + 2 = 9, minutes 4200 + 130 = 4330 = 72.1667 -> 72.17;
    # 6+ days 2 + 6 + 2 = 10, minutes 1200 + 455 + 0 = 1655 = 27.5833 -> 27.58;
    # total 19 days, 5985 min = 99.75.
    ["", "Total général", "", 9, "72,17", 10, "27,58", 19, "99,75"],
]


class _Table(HTMLParser):
    """The cells' text of the table with data-testid=`testid`, row by row (header row first)."""

    def __init__(self, testid):
        super().__init__()
        self.testid, self.depth, self.rows, self.cell = testid, 0, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("data-testid") == self.testid:
            self.depth = 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table":
            self.depth = 0

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table(response, testid="caf-table"):
    parser = _Table(testid)
    parser.feed(response.content.decode())
    return parser.rows


def as_text(row):
    return [str(cell) for cell in row]


@pytest.fixture
def agent_a(client, caf_world):
    client.force_login(caf_world.staff_a)
    return client


# ------------------------------------------------------------------ the figures


def test_the_table_is_the_hand_computed_one(agent_a, caf_world):
    response = agent_a.get(URL, {"structure": caf_world.a.pk, **NOVEMBER})
    assert response.status_code == 200
    rows = table(response)
    assert rows[0] == [
        "Activité", "Enfant", "Date de naissance", "Jours, moins de 6 ans", "Heures, moins de 6 ans",
        "Jours, 6 ans et plus", "Heures, 6 ans et plus", "Jours, total", "Heures, total",
    ]  # fmt: skip
    assert rows[1:] == [as_text(row) for row in EXPECTED]


def test_the_summary_by_activity_and_where_the_hours_come_from(agent_a, caf_world):
    response = agent_a.get(URL, {"structure": caf_world.a.pk, **NOVEMBER})
    summary = table(response, "caf-summary")
    assert summary[1:] == [
        # hours under 6, 6+, total; days under 6, 6+, total; origin; not marked
        ["ALSH VACANCES", "70,00", "20,00", "90,00", "7", "2", "9", "9 jours aux horaires de l'activité", "0"],
        # Roll call: Paolo Mon, Tue, Emma Mon, Wed, Thu, Nina Mon = 6; booking: Paolo Wed;
        # activity: Paolo Fri (times entered backwards). Not marked: Emma's Tuesday.
        [
            "APS SOIR", "2,17", "7,58", "9,75", "2", "6", "8",
            "6 jours aux horaires du pointage, 1 jour aux horaires réservés, 1 jour aux horaires de l'activité", "1",
        ],
        ["RESTAURATION", "—", "—", "—", "0", "2", "2", "2 jours sans heures", "0"],
        ["Total général", "72,17", "27,58", "99,75", "9", "10", "19", "", "1"],
    ]  # fmt: skip
    text = visible_text(response)
    assert "1 réservation acceptée de la période n'a pas été pointée : elle n'est pas comptée." in text


def test_the_report_in_minutes(caf_world):
    """The service, before any formatting: minutes are exact, hours come from them."""
    w = caf_world
    report = caf.caf_report(w.a, datetime.date(2026, 11, 1), datetime.date(2026, 11, 30), datetime.date(2026, 11, 26))
    aps = next(a for a in report.activities if a.activity == w.aps)
    emma = next(line for line in aps.lines if line.child == w.emma)
    assert (emma.figures.under_6.days, emma.figures.under_6.minutes) == (1, 65)
    assert (emma.figures.six_and_over.days, emma.figures.six_and_over.minutes) == (2, 70 + 25)
    assert aps.figures.under_6.minutes == 65 + 65 and aps.figures.under_6.hours == Decimal("2.17")
    assert report.figures.total.minutes == 5400 + 585 and report.figures.total.hours == Decimal("99.75")
    assert aps.not_recorded == 1 and report.not_recorded == 1


def test_the_age_band_changes_on_the_sixth_birthday():
    born = datetime.date(2020, 11, 4)
    assert caf.band_on(born, datetime.date(2026, 11, 3)) is caf.Band.UNDER_6
    assert caf.band_on(born, datetime.date(2026, 11, 4)) is caf.Band.SIX_AND_OVER
    leap = datetime.date(2020, 2, 29)
    assert caf.band_on(leap, datetime.date(2026, 2, 28)) is caf.Band.UNDER_6
    assert caf.band_on(leap, datetime.date(2026, 3, 1)) is caf.Band.SIX_AND_OVER


@pytest.mark.parametrize(
    ("minutes", "hours"), [(0, "0.00"), (1, "0.02"), (5, "0.08"), (90, "1.50"), (100, "1.67"), (6000, "100.00")]
)
def test_minutes_become_hours_with_two_decimals(minutes, hours):
    assert caf.hours(minutes) == Decimal(hours)


def test_a_period_inside_the_month(agent_a, caf_world):
    """Tuesday to Wednesday only: Emma's APS Wednesday (70 min, 6+) and ALSH Tue (under 6) + Wed (6+)."""
    response = agent_a.get(URL, {"structure": caf_world.a.pk, "du": "2026-11-03", "au": "2026-11-04"})
    rows = {(r[0], r[1]): r[3:] for r in table(response)[1:]}
    assert rows[("APS SOIR", "DUPONT Emma")] == ["0", "0,00", "1", "1,17", "1", "1,17"]  # 70 min = 1.1667
    assert rows[("ALSH VACANCES", "DUPONT Emma")] == ["1", "10,00", "1", "10,00", "2", "20,00"]
    # Paolo: APS Tue 105 + Wed 45 = 150 = 2.50; no ALSH (Thursday); RESTAURATION Tuesday.
    assert rows[("APS SOIR", "DUPONT Paolo")] == ["0", "0,00", "2", "2,50", "2", "2,50"]
    assert ("ALSH VACANCES", "DUPONT Paolo") not in rows
    assert "du 03/11/2026 au 04/11/2026" in visible_text(response)


def test_the_query_count_does_not_grow_with_the_days_and_children(caf_world):
    w = caf_world
    args = (w.a, datetime.date(2026, 11, 1), datetime.date(2026, 11, 30), datetime.date(2026, 11, 26))
    with CaptureQueriesContext(connection) as small:
        caf.caf_report(*args)
    for n in range(5):
        child = f.ChildFactory(family=w.martin_a, first_name=f"Enfant{n}", birth_date=datetime.date(2019, 1, n + 1))
        for day in range(9, 14):
            present(child, w.aps, datetime.date(2026, 11, day), "16:30", "17:30")
            present(child, w.alsh, datetime.date(2026, 11, day))
    with CaptureQueriesContext(connection) as large:
        report = caf.caf_report(*args)
    assert report.figures.total.days == 19 + 5 * 5 * 2
    assert len(large) == len(small) == 4


def test_nothing_to_show_says_so(agent_a, caf_world):
    response = agent_a.get(URL, {"structure": caf_world.a.pk, "du": "2026-09-01", "au": "2026-09-30"})
    assert response.status_code == 200
    assert table(response) == []
    assert "Aucune présence pointée ni réservation à pointer pour septembre 2026." in visible_text(response)


def test_the_current_month_by_default_and_the_month_links(agent_a, caf_world):
    response = agent_a.get(URL)
    text = visible_text(response)
    assert "Mairie de CarteVille — novembre 2026" in text  # the clock is on 26/11/2026
    html = response.content.decode()
    assert "du=2026-10-01&amp;au=2026-10-31" in html and "du=2026-12-01&amp;au=2026-12-31" in html
    assert table(response)[1:] == [as_text(row) for row in EXPECTED]


def test_the_screen_is_listed_in_the_staff_menu(agent_a):
    html = agent_a.get(reverse("staff:index")).content.decode()
    assert f'href="{URL}"' in html and "Chiffres CAF" in html


# ------------------------------------------------------------------ the files match the table


def test_the_csv_is_the_table(agent_a, caf_world):
    response = agent_a.get(URL, {"structure": caf_world.a.pk, **NOVEMBER, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="chiffres-caf-mairie-de-carteville-2026-11-01-2026-11-30.csv"'
    )
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    page = table(agent_a.get(URL, {"structure": caf_world.a.pk, **NOVEMBER}))
    assert rows[0] == page[0]
    # The same cells; a file writes an empty cell where the page shows "—".
    assert rows[1:] == [[cell.replace("—", "") for cell in row] for row in page[1:]]


def test_the_xlsx_is_the_table(agent_a, caf_world):
    response = agent_a.get(URL, {"structure": caf_world.a.pk, **NOVEMBER, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-2026-11-01-2026-11-30.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    page = table(agent_a.get(URL, {"structure": caf_world.a.pk, **NOVEMBER}))
    assert [str(c) for c in cells[0]] == page[0]

    def shown(column, value):
        # As the page writes them: hours (columns 5, 7, 9) with a decimal comma and two
        # decimals (openpyxl reads 20.00 back as 20), dates dd/mm/yyyy.
        if value is None:
            return ""
        if isinstance(value, datetime.datetime):
            return f"{value:%d/%m/%Y}"
        if column in (4, 6, 8):
            return f"{value:.2f}".replace(".", ",")
        return str(value)

    assert [[shown(column, v) for column, v in enumerate(row)] for row in cells[1:]] == [
        [cell.replace("—", "") for cell in row] for row in page[1:]
    ]
    # Hours are numbers a spreadsheet adds up, shown with two decimals.
    hours_cell = sheet.cell(row=2, column=5)
    assert hours_cell.value == 20 and hours_cell.number_format == "0.00"


def test_a_hostile_name_is_no_formula_in_the_files(agent_a, caf_world):
    w = caf_world
    w.nina.last_name = "-2+3"
    w.nina.save()
    w.alsh.name = "=1+1"
    w.alsh.save()
    csv_body = agent_a.get(URL, {"structure": w.a.pk, **NOVEMBER, "format": "csv"}).content.decode("utf-8")
    assert "\r\n'=1+1;" in csv_body and "\r\n=1+1" not in csv_body
    assert ";'-2+3 Nina;" in csv_body and ";-2+3" not in csv_body
    xlsx = agent_a.get(URL, {"structure": w.a.pk, **NOVEMBER, "format": "xlsx"}).content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet.cell(row=2, column=1).value == "'=1+1" and sheet.cell(row=2, column=1).data_type == "s"


# ------------------------------------------------------------------ scoping


def test_staff_of_b_cannot_see_a(client, caf_world):
    w = caf_world
    client.force_login(w.staff_b)
    for query in ({"structure": w.a.pk, **NOVEMBER}, {"structure": w.a.pk, **NOVEMBER, "format": "csv"},
                  {"structure": w.a.pk, **NOVEMBER, "format": "xlsx"}):  # fmt: skip
        assert client.get(URL, query).status_code == 404
    # By default, their own structure only: B's ALSH MERCREDI, none of A's children or activities.
    response = client.get(URL, NOVEMBER)
    assert response.status_code == 200
    rows = table(response)
    assert [r[:2] for r in rows[1:]] == [
        ["ALSH MERCREDI", "DUPONT Paolo"],
        ["ALSH MERCREDI", "Total de l'activité"],
        ["", "Total général"],
    ]
    text = visible_text(response)
    for name in ("Mairie de CarteVille", "APS SOIR", "ALSH VACANCES", "Emma", "Nina"):
        assert name not in text, name
    csv_body = client.get(URL, {**NOVEMBER, "format": "csv"}).content.decode("utf-8")
    assert "Emma" not in csv_body and "APS SOIR" not in csv_body and "ALSH MERCREDI" in csv_body


def test_a_parent_and_an_anonymous_visitor_are_sent_to_the_login(client, caf_world):
    assert client.get(URL).status_code == 302
    client.force_login(caf_world.dupont)
    response = client.get(URL, {"structure": caf_world.a.pk, "format": "csv"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_administrator_chooses_the_structure(client, caf_world):
    client.force_login(caf_world.admin)
    response = client.get(URL, {"structure": caf_world.a.pk, **NOVEMBER})
    assert table(response)[1:] == [as_text(row) for row in EXPECTED]
    html = response.content.decode()
    assert f'<option value="{caf_world.b.pk}">' in html and f'<option value="{caf_world.a.pk}" selected>' in html


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"du": "2026-11-30", "au": "2026-11-01"}, "La fin de la période doit suivre son début."),
        ({"du": "2026-01-01", "au": "2027-01-02"}, "Période trop longue : 366 jours au plus."),
        ({"du": "2026-11-01"}, "Indiquez le début et la fin de la période, ou ni l'un ni l'autre."),
        ({"au": "2026-11-01"}, "Indiquez le début et la fin de la période, ou ni l'un ni l'autre."),
        (
            {"du": "1999-12-31", "au": "2000-01-31"},
            "Début de la période invalide : indiquez un jour entre le 01/01/2000",
        ),
        ({"du": "2026-11-01", "au": "2026-02-30"}, "Fin de la période invalide : indiquez un jour entre le 01/01/2000"),
        ({"du": "2026-11-01", "au": "9999-12-31"}, "Fin de la période invalide"),
        ({"format": "pdf"}, "Format inconnu."),
        ({"structure": "douze"}, "Structure invalide."),
        ({"du": "<script>alert(1)</script>", "au": "2026-11-30"}, "Début de la période invalide"),
    ],
)
def test_a_bad_period_or_format_is_a_french_400(agent_a, query, message):
    response = agent_a.get(URL, query)
    assert response.status_code == 400
    assert message in visible_text(response)
    assert "<script>alert(1)" not in response.content.decode()


def test_a_whole_year_is_accepted(agent_a, caf_world):
    response = agent_a.get(URL, {"structure": caf_world.a.pk, "du": "2024-01-01", "au": "2024-12-31"})  # 366 days
    assert response.status_code == 200


def test_an_unknown_structure_is_not_found(agent_a):
    assert agent_a.get(URL, {"structure": "999999"}).status_code == 404


# ------------------------------------------------------------------ languages


def test_the_screen_in_english_then_in_french(agent_a, caf_world):
    w = caf_world
    w.staff_a.language = "en"
    w.staff_a.save(update_fields=["language"])
    response = agent_a.get(URL, {"structure": w.a.pk, **NOVEMBER})
    text = visible_text(response)
    for english in ("CAF figures", "Summary by activity", "Detail by child", "Hours, under 6", "Days, 6 and over",
                    "Grand total", "Activity total", "How these figures are computed", "Rounding:",
                    "6 days at the roll call's times, 1 day at the booked times", "Export (Excel)",
                    "1 accepted booking of the period was not marked"):  # fmt: skip
        assert english in text, english
    for french in ("Chiffres CAF", "Heures, moins de 6 ans", "Total général", "Arrondi", "jours aux horaires"):
        assert french not in text, french
    assert table(response)[-1] == ["", "Grand total", "", "9", "72.17", "10", "27.58", "19", "99.75"]
    header = agent_a.get(URL, {"structure": w.a.pk, **NOVEMBER, "format": "csv"}).content.decode("utf-8-sig")
    assert header.splitlines()[0] == (
        "Activity;Child;Date of birth;Days, under 6;Hours, under 6;Days, 6 and over;Hours, 6 and over;"
        "Days, total;Hours, total"
    )
    assert "Period too long: 366 days at most." in visible_text(
        agent_a.get(URL, {"du": "2026-01-01", "au": "2027-12-31"})
    )

    w.staff_a.language = "fr"
    w.staff_a.save(update_fields=["language"])
    text = visible_text(agent_a.get(URL, {"structure": w.a.pk, **NOVEMBER}))
    assert "Chiffres CAF" in text and "Comment ces chiffres sont calculés" in text
    assert not re.search(r"\b(Hours|Days|Grand total|Summary|rounding)\b", text, re.IGNORECASE)
