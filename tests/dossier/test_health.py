"""Issue 17 point 2: the family keeps its child's health sheet (fiche sanitaire)
up to date; each change is applied at once and recorded for staff with the
previous value; a refused form changes nothing; another family's child is a
404. And the marks (dossier.health.marks_for) the kitchen and the roll call
get: one query, never the medical text."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portail.dossier.health import NO_MARKS, Marks, marks_for
from portail.dossier.models import Diet, FamilyChange, HealthSheet
from tests import factories as f
from tests.fuzz.values import fingerprint
from tests.helpers import page_text

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 12, 0))
ALLERGY = "Arachide : stylo d'adrénaline dans le sac, appeler le 15"

SHEET = {
    "has_food_allergy": "on",
    "allergies": ALLERGY,
    "diet": Diet.NO_PORK,
    "has_pai": "on",
    "doctor_name": "Dr Martine LEROY",
    "doctor_phone": "01 23 45 67 89",
    "vaccinations_up_to_date": "True",
    "vaccinations_date": "2026-09-03",
    "notes": "Porte des lunettes",
}


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def dupont(client, world):
    client.force_login(world.dupont)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    return client


def health_url(child):
    return reverse("family:health", kwargs={"pk": child.pk})


def test_the_family_fills_in_the_sheet_and_each_change_is_recorded_for_staff(dupont, world):
    response = dupont.get(health_url(world.paolo))
    assert response.status_code == 200
    assert "Fiche sanitaire de Paolo" in page_text(response)

    response = dupont.post(health_url(world.paolo), SHEET)
    assert response.status_code == 302
    sheet = HealthSheet.objects.get(child=world.paolo)
    assert sheet.has_food_allergy and sheet.has_pai and sheet.allergies == ALLERGY
    assert sheet.diet == Diet.NO_PORK and sheet.vaccinations_up_to_date is True
    assert sheet.vaccinations_date == datetime.date(2026, 9, 3) and sheet.updated_by == world.dupont
    changes = {c.field_key.rsplit(".", 1)[1]: c for c in FamilyChange.objects.filter(child=world.paolo)}
    # Only what the parent filled in, from empty: not the fields left as they were.
    assert set(changes) == {
        "has_food_allergy", "allergies", "diet", "has_pai", "doctor_name", "doctor_phone",
        "vaccinations_up_to_date", "vaccinations_date", "notes",
    }  # fmt: skip
    assert changes["diet"].new_value == "Sans porc" and changes["vaccinations_date"].new_value == "03/09/2026"
    assert all(c.family == world.family_a and c.changed_by == world.dupont for c in changes.values())

    # A second save changing one field records that field only, with its previous value.
    dupont.post(health_url(world.paolo), {**SHEET, "doctor_phone": "06 11 22 33 44"})
    latest = FamilyChange.objects.filter(child=world.paolo).exclude(pk__in=[c.pk for c in changes.values()])
    assert [(c.old_value, c.new_value) for c in latest] == [("01 23 45 67 89", "06 11 22 33 44")]
    # Saved again unchanged: nothing more to check for staff.
    count = FamilyChange.objects.count()
    dupont.post(health_url(world.paolo), {**SHEET, "doctor_phone": "06 11 22 33 44"})
    assert FamilyChange.objects.count() == count


def test_the_saved_sheet_shows_again_in_the_form(dupont, world):
    dupont.post(health_url(world.paolo), SHEET)
    text = page_text(dupont.get(health_url(world.paolo)))
    assert ALLERGY in text and 'value="2026-09-03"' in text
    assert '<option value="True" selected>' in text


@pytest.mark.parametrize(
    "change, message",
    [
        ({"allergies": ""}, "Précisez l'allergie alimentaire"),
        ({"vaccinations_date": "2026-11-27"}, "ne peut pas être dans le futur"),
        ({"vaccinations_date": "1999-12-31"}, "Date du dernier rappel invalide"),
        ({"doctor_phone": "appelez-moi"}, "Indiquez un numéro de téléphone"),
        ({"allergies": "A" * 2001}, "2000"),
        ({"diet": "cannibale"}, "Sélectionnez un choix valide"),
        ({"notes": "Ligne\x00nulle"}, ""),
    ],
    ids=["allergy-without-text", "future-date", "date-out-of-window", "phone", "too-long", "diet", "control-char"],
)
def test_a_refused_sheet_is_shown_again_with_its_error_and_changes_nothing(dupont, world, change, message):
    before = fingerprint()
    response = dupont.post(health_url(world.paolo), {**SHEET, **change})
    assert response.status_code == 400
    assert message in page_text(response)
    assert fingerprint() == before


@pytest.mark.parametrize("who", ["martin", "other-structure"])
def test_another_familys_child_is_not_found(client, world, who):
    if who == "martin":
        client.force_login(world.martin)
        child = world.paolo
    else:
        # DUPONT consulting CarteVille: his child of Les Pinsons is not of this family.
        client.force_login(world.dupont)
        client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
        child = world.paolo_b
    before = fingerprint()
    assert client.get(health_url(child)).status_code == 404
    assert client.post(health_url(child), SHEET).status_code == 404
    assert fingerprint() == before


def test_staff_do_not_use_the_family_page(client, world):
    client.force_login(world.staff_a)
    assert client.get(health_url(world.paolo)).status_code == 302


# ------------------------------------------------------------------ marks


def test_marks_say_allergy_pai_and_diet_and_nothing_else(world):
    HealthSheet.objects.create(child=world.paolo, has_food_allergy=True, allergies=ALLERGY, has_pai=True)
    HealthSheet.objects.create(child=world.amalia, diet=Diet.NO_PORK)
    HealthSheet.objects.create(child=world.leo, doctor_name="Dr LEROY", notes="Rien à signaler")
    marks = marks_for([world.paolo.pk, world.amalia.pk, world.leo.pk, world.paolo_b.pk])
    assert marks == {
        world.paolo.pk: Marks(food_allergy=True, pai=True),
        world.amalia.pk: Marks(diet="Sans porc"),
    }
    assert marks[world.paolo.pk].labels == ["Allergie alimentaire", "PAI"]
    assert marks[world.amalia.pk].text == "Sans porc"
    assert not marks.get(world.leo.pk, NO_MARKS) and NO_MARKS.labels == []
    assert ALLERGY not in repr(marks)


def test_marks_cost_one_query_whatever_the_number_of_children(world):
    family = f.FamilyFactory(structure=world.a)
    children = [
        f.ChildFactory(family=family, first_name=f"Enfant{n}", birth_date=datetime.date(2018, 1, 1 + n))
        for n in range(25)
    ]
    for child in children:
        HealthSheet.objects.create(child=child, has_food_allergy=True, allergies=ALLERGY)
    with CaptureQueriesContext(connection) as queries:
        marks = marks_for(c.pk for c in children)
    assert len(marks) == 25 and len(queries) == 1
    # The medical text is not even read from the database.
    assert "allergies" not in queries[0]["sql"].replace('"has_food_allergy"', "")
