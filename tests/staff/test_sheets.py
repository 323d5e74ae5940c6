"""B6 attendance sheet (printable HTML and PDF) and the kitchen's week."""

import datetime
import io

import pypdf
from django.urls import reverse

from portail.booking.models import Booking, BookingStatus
from portail.structures.models import Child, Opening
from tests import factories as f
from tests.helpers import make_booking, page_text, recount_all
from tests.staff.conftest import DAY, visible_text

SHEET = reverse("staff:sheet")
MEALS = reverse("staff:meals")


def test_printable_sheet_has_a_box_per_child_totals_and_a_signature_line(staff, world, full_day):
    response = staff.get(SHEET, {"date": DAY.isoformat(), "activite": world.aps_a.pk})
    html, text = page_text(response), visible_text(response)
    assert "Feuille de présence — APS MATIN" in text and "Lundi 7 décembre 2026" in text
    assert "1 DUPONT Paolo CE2 9 ans" in text and "ATTENTE0" not in text  # the waiting list does not come
    assert html.count('class="sheet-check"') == 2  # présent and absent boxes
    assert "Total : 1 enfant attendu" in text and "Nom et signature de l'animateur" in text
    assert "staff/staff.css" in html and "format=pdf" in html


def test_pdf_of_sixty_children_opens_and_names_each_child(staff, world):
    family = f.FamilyFactory(structure=world.a, last_name="NOMBREUX")
    children = Child.objects.bulk_create(
        Child(family=family, first_name=f"Prénom{n:02d}", last_name=f"ENFANTÉ{n:02d}", birth_date=datetime.date(2018, 1, 1),
              school_class="CP")
        for n in range(60)
    )  # fmt: skip
    Booking.objects.bulk_create(
        Booking(child=c, activity=world.cantine_a, date=DAY, status=BookingStatus.ACCEPTED) for c in children
    )
    f.OpeningFactory(activity=world.cantine_a, date=DAY)
    recount_all()  # rows inserted behind the engine: the opening's counters follow them (issue 15)
    response = staff.get(SHEET, {"date": DAY.isoformat(), "activite": world.cantine_a.pk, "format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 1
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = "\n".join(page.extract_text() for page in reader.pages)
    for n in range(60):
        assert f"ENFANTÉ{n:02d} Prénom{n:02d}" in text
    assert f"Page 1 / {len(reader.pages)}" in text
    if len(reader.pages) > 1:  # the header row is repeated on every page
        assert all("Enfant" in page.extract_text() and "Présent" in page.extract_text() for page in reader.pages)


def test_pdf_of_every_activity_open_that_day(staff, world, full_day):
    response = staff.get(SHEET, {"date": DAY.isoformat(), "format": "pdf"})
    text = pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "APS MATIN" in text and "DUPONT Paolo" in text


def test_kitchen_week_counts_meals_first(staff, world, full_day):
    monday = DAY  # 07/12/2026 is a Monday
    for day in (monday, monday + datetime.timedelta(days=1), monday + datetime.timedelta(days=3)):
        Opening.objects.get_or_create(activity=world.cantine_a, date=day)
    for child in (world.paolo, world.amalia, world.leo):
        make_booking(child=child, activity=world.cantine_a, date=monday, status=BookingStatus.ACCEPTED)
    make_booking(
        child=world.leo,
        activity=world.cantine_a,
        date=monday + datetime.timedelta(days=1),
        status=BookingStatus.CANCELLED,
    )
    # any day of the week shows its Monday
    response = staff.get(MEALS, {"semaine": (monday + datetime.timedelta(days=2)).isoformat()})
    text = visible_text(response)
    assert "Semaine du lundi 7 décembre 2026" in text
    assert "lun. 07/12 mar. 08/12 mer. 09/12 jeu. 10/12 ven. 11/12" in text and "sam. 12/12" not in text
    assert "Repas RESTAURATION 3 0 — 0 —" in text
    assert "APS MATIN 1 — — — —" in text
    assert text.index("RESTAURATION 3") < text.index("APS MATIN 1")
    assert "Total des repas 3 0 0 0 0" in text
    assert "ALSH" not in text  # structure B
