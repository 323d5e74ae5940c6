"""Issue 17 points 2 and 3 on the staff's daily screens: beside each child, the
roll call and the attendance sheet (page and PDF) show the health marks
(« Allergie alimentaire », « PAI », the diet) and the people allowed to collect
the child; the kitchen's week (page and PDF) counts the meals with a mark per
day (« dont 2 allergies alimentaires, 1 sans porc ») and names those children
with their marks. The medical text itself is never on any of them. The marks
and the people cost a fixed number of queries, not one per child."""

import datetime
import io

import pypdf
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portail.booking.models import BookingStatus
from portail.booking.staff_actions import staff_book
from portail.dossier.models import AuthorisedPerson, Diet, HealthSheet
from portail.structures.models import Child, Enrolment, Family, Opening
from tests.helpers import make_booking, page_text
from tests.staff.conftest import visible_text

DAY = datetime.date(2026, 12, 7)  # a Monday
ALLERGY = "Arachide : stylo d'adrénaline dans le sac"
KIWI = "Kiwi, eczéma sévère"
ROLL_CALL = reverse("staff:roll_call")
SHEET = reverse("staff:sheet")
MEALS = reverse("staff:meals")


@pytest.fixture(autouse=True)
def on_the_day():
    with time_machine.travel(timezone.make_aware(datetime.datetime.combine(DAY, datetime.time(8, 0))), tick=False):
        yield


@pytest.fixture
def marked(world):
    """On DAY: Paolo (food allergy + PAI), Amalia (no pork) and Léo (nothing)
    booked on APS MATIN and at the canteen; Josette may collect Paolo, a
    neighbour is his emergency contact only."""
    w = world
    HealthSheet.objects.create(child=w.paolo, has_food_allergy=True, allergies=ALLERGY, has_pai=True)
    HealthSheet.objects.create(child=w.amalia, diet=Diet.NO_PORK, notes="Timide le matin")
    HealthSheet.objects.create(child=w.leo, doctor_name="Dr LEROY")
    AuthorisedPerson.objects.create(
        child=w.paolo, name="Josette DUPONT", relationship="grand-mère", phone="06 12 34 56 78"
    )
    AuthorisedPerson.objects.create(
        child=w.paolo, name="Marc VOISIN", relationship="voisin", phone="07 11 22 33 44",
        can_pick_up=False, emergency_contact=True,
    )  # fmt: skip
    Opening.objects.get_or_create(activity=w.cantine_a, date=DAY)
    for child in (w.paolo, w.amalia, w.leo):
        for activity in (w.aps_a, w.cantine_a):
            Enrolment.objects.get_or_create(
                child=child, activity=activity,
                defaults={"start_date": datetime.date(2026, 9, 1), "end_date": datetime.date(2027, 7, 3)},
            )  # fmt: skip
            staff_book(child, activity, DAY, actor=w.staff_a, reason="Inscription")
    return w


def test_the_roll_call_shows_the_marks_and_the_people_never_the_medical_text(client, marked):
    client.force_login(marked.staff_a)
    response = client.get(ROLL_CALL, {"date": DAY.isoformat(), "activite": marked.aps_a.pk})
    text = visible_text(response)
    assert ALLERGY not in page_text(response) and "Timide" not in page_text(response)
    paolo = text.split("DUPONT Paolo", 1)[1].split("MARTIN Léo", 1)[0]
    assert "Allergie alimentaire PAI" in paolo and "2 personnes autorisées" in paolo
    assert "Josette DUPONT (grand-mère) — 06 12 34 56 78" in paolo
    assert "Marc VOISIN (voisin) — 07 11 22 33 44 — urgence seulement" in paolo
    amalia = text.split("DUPONT Amalia", 1)[1].split("DUPONT Paolo", 1)[0]
    assert "Sans porc" in amalia and "Allergie" not in amalia and "Aucune personne autorisée enregistrée" in amalia
    leo = text.split("MARTIN Léo", 1)[1]
    assert "Allergie" not in leo.split("Fiche de l'enfant")[0] and "Sans porc" not in leo


def test_the_roll_call_keeps_the_marks_after_tous_presents(client, marked):
    client.force_login(marked.staff_a)
    data = {"activite": marked.aps_a.pk, "date": DAY.isoformat()}
    response = client.post(reverse("staff:all_present"), data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Allergie alimentaire" in page_text(response) and ALLERGY not in page_text(response)


def test_the_attendance_sheet_page_and_pdf(client, marked):
    client.force_login(marked.staff_a)
    query = {"date": DAY.isoformat(), "activite": marked.aps_a.pk}
    response = client.get(SHEET, query)
    text = visible_text(response)
    assert ALLERGY not in page_text(response)
    assert "DUPONT Paolo Allergie alimentaire PAI" in text
    assert "Josette DUPONT (grand-mère) 06 12 34 56 78 Marc VOISIN (voisin) 07 11 22 33 44 — urgence seulement" in text
    assert "DUPONT Amalia Sans porc" in text

    pdf = client.get(SHEET, {**query, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    pages = pypdf.PdfReader(io.BytesIO(pdf.content)).pages
    pdf_text = " ".join(" ".join(page.extract_text().split()) for page in pages)
    assert "Personnes autorisées" in pdf_text and "Allergie alimentaire, PAI" in pdf_text
    assert "Josette DUPONT (grand-mère) 06 12 34 56 78" in pdf_text and "Sans porc" in pdf_text
    assert "Arachide" not in pdf_text and "adrénaline" not in pdf_text


def test_the_kitchen_counts_the_marks_names_the_children_never_the_text(client, marked):
    HealthSheet.objects.filter(child=marked.leo).update(has_food_allergy=True, allergies=KIWI, diet=Diet.NO_PORK)
    client.force_login(marked.staff_a)
    monday = {"semaine": DAY.isoformat()}
    response = client.get(MEALS, monday)
    assert ALLERGY not in page_text(response) and "Kiwi" not in page_text(response)
    text = visible_text(response)
    # Three meals at the canteen on Monday: two with a food allergy, one PAI, two without pork.
    assert "Allergies et régimes — Mairie de CarteVille" in text
    assert "lun. 07/12 : dont 2 allergies alimentaires, 1 PAI, 2 sans porc" in text
    assert "DUPONT Amalia (RESTAURATION) — Sans porc" in text
    assert "DUPONT Paolo (RESTAURATION) — Allergie alimentaire, PAI" in text
    assert "MARTIN Léo (RESTAURATION) — Allergie alimentaire, Sans porc" in text
    assert "(APS MATIN)" not in text  # no meal there: no mark for the kitchen

    pdf = client.get(MEALS, {**monday, "format": "pdf"})
    pages = pypdf.PdfReader(io.BytesIO(pdf.content)).pages
    pdf_text = " ".join(" ".join(page.extract_text().split()) for page in pages)
    assert "dont 2 allergies alimentaires, 1 PAI, 2 sans porc" in pdf_text
    assert "DUPONT Paolo (RESTAURATION) — Allergie alimentaire, PAI" in pdf_text
    assert "Arachide" not in pdf_text and "Kiwi" not in pdf_text


def test_another_structures_kitchen_sees_none_of_these_children(client, marked):
    client.force_login(marked.staff_b)
    text = page_text(client.get(MEALS, {"semaine": DAY.isoformat()}))
    assert "DUPONT Paolo" not in text and "allergie" not in text.lower()


def crowd(world, n):
    """n more children on APS MATIN and at the canteen on DAY, each with a food allergy and a person."""
    families = Family.objects.bulk_create(
        Family(structure=world.a, reference=f"N{n}-{i}", civility="Mme", last_name=f"FAMILLE{i:03d}", first_name="Anne")
        for i in range(n)
    )  # fmt: skip
    children = Child.objects.bulk_create(
        Child(family=family, first_name="Enfant", last_name=family.last_name, birth_date=datetime.date(2018, 4, 1))
        for family in families
    )
    for child in children:
        HealthSheet.objects.create(child=child, has_food_allergy=True, allergies=ALLERGY, diet=Diet.NO_MEAT)
        AuthorisedPerson.objects.create(child=child, name="Mamie", relationship="grand-mère", phone="0612345678")
        for activity in (world.aps_a, world.cantine_a):
            make_booking(child=child, activity=activity, date=DAY, status=BookingStatus.ACCEPTED)


@pytest.mark.parametrize(
    "url, query",
    [(ROLL_CALL, {"format": ""}), (SHEET, {"format": ""}), (SHEET, {"format": "pdf"}), (MEALS, {})],
    ids=["roll-call", "sheet", "sheet-pdf", "meals"],
)
def test_the_marks_do_not_cost_a_query_per_child(client, marked, url, query):
    marked.aps_a.capacity = 100
    marked.aps_a.save()
    client.force_login(marked.staff_a)
    params = {"date": DAY.isoformat(), "activite": marked.aps_a.pk, **query}
    if url == MEALS:
        params = {"semaine": DAY.isoformat()}
    counts = []
    for more in (3, 27):  # 3 more children, then 30 in all
        crowd(marked, more)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {k: v for k, v in params.items() if v})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
