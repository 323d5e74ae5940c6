"""Staff check what families changed (issue 17 point 1): « Modifications des
familles » and the family's admin page show each change not yet seen, with
« modifié par la famille le ven. 27/11 à 18:02 », the previous and the new
value and who; « Vu » per change or for a family. Scoped per structure;
agents and responsables, not animators."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from portail.dossier.models import FamilyChange, Guardian
from tests import factories as f
from tests.helpers import page_text

# Friday 27/11/2026, 18:02 in Paris.
CHANGED_AT = datetime.datetime(2026, 11, 27, 17, 2, tzinfo=datetime.UTC)


@pytest.fixture
def changed(world):
    """MARIE DUPONT's mobile phone changed by DUPONT (structure A), LÉO's class by MARTIN (A),
    and a change of DUPONT's family in structure B."""
    marie = Guardian.objects.create(
        family=world.family_a, last_name="DUPONT", first_name="Marie", mobile_phone="06 11 22 33 44"
    )
    dupont = Client()
    dupont.force_login(world.dupont)
    dupont.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    martin = Client()
    martin.force_login(world.martin)
    with time_machine.travel(CHANGED_AT, tick=False):
        dupont.post(
            reverse("family:dossier_guardian", args=[marie.pk]),
            {"last_name": "DUPONT", "first_name": "Marie", "mobile_phone": "07 98 76 54 32"},
        )
        martin.post(reverse("family:dossier_child", args=[world.leo.pk]), {"school_class": "CM2"})
        dupont.post(reverse("family:switch_structure"), {"family": world.family_b.pk})
        dupont.post(reverse("family:dossier_household"), {"phone": "02 98 00 00 00", "address": ""})
    assert FamilyChange.objects.count() == 3
    return marie


def _staff(world, user):
    client = Client()
    client.force_login(user)
    return client


def test_the_screen_shows_each_change_with_previous_value_when_and_who(world, changed):
    response = _staff(world, world.staff_a).get(reverse("staff:family_changes"))
    assert response.status_code == 200
    text = page_text(response)
    assert "Téléphone portable de Marie DUPONT" in text
    assert "06 11 22 33 44" in text and "07 98 76 54 32" in text
    assert "modifié par la famille le ven. 27/11 à 18:02" in text
    assert "par DUPONT Jean-Paul" in text
    assert "Classe de Léo MARTIN" in text and "CM2" in text
    # Structure B's change is not shown to structure A's agent, and the reverse.
    assert "Téléphone de la famille" not in text
    text_b = page_text(_staff(world, world.staff_b).get(reverse("staff:family_changes")))
    assert "Téléphone de la famille" in text_b and "Marie DUPONT" not in text_b
    # The menu leads there.
    assert reverse("staff:family_changes") in _staff(world, world.staff_a).get(reverse("staff:index")).content.decode()


def test_vu_marks_one_change_and_it_leaves_the_list(world, changed):
    staff = _staff(world, world.staff_a)
    change = FamilyChange.objects.get(field_key__endswith="mobile_phone")
    response = staff.post(reverse("staff:change_seen", args=[change.pk]))
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.seen_by == world.staff_a and change.seen_at is not None
    seen_at = change.seen_at
    text = page_text(staff.get(reverse("staff:family_changes")))
    assert "Téléphone portable de Marie DUPONT" not in text and "Classe de Léo MARTIN" in text
    # A second click changes nothing (the first reader stays).
    _staff(world, f.StaffFactory(username="agent.a2", structures=[world.a])).post(
        reverse("staff:change_seen", args=[change.pk])
    )
    change.refresh_from_db()
    assert change.seen_by == world.staff_a and change.seen_at == seen_at


def test_all_of_a_familys_changes_marked_seen_at_once(world, changed):
    Guardian.objects.create(family=world.family_a, last_name="DUPONT", first_name="Paul")
    FamilyChange.objects.create(family=world.family_a, field_label="Adresse de la famille", field_key="family.x")
    staff = _staff(world, world.staff_a)
    assert staff.post(reverse("staff:family_changes_seen", args=[world.family_a.pk])).status_code == 302
    assert not FamilyChange.objects.filter(family=world.family_a, seen_at__isnull=True).exists()
    # MARTIN's stays to check.
    assert FamilyChange.objects.filter(family=world.martin_a, seen_at__isnull=True).count() == 1


def test_another_structures_change_or_family_is_a_404_and_nothing_changes(world, changed):
    staff_b = _staff(world, world.staff_b)
    change_a = FamilyChange.objects.get(field_key__endswith="mobile_phone")
    for url in [
        reverse("staff:change_seen", args=[change_a.pk]),
        reverse("staff:family_changes_seen", args=[world.family_a.pk]),
        reverse("staff:change_seen", args=[2**63]),
        reverse("staff:family_changes_seen", args=[0]),
    ]:
        assert staff_b.post(url).status_code == 404
    assert not FamilyChange.objects.filter(seen_at__isnull=False).exists()


def test_get_is_refused_on_the_actions(world, changed):
    staff = _staff(world, world.staff_a)
    change = FamilyChange.objects.first()
    assert staff.get(reverse("staff:change_seen", args=[change.pk])).status_code == 405
    assert not FamilyChange.objects.filter(seen_at__isnull=False).exists()


def test_animators_parents_and_anonymous_cannot_use_it(world, changed):
    animator = f.StaffFactory(username="anim.a", structures=[world.a], staff_role="animateur")
    change = FamilyChange.objects.first()
    for client in (_staff(world, animator), _staff(world, world.dupont), Client()):
        assert client.get(reverse("staff:family_changes")).status_code in (302, 403)
        assert client.post(reverse("staff:change_seen", args=[change.pk])).status_code in (302, 403)
    assert not FamilyChange.objects.filter(seen_at__isnull=False).exists()
    responsable = f.StaffFactory(username="resp.a", structures=[world.a], staff_role="responsable")
    assert _staff(world, responsable).get(reverse("staff:family_changes")).status_code == 200


def test_the_family_admin_page_shows_the_unseen_changes_and_the_parents(world, changed):
    staff = _staff(world, world.staff_a)
    response = staff.get(reverse("admin:structures_family_change", args=[world.family_a.pk]))
    assert response.status_code == 200
    text = page_text(response)
    assert "modifié par la famille le ven. 27/11 à 18:02" in text
    assert "Téléphone portable de Marie DUPONT : 06 11 22 33 44 → " in text
    assert 'value="07 98 76 54 32"' in text  # the parent's row, in the parents' inline
    FamilyChange.objects.update(seen_at=CHANGED_AT)
    text = page_text(staff.get(reverse("admin:structures_family_change", args=[world.family_a.pk])))
    assert "Aucune modification à vérifier." in text
