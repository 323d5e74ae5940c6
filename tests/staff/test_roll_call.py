"""B6 roll call: one tap records the consommation at once (htmx returns the
row), without JavaScript the form posts and comes back; walk-ins; validation."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from portail.booking.models import BookingStatus, Consumption
from tests import factories as f
from tests.helpers import make_booking, page_text
from tests.staff.conftest import DAY, visible_text

ROLL_CALL = reverse("staff:roll_call")
MARK = reverse("staff:mark")


@pytest.fixture(autouse=True)
def frozen_time():
    """The roll call is done on the day itself (issue 18 point 5: never a day to come): noon of DAY."""
    with time_machine.travel(timezone.make_aware(datetime.datetime.combine(DAY, datetime.time(12, 0))), tick=False):
        yield


@pytest.fixture
def evening(world):
    """GARDERIE SOIR (à horaires, 16:30–18:30 by 15 min) on DAY: Paolo booked 16:45–18:00."""
    activity = f.ActivityFactory(
        structure=world.a, name="GARDERIE SOIR", code="GS", has_times=True, earliest_time=datetime.time(16, 30),
        latest_time=datetime.time(18, 30), time_step_minutes=15,
    )  # fmt: skip
    f.OpeningFactory(activity=activity, date=DAY)
    f.EnrolmentFactory(child=world.paolo, activity=activity)
    f.EnrolmentFactory(child=world.amalia, activity=activity)
    make_booking(
        child=world.paolo, activity=activity, date=DAY, status=BookingStatus.ACCEPTED,
        arrival=datetime.time(16, 45), departure=datetime.time(18, 0),
    )  # fmt: skip
    return activity


def mark(client, child, activity, presence, htmx=True, **extra):
    data = {"enfant": child.pk, "activite": activity.pk, "date": DAY.isoformat(), "presence": presence, **extra}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(MARK, data, headers=headers)


def test_roll_call_lists_the_accepted_children_only(staff, world, full_day):
    response = staff.get(ROLL_CALL, {"date": DAY.isoformat(), "activite": world.aps_a.pk})
    rows = visible_text(response).split("Ajouter un enfant venu sans réservation")[0]
    assert "DUPONT Paolo" in rows and "ATTENTE0" not in rows and "Non pointé" in rows
    assert 'hx-post="/gestion/pointage/marquer/"' in page_text(response)
    assert "vendor/htmx.min.js" in page_text(response)


def test_roll_call_without_an_activity_offers_the_open_ones(staff, world, full_day):
    text = visible_text(staff.get(ROLL_CALL, {"date": DAY.isoformat()}))
    assert "APS MATIN" in text and "RESTAURATION" not in text


def test_a_tap_saves_at_once_and_returns_the_row(staff, world, full_day):
    response = mark(staff, world.paolo, world.aps_a, "present")
    assert response.status_code == 200
    consumption = Consumption.objects.get(child=world.paolo, activity=world.aps_a, date=DAY)
    assert (consumption.present, consumption.recorded_by, consumption.arrival) == (True, world.staff_a, None)
    html = page_text(response)
    assert "Enregistré : présent à 12:00" in html  # the time of the tap
    assert f'hx-swap-oob="innerHTML:#statut-{world.paolo.pk}"' in html
    assert 'value="present" class="roll-button roll-button--present"' in html and 'aria-pressed="true"' in html

    # a second tap corrects the first: still one consommation
    response = mark(staff, world.paolo, world.aps_a, "absent")
    assert "Enregistré : absent à 12:00" in page_text(response)
    assert Consumption.objects.get(child=world.paolo, activity=world.aps_a, date=DAY).present is False
    assert Consumption.objects.count() == 1


def test_without_javascript_the_form_posts_and_comes_back(staff, world, full_day):
    response = mark(staff, world.paolo, world.aps_a, "present", htmx=False)
    assert response.status_code == 302
    assert response["Location"] == f"{ROLL_CALL}?date={DAY}&activite={world.aps_a.pk}#ligne-{world.paolo.pk}"
    text = visible_text(staff.get(response["Location"]))
    assert "Enregistré : présent à 12:00" in text


def test_times_default_to_the_booking_and_can_be_changed(staff, world, evening):
    html = page_text(staff.get(ROLL_CALL, {"date": DAY.isoformat(), "activite": evening.pk}))
    assert '<option value="16:45" selected>' in html and '<option value="18:00" selected>' in html
    assert "Enregistrer les horaires" in html

    mark(staff, world.paolo, evening, "present")
    consumption = Consumption.objects.get(child=world.paolo, activity=evening)
    assert (consumption.arrival, consumption.departure) == (datetime.time(16, 45), datetime.time(18, 0))

    response = mark(staff, world.paolo, evening, "present", arrivee="17:00", depart="18:30")
    assert "(horaires 17:00 – 18:30)" in page_text(response)
    consumption.refresh_from_db()
    assert (consumption.arrival, consumption.departure) == (datetime.time(17, 0), datetime.time(18, 30))

    response = mark(staff, world.paolo, evening, "present", arrivee="17:05", depart="18:30")
    assert "Horaires à choisir par pas de 15 minutes" in page_text(response)
    consumption.refresh_from_db()
    assert consumption.arrival == datetime.time(17, 0)

    mark(staff, world.paolo, evening, "absent", arrivee="17:00", depart="18:30")
    consumption.refresh_from_db()
    assert (consumption.present, consumption.arrival, consumption.departure) == (False, None, None)


def test_a_child_who_came_without_a_booking_can_be_added(staff, world, evening):
    html = page_text(staff.get(ROLL_CALL, {"date": DAY.isoformat(), "activite": evening.pk}))
    assert "Ajouter un enfant venu sans réservation" in html
    found = html.split('data-testid="roll-found"')[1]
    assert f'name="enfant" value="{world.amalia.pk}"' in found and "DUPONT Amalia" in found
    assert f'name="enfant" value="{world.paolo.pk}"' not in found
    response = mark(staff, world.amalia, evening, "present", htmx=False, arrivee="17:30", depart="18:30")
    assert response.status_code == 302
    consumption = Consumption.objects.get(child=world.amalia, activity=evening)
    assert consumption.present and consumption.arrival == datetime.time(17, 30)
    text = visible_text(staff.get(ROLL_CALL, {"date": DAY.isoformat(), "activite": evening.pk}))
    assert "DUPONT Amalia 7 ans · sans réservation" in text


def test_a_child_neither_booked_nor_enrolled_is_refused(staff, world, full_day):
    response = mark(staff, world.leo, world.aps_a, "present")
    assert response.status_code == 400
    assert "non inscrit à cette activité ce jour" in page_text(response)
    assert not Consumption.objects.exists()


@pytest.mark.parametrize(
    "change, status",
    [({"date": "2026-02-30"}, 400), ({"date": ""}, 400), ({"presence": "peut-être"}, 400), ({"enfant": "x"}, 404),
     ({"activite": "999999"}, 404), ({"arrivee": "7h"}, 400)],
)  # fmt: skip
def test_malformed_marks_are_refused(staff, world, evening, change, status):
    data = {"enfant": world.paolo.pk, "activite": evening.pk, "date": DAY.isoformat(), "presence": "present", **change}
    response = staff.post(MARK, data)
    assert response.status_code == status
    assert not Consumption.objects.exists()
