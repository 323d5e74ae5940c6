"""The activity's age groups in the admin (issue 18 point 9): an inline in
French, ranges that must not overlap, checked over the rows posted together."""

from django.urls import reverse

from portail.structures.models import AgeGroup
from tests.helpers import page_text


def activity_form(activity, groups):
    data = {
        "structure": activity.structure_id, "name": activity.name, "code": activity.code, "colour": activity.colour,
        "is_limited": "on", "capacity": "30", "waiting_list_capacity": "5", "booking_deadline_days": "2",
        "booking_deadline_time": "10:00", "booking_deadline_count": "calendar", "cancellation_deadline_days": "2",
        "cancellation_deadline_time": "10:00", "cancellation_deadline_count": "calendar",
        "booking_period_start": "01/09/2026", "booking_period_end": "03/07/2027",
        "age_groups-TOTAL_FORMS": str(len(groups)), "age_groups-INITIAL_FORMS": "0",
    }  # fmt: skip
    for n, (name, low, high, places) in enumerate(groups):
        data.update({
            f"age_groups-{n}-name": name, f"age_groups-{n}-min_age": str(low), f"age_groups-{n}-max_age": str(high),
            f"age_groups-{n}-capacity": str(places), f"age_groups-{n}-waiting_list_capacity": "2",
        })  # fmt: skip
    return data


def test_the_activity_form_shows_its_age_groups_in_french(client, world):
    client.force_login(world.staff_a)
    html = page_text(client.get(reverse("admin:structures_activity_change", args=[world.aps_a.pk])))
    assert "groupes d'âge (places par âge, le jour même)" in html.lower()
    assert "âge minimum (ans)" in html.lower() and "âge maximum (ans)" in html.lower()


def test_overlapping_groups_are_refused_together(client, world):
    client.force_login(world.staff_a)
    url = reverse("admin:structures_activity_change", args=[world.aps_a.pk])
    response = client.post(url, activity_form(world.aps_a, [("Petits", 3, 6, 8), ("Grands", 6, 11, 12)]))
    assert response.status_code == 200 and "Les âges de deux groupes se chevauchent." in page_text(response)
    assert not AgeGroup.objects.exists()
    response = client.post(url, activity_form(world.aps_a, [("Petits", 3, 5, 8), ("Grands", 6, 11, 12)]))
    assert response.status_code == 302
    assert list(AgeGroup.objects.values_list("name", "min_age", "max_age", "capacity")) == [
        ("Petits", 3, 5, 8),
        ("Grands", 6, 11, 12),
    ]
    world.aps_a.refresh_from_db()
    assert world.aps_a.has_age_groups


def test_a_range_upside_down_is_refused(client, world):
    client.force_login(world.staff_a)
    url = reverse("admin:structures_activity_change", args=[world.aps_a.pk])
    response = client.post(url, activity_form(world.aps_a, [("Ados", 14, 12, 8)]))
    assert response.status_code == 200 and "L'âge maximum doit être au moins l'âge minimum." in page_text(response)
    assert not AgeGroup.objects.exists()


def test_two_groups_changed_together_may_trade_ages(client, world):
    """Petits 3–5 and Grands 6–11 become 3–6 and 7–11 in one save: each new
    range overlaps a saved one, not the other new one."""
    petits = AgeGroup.objects.create(activity=world.aps_a, name="Petits", min_age=3, max_age=5, capacity=8)
    grands = AgeGroup.objects.create(activity=world.aps_a, name="Grands", min_age=6, max_age=11, capacity=12)
    client.force_login(world.staff_a)
    data = activity_form(world.aps_a, [("Petits", 3, 6, 8), ("Grands", 7, 11, 12)])
    data.update({"age_groups-INITIAL_FORMS": "2", "age_groups-0-id": petits.pk, "age_groups-1-id": grands.pk,
                 "age_groups-0-activity": world.aps_a.pk, "age_groups-1-activity": world.aps_a.pk})  # fmt: skip
    response = client.post(reverse("admin:structures_activity_change", args=[world.aps_a.pk]), data)
    assert response.status_code == 302
    assert list(AgeGroup.objects.values_list("name", "min_age", "max_age")) == [("Petits", 3, 6), ("Grands", 7, 11)]
