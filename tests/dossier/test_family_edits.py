"""« Mon dossier » (issue 17 point 1): the family changes its contacts, its
parents' and its children's details; each change applies at once and leaves
one FamilyChange per changed field (label, previous and new value, who) for
staff; names and birth dates stay read-only; another family's rows are a 404."""

import datetime

import pytest
from django.urls import reverse

from portail.dossier.models import FamilyChange, Guardian
from portail.structures.models import Child, Family
from tests.helpers import page_text


@pytest.fixture
def dupont(client, world):
    client.force_login(world.dupont)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    return client


@pytest.fixture
def marie(world):
    return Guardian.objects.create(
        family=world.family_a, civility="Mme", last_name="Dupont", first_name="Marie",
        email="marie@example.org", mobile_phone="06 11 22 33 44", account=world.dupont2,
    )  # fmt: skip


@pytest.fixture
def luc(world):
    return Guardian.objects.create(
        family=world.martin_a, last_name="MARTIN", first_name="Luc", mobile_phone="0600000000"
    )


def _guardian_data(g, **changes):
    data = {
        "civility": g.civility, "last_name": g.last_name, "first_name": g.first_name, "email": g.email,
        "mobile_phone": g.mobile_phone, "home_phone": g.home_phone, "work_phone": g.work_phone, "address": g.address,
    }  # fmt: skip
    data.update(changes)
    return data


def test_the_file_shows_household_parents_and_children_with_locked_names(dupont, world, marie):
    world.paolo.school_class = "CE2"
    world.paolo.save()
    response = dupont.get(reverse("family:dossier"))
    assert response.status_code == 200
    text = page_text(response)
    assert "Marie DUPONT" in text and "06 11 22 33 44" in text
    assert "Paolo DUPONT" in text and "02/05/2017" in text and "CE2" in text
    assert "modifiable par la structure uniquement" in text
    # The menu leads there.
    assert reverse("family:dossier") in response.content.decode()


def test_a_phone_change_applies_at_once_and_records_the_previous_value(dupont, world, marie):
    response = dupont.post(
        reverse("family:dossier_guardian", args=[marie.pk]), _guardian_data(marie, mobile_phone="07 98 76 54 32")
    )
    assert response.status_code == 302
    marie.refresh_from_db()
    assert marie.mobile_phone == "07 98 76 54 32"
    change = FamilyChange.objects.get()
    assert change.family == world.family_a
    assert change.field_label == "Téléphone portable de Marie DUPONT"
    assert change.field_key == f"guardian.{marie.pk}.mobile_phone"
    assert (change.old_value, change.new_value) == ("06 11 22 33 44", "07 98 76 54 32")
    assert change.changed_by == world.dupont
    assert change.seen_at is None


def test_one_change_per_changed_field_and_none_for_a_save_that_changes_nothing(dupont, world, marie):
    url = reverse("family:dossier_guardian", args=[marie.pk])
    assert dupont.post(url, _guardian_data(marie)).status_code == 302
    assert not FamilyChange.objects.exists()

    dupont.post(url, _guardian_data(marie, email="marie.dupont@example.org", home_phone="+33 2.98.00.00.00"))
    assert sorted(FamilyChange.objects.values_list("field_key", flat=True)) == [
        f"guardian.{marie.pk}.email",
        f"guardian.{marie.pk}.home_phone",
    ]
    # Saved again with the same values: still two.
    marie.refresh_from_db()
    dupont.post(url, _guardian_data(marie))
    assert FamilyChange.objects.count() == 2


def test_household_address_and_phone(dupont, world):
    url = reverse("family:dossier_household")
    assert dupont.get(url).status_code == 200
    dupont.post(url, {"address": "3 rue des Lilas\n29200 Brest", "phone": "02 98 00 11 22"})
    family = Family.objects.get(pk=world.family_a.pk)
    assert family.address == "3 rue des Lilas\r\n29200 Brest" or family.address == "3 rue des Lilas\n29200 Brest"
    assert family.phone == "02 98 00 11 22"
    labels = dict(FamilyChange.objects.values_list("field_label", "new_value"))
    assert labels["Téléphone de la famille"] == "02 98 00 11 22"
    assert "Adresse de la famille" in labels


def test_a_childs_class_changes_but_never_its_name_nor_birth_date(dupont, world):
    url = reverse("family:dossier_child", args=[world.paolo.pk])
    page = dupont.get(url)
    assert "modifiable par la structure uniquement" in page_text(page)
    dupont.post(url, {"school_class": "CM1", "first_name": "Pirate", "last_name": "X", "birth_date": "2010-01-01"})
    paolo = Child.objects.get(pk=world.paolo.pk)
    assert paolo.school_class == "CM1"
    assert (paolo.first_name, paolo.last_name, paolo.birth_date) == ("Paolo", "DUPONT", datetime.date(2017, 5, 2))
    change = FamilyChange.objects.get()
    assert change.child == paolo
    assert change.field_label == "Classe de Paolo DUPONT"
    assert (change.old_value, change.new_value) == ("", "CM1")


@pytest.mark.parametrize(
    "phone",
    ["12345", "06 12 34 56 78 90 12 34 56 78 9", "06<script>", "06/12/34/56/78", "06 12\n34 56 78", "٠٦١٢٣٤٥٦٧٨"],
)
def test_a_bad_phone_is_refused_and_changes_nothing(dupont, world, marie, phone):
    response = dupont.post(
        reverse("family:dossier_guardian", args=[marie.pk]), _guardian_data(marie, mobile_phone=phone)
    )
    assert response.status_code == 400
    assert "Numéro de téléphone invalide" in page_text(response)
    marie.refresh_from_db()
    assert marie.mobile_phone == "06 11 22 33 44"
    assert not FamilyChange.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [{"email": "pas-une-adresse"}, {"last_name": ""}, {"first_name": "A" * 101}, {"civility": "XYZ"},
     {"address": "x" * 501}, {"first_name": "Marie\x1b[31m"}],
)  # fmt: skip
def test_invalid_values_are_refused_and_change_nothing(dupont, world, marie, changes):
    response = dupont.post(reverse("family:dossier_guardian", args=[marie.pk]), _guardian_data(marie, **changes))
    assert response.status_code == 400
    before = Guardian.objects.filter(pk=marie.pk).values().get()
    marie.refresh_from_db()
    assert Guardian.objects.filter(pk=marie.pk).values().get() == before
    assert (marie.email, marie.first_name, marie.last_name) == ("marie@example.org", "Marie", "Dupont")
    assert not FamilyChange.objects.exists()


def test_another_familys_guardian_or_child_is_a_404_and_nothing_changes(dupont, world, luc):
    for url, data in [
        (reverse("family:dossier_guardian", args=[luc.pk]), _guardian_data(luc, mobile_phone="0711111111")),
        (reverse("family:dossier_child", args=[world.leo.pk]), {"school_class": "CM2"}),
        # DUPONT's own child in the other structure: not the family being consulted.
        (reverse("family:dossier_child", args=[world.paolo_b.pk]), {"school_class": "CM2"}),
        (reverse("family:dossier_child", args=[2**63]), {"school_class": "CM2"}),
    ]:
        assert dupont.get(url).status_code == 404
        assert dupont.post(url, data).status_code == 404
    luc.refresh_from_db()
    assert luc.mobile_phone == "0600000000"
    assert Child.objects.get(pk=world.leo.pk).school_class == ""
    assert not FamilyChange.objects.exists()


def test_a_parent_adds_themself_and_the_row_gets_their_account(dupont, world):
    url = reverse("family:dossier_guardian_new")
    assert "Il s'agit de moi" in page_text(dupont.get(url))
    data = {
        "civility": "M.",
        "last_name": "DUPONT",
        "first_name": "Jean-Paul",
        "mobile_phone": "0612345678",
        "moi": "on",
    }
    assert dupont.post(url, data).status_code == 302
    row = Guardian.objects.get(family=world.family_a)
    assert row.account == world.dupont and row.mobile_phone == "0612345678"
    assert set(FamilyChange.objects.values_list("field_key", flat=True)) == {
        f"guardian.{row.pk}.civility", f"guardian.{row.pk}.last_name", f"guardian.{row.pk}.first_name",
        f"guardian.{row.pk}.mobile_phone",
    }  # fmt: skip
    # Once listed, « c'est moi » is no longer offered (nor honoured).
    assert "Il s'agit de moi" not in page_text(dupont.get(url))
    dupont.post(url, {**data, "first_name": "Autre", "moi": "on"})
    assert Guardian.objects.get(first_name="Autre").account is None


def test_get_does_not_change_anything_and_post_needs_the_csrf_token(world, marie):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.dupont)
    url = reverse("family:dossier_guardian", args=[marie.pk])
    assert client.post(url, _guardian_data(marie, mobile_phone="0700000000")).status_code == 403
    marie.refresh_from_db()
    assert marie.mobile_phone == "06 11 22 33 44"


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("family:dossier"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
