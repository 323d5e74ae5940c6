"""The review of the demo's family file (issue 17, review points 1, 2, 3, 5):

1. « Modifications des familles » never shows a health sheet's text (« modifiée
   — voir la fiche », a link to the child's file, which records the view); the
   parent's health page says who sees what, as accounts/roles.py decides it.
2. A textarea posted with CRLF is stored with LF; a save that only differs by
   newlines or trailing spaces records no change.
3. One person added is one group of five lines with one « Vu », which marks
   the five (another structure's change: 404).
5. « Fiche sanitaire d'Amalia »; inviting a parent who already has an account
   in the family sends nothing.
"""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from portail.accounts.models import Invitation
from portail.accounts.roles import ANIMATOR_STAFF_URLS
from portail.dossier.models import FamilyChange, HealthAccess, HealthSheet
from portail.lib import french
from portail.notifications.models import OutboxEmail
from tests.helpers import page_text

NOW = datetime.datetime(2026, 11, 27, 17, 2, tzinfo=datetime.UTC)
ALLERGY = "Kiwi et arachide : éviction, stylo d'adrénaline dans le sac"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _dupont(world):
    client = Client()
    client.force_login(world.dupont)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    return client


def _staff(user):
    client = Client()
    client.force_login(user)
    return client


def _sheet(**more):
    return {
        "has_food_allergy": "on", "allergies": ALLERGY, "diet": "", "doctor_name": "", "doctor_phone": "",
        "vaccinations_up_to_date": "", "vaccinations_date": "", "notes": "", **more,
    }  # fmt: skip


# ------------------------------------------------------------------ 1. health text stays on the child's file


def test_the_changes_list_masks_the_health_values_and_links_to_the_childs_file(world):
    dupont = _dupont(world)
    assert dupont.post(reverse("family:health", args=[world.amalia.pk]), _sheet()).status_code == 302
    assert FamilyChange.objects.filter(field_key__startswith="healthsheet.", new_value__contains="Kiwi").exists()
    response = _staff(world.staff_a).get(reverse("staff:family_changes"))
    text = page_text(response)
    assert response.status_code == 200
    assert "Kiwi" not in text and "adrénaline" not in text
    assert "Allergies" in text  # the field's name is said, not its value
    assert "modifiée — voir la fiche" in text
    assert reverse("staff:child_file", args=[world.amalia.pk]) in text
    # Nothing was read there: no view recorded by the list.
    assert not HealthAccess.objects.exists()


def test_the_family_admin_page_masks_the_health_values_too(world):
    _dupont(world).post(reverse("family:health", args=[world.amalia.pk]), _sheet())
    admin = Client()
    admin.force_login(world.staff_a)
    text = page_text(admin.get(reverse("admin:structures_family_change", args=[world.family_a.pk])))
    assert "Kiwi" not in text
    assert "modifiée — voir la fiche" in text


def test_the_parents_sentence_says_who_sees_the_sheet_as_the_roles_decide(world):
    text = page_text(_dupont(world).get(reverse("family:health", args=[world.amalia.pk])))
    # Animators may open the child's file (the full sheet): the page must not say they see only the marks.
    assert "staff:child_file" in ANIMATOR_STAFF_URLS
    assert "les animateurs ne voient que" not in text
    assert "animateurs compris" in text
    assert "chaque consultation de la fiche par le personnel est enregistrée" in text
    assert "La cuisine ne voit que les mentions" in text


# ------------------------------------------------------------------ 2. CRLF is not a change


def test_a_crlf_posted_address_is_stored_with_lf_and_is_no_change(world):
    family = world.family_a
    family.address = "12 rue des Lilas\n75000 Paris"
    family.phone = "01 23 45 67 89"
    family.save()
    dupont = _dupont(world)
    response = dupont.post(
        reverse("family:dossier_household"),
        {"address": "12 rue des Lilas  \r\n75000 Paris\r\n", "phone": "02 98 00 00 00"},
    )
    assert response.status_code == 302
    family.refresh_from_db()
    assert family.address == "12 rue des Lilas\n75000 Paris"
    assert family.phone == "02 98 00 00 00"
    # Only the phone changed.
    assert list(FamilyChange.objects.values_list("field_key", flat=True)) == [f"family.{family.pk}.phone"]


def test_a_stored_crlf_is_no_change_either_and_a_cr_alone_is_a_newline(world):
    family = world.family_a
    family.address = "12 rue des Lilas\r\n75000 Paris"  # written before the fix
    family.save()
    _dupont(world).post(reverse("family:dossier_household"), {"address": "12 rue des Lilas\r75000 Paris", "phone": ""})
    assert not FamilyChange.objects.filter(field_key=f"family.{family.pk}.address").exists()
    family.refresh_from_db()
    assert family.address == "12 rue des Lilas\n75000 Paris"


def test_the_health_notes_are_normalised_too(world):
    _dupont(world).post(reverse("family:health", args=[world.amalia.pk]), _sheet(notes="Lunettes \r\nPeur de l'eau"))
    assert HealthSheet.objects.get(child=world.amalia).notes == "Lunettes\nPeur de l'eau"


# ------------------------------------------------------------------ 3. one save, one group, one « Vu »


def _add_person(world):
    response = _dupont(world).post(
        reverse("family:authorised_people", args=[world.amalia.pk]),
        {"name": "Josette DUPONT", "relationship": "grand-mère", "phone": "06 12 34 56 78", "can_pick_up": "on",
         "emergency_contact": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    return FamilyChange.objects.filter(field_key__startswith="authorisedperson.")


def test_one_person_added_is_one_group_of_five_lines_with_one_seen_button(world):
    rows = _add_person(world)
    assert rows.count() == 5
    text = page_text(_staff(world.staff_a).get(reverse("staff:family_changes")))
    assert text.count('data-testid="change-group"') == 1
    assert text.count('data-testid="family-change"') == 5
    assert text.count('data-testid="change-seen"') == 1


def test_seen_on_the_group_marks_its_five_rows_and_nothing_else(world):
    rows = _add_person(world)
    other = FamilyChange.objects.create(
        family=world.family_a, field_label="Téléphone de la famille", field_key=f"family.{world.family_a.pk}.phone",
        old_value="", new_value="01 02 03 04 05", changed_by=world.dupont, changed_at=NOW,
    )  # fmt: skip
    first = rows.order_by("-changed_at", "-pk").first()
    response = _staff(world.staff_a).post(reverse("staff:change_seen", args=[first.pk]))
    assert response.status_code == 302
    assert FamilyChange.objects.filter(pk__in=rows.values("pk"), seen_at__isnull=False).count() == 5
    other.refresh_from_db()
    assert other.seen_at is None


def test_seen_on_another_structures_change_is_a_404_and_marks_nothing(world):
    rows = _add_person(world)
    for pk in (rows.first().pk, 10**12, 0):
        response = _staff(world.staff_b).post(f"/gestion/modifications-familles/{pk}/vu/")
        assert response.status_code == 404
    assert not FamilyChange.objects.filter(seen_at__isnull=False).exists()


# ------------------------------------------------------------------ 5. wording and the invitation


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Amalia", "d'Amalia"), ("Émile", "d'Émile"), ("Yves", "d'Yves"), ("Hugo", "d'Hugo"), ("Paolo", "de Paolo")],
)
def test_de_elides_before_a_vowel_and_a_mute_h(name, expected):
    # The project's helper (portail/lib/french.py): vowels, accented ones, y before a consonant, and a
    # mute h (« d'Hugo »; an aspirated h keeps « de », see its ASPIRATED_H list).
    assert french.de(name) == expected


def test_the_health_page_and_the_file_say_d_amalia_and_de_paolo(world):
    dupont = _dupont(world)
    amalia = page_text(dupont.get(reverse("family:health", args=[world.amalia.pk])))
    assert "Fiche sanitaire d'Amalia" in amalia and "Fiche sanitaire de Amalia" not in amalia
    assert "Fiche sanitaire de Paolo" in page_text(dupont.get(reverse("family:health", args=[world.paolo.pk])))
    index = page_text(dupont.get(reverse("family:dossier")))
    assert "Fiche sanitaire d'Amalia" in index and "Modifier les informations d'Amalia" in index
    saved = dupont.post(reverse("family:health", args=[world.amalia.pk]), _sheet(), follow=True)
    assert "La fiche sanitaire d'Amalia est enregistrée." in page_text(saved)


def test_inviting_a_parent_who_already_has_an_account_in_the_family_sends_nothing(world):
    world.dupont2.email = "marie.dupont@example.org"
    world.dupont2.save()
    response = _dupont(world).post(
        reverse("accounts:invite_parent"), {"email": "Marie.Dupont@example.org"}, follow=True
    )
    assert response.status_code == 200
    assert "Cette personne a déjà accès au portail pour votre famille." in page_text(response)
    assert not Invitation.objects.exists() and not OutboxEmail.objects.exists()


def test_an_account_of_another_family_is_not_revealed_the_invitation_is_sent(world):
    world.martin.email = "luc.martin@example.org"
    world.martin.save()
    response = _dupont(world).post(reverse("accounts:invite_parent"), {"email": "luc.martin@example.org"}, follow=True)
    assert "Cette personne a déjà accès" not in page_text(response)
    assert "Invitation envoyée à luc.martin@example.org" in page_text(response)
    assert OutboxEmail.objects.filter(to="luc.martin@example.org").count() == 1
