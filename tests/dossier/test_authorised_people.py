"""Issue 17 point 3: per child, the people allowed to collect the child and the
people to call in an emergency (name, relationship, phone) — the family adds,
edits and removes them; each change is recorded for staff; a refused form
changes nothing; another family's child or person is a 404."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from portail.dossier.models import AuthorisedPerson, FamilyChange
from tests.fuzz.values import fingerprint
from tests.helpers import page_text

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 12, 0))
MAMIE = {"name": "Josette DUPONT", "relationship": "grand-mère", "phone": "06 12 34 56 78", "can_pick_up": "on"}


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def dupont(client, world):
    client.force_login(world.dupont)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    return client


def people_url(child):
    return reverse("family:authorised_people", kwargs={"pk": child.pk})


def edit_url(person):
    return reverse("family:authorised_person_edit", kwargs={"pk": person.child_id, "person": person.pk})


def delete_url(person):
    return reverse("family:authorised_person_delete", kwargs={"pk": person.child_id, "person": person.pk})


def test_add_edit_and_remove_a_person_each_recorded_for_staff(dupont, world):
    assert "Aucune personne enregistrée" in page_text(dupont.get(people_url(world.paolo)))

    assert dupont.post(people_url(world.paolo), MAMIE).status_code == 302
    person = AuthorisedPerson.objects.get(child=world.paolo)
    assert (person.name, person.relationship, person.phone) == ("Josette DUPONT", "grand-mère", "06 12 34 56 78")
    assert person.can_pick_up and not person.emergency_contact
    added = FamilyChange.objects.filter(child=world.paolo)
    assert {c.new_value for c in added} >= {"Josette DUPONT", "grand-mère", "06 12 34 56 78"}
    assert all(c.old_value == "" and c.changed_by == world.dupont for c in added)
    text = page_text(dupont.get(people_url(world.paolo)))
    assert "Josette DUPONT" in text and 'href="tel:0612345678"' in text

    seen = set(added.values_list("pk", flat=True))
    response = dupont.post(edit_url(person), {**MAMIE, "phone": "07 00 00 00 01", "emergency_contact": "on"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.phone == "07 00 00 00 01" and person.emergency_contact
    edited = FamilyChange.objects.filter(child=world.paolo).exclude(pk__in=seen)
    assert sorted((c.old_value, c.new_value) for c in edited) == [("06 12 34 56 78", "07 00 00 00 01"), ("Non", "Oui")]

    seen |= set(edited.values_list("pk", flat=True))
    assert dupont.post(delete_url(person)).status_code == 302
    assert not AuthorisedPerson.objects.exists()
    removed = FamilyChange.objects.filter(child=world.paolo).exclude(pk__in=seen).get()
    assert "Josette DUPONT" in removed.old_value and removed.new_value == ""


def test_an_emergency_contact_only(dupont, world):
    data = {**MAMIE, "can_pick_up": "", "emergency_contact": "on"}
    assert dupont.post(people_url(world.paolo), data).status_code == 302
    person = AuthorisedPerson.objects.get()
    assert not person.can_pick_up and person.emergency_contact


@pytest.mark.parametrize(
    "change, message",
    [
        ({"can_pick_up": ""}, "Cochez au moins une case"),
        ({"phone": ""}, "Ce champ est obligatoire"),
        ({"phone": "12"}, "Indiquez un numéro de téléphone"),
        ({"phone": "<script>alert(1)</script>"}, "Indiquez un numéro de téléphone"),
        ({"name": ""}, "Ce champ est obligatoire"),
        ({"name": "DUPONT\r\nJosette"}, ""),
        ({"relationship": "x" * 101}, "100"),
    ],
    ids=["no-box", "no-phone", "short-phone", "markup-phone", "no-name", "two-lines", "too-long"],
)
def test_a_refused_person_changes_nothing(dupont, world, change, message):
    before = fingerprint()
    response = dupont.post(people_url(world.paolo), {**MAMIE, **change})
    assert response.status_code == 400 and message in page_text(response)
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert fingerprint() == before


def test_a_refused_edit_changes_nothing(dupont, world):
    person = AuthorisedPerson.objects.create(
        child=world.paolo, name="Josette", relationship="grand-mère", phone="0612345678"
    )
    before = fingerprint()
    response = dupont.post(edit_url(person), {**MAMIE, "phone": "pas un numéro"})
    assert response.status_code == 400 and "Modifier : Josette" in page_text(response)
    assert fingerprint() == before


def test_another_familys_people_are_not_found(client, world):
    person = AuthorisedPerson.objects.create(
        child=world.paolo, name="Josette", relationship="grand-mère", phone="0612345678"
    )
    client.force_login(world.martin)
    before = fingerprint()
    assert client.get(people_url(world.paolo)).status_code == 404
    assert client.post(people_url(world.paolo), MAMIE).status_code == 404
    assert client.get(edit_url(person)).status_code == 404
    assert client.post(edit_url(person), MAMIE).status_code == 404
    assert client.post(delete_url(person)).status_code == 404
    # MARTIN's own child in the URL, DUPONT's person id: still not found.
    other = reverse("family:authorised_person_delete", kwargs={"pk": world.leo.pk, "person": person.pk})
    assert client.post(other).status_code == 404
    assert fingerprint() == before


def test_a_person_belongs_to_one_child_only(dupont, world):
    """Paolo's person reached through his sister's URL is a 404 (the id alone is not enough)."""
    person = AuthorisedPerson.objects.create(
        child=world.paolo, name="Josette", relationship="grand-mère", phone="0612345678"
    )
    url = reverse("family:authorised_person_edit", kwargs={"pk": world.amalia.pk, "person": person.pk})
    assert dupont.get(url).status_code == 404
    assert dupont.post(url + "retirer/").status_code == 404
    assert AuthorisedPerson.objects.filter(pk=person.pk).exists()


def test_delete_refuses_get(dupont, world):
    person = AuthorisedPerson.objects.create(
        child=world.paolo, name="Josette", relationship="grand-mère", phone="0612345678"
    )
    assert dupont.get(delete_url(person)).status_code == 405
    assert AuthorisedPerson.objects.filter(pk=person.pk).exists()
