"""The recap forecasts each demande (issue 14 point 3, R9, R10): "Place
disponible", "Liste d'attente probable (position N)", "Complet : sera
refusée", another refusal with the engine's reason, and "Délai d'annulation
dépassé : vous ne pourrez pas annuler" — as text in the row (not only a
colour), labelled as an estimate, escaped, in a number of queries that does
not grow with the demandes. Places already taken are taken through the engine
(staff_book), so the openings' counters are right. That each forecast is what
the confirmation records is checked in tests/booking/test_forecast.py."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portail.booking import drafts
from portail.booking.confirm import confirm_draft
from portail.booking.models import BookingStatus, DraftAction, DraftItem
from portail.booking.staff_actions import staff_book
from portail.structures.models import Opening
from tests import factories as f
from tests.helpers import page_text

# Saturday 5 December 2026, 12:00 in Paris: with the délais below, MON 07/12
# can still be booked (until the day itself, 10:00) but no longer cancelled
# (D-2: Saturday 10:00); TUE and WED can be both.
NOW = datetime.datetime(2026, 12, 5, 11, 0, tzinfo=datetime.UTC)
MON, TUE, WED = datetime.date(2026, 12, 7), datetime.date(2026, 12, 8), datetime.date(2026, 12, 9)
ESTIMATE = "Estimation d'après les places à cet instant : la confirmation décide."
LOCKED = "Délai d'annulation dépassé : vous ne pourrez pas annuler"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def scene(world):
    """APS MATIN of A open MON–WED (TUE: one place, one waiting-list place;
    WED: one place, no waiting list), RESTAURATION open MON–WED; Paolo and
    Amalia enrolled in both; Léo and a second MARTIN child fill places."""
    aps, cantine = world.aps_a, world.cantine_a
    for activity in (aps, cantine):
        activity.booking_deadline_days, activity.cancellation_deadline_days = 0, 2
        activity.save()
    for day in (TUE, WED):
        f.OpeningFactory(activity=aps, date=day)
    for day in (MON, TUE, WED):
        f.OpeningFactory(activity=cantine, date=day)
    Opening.objects.filter(activity=aps, date=TUE).update(capacity=1, waiting_list_capacity=1)
    Opening.objects.filter(activity=aps, date=WED).update(capacity=1, waiting_list_capacity=0)
    world.lina = f.ChildFactory(family=world.martin_a, first_name="Lina")
    for child, activity in ((world.amalia, aps), (world.leo, aps), (world.lina, aps)):
        f.EnrolmentFactory(child=child, activity=activity)
    for child in (world.paolo, world.amalia):
        f.EnrolmentFactory(child=child, activity=cantine)
    return world


@pytest.fixture
def parent(client, scene):
    client.force_login(scene.dupont)
    client.post(reverse("family:switch_structure"), {"family": scene.family_a.pk})
    return client


def taken(world, child, day, activity=None):
    """A place (or waiting-list place) taken by another family, through the engine."""
    return staff_book(child, activity or world.aps_a, day, actor=world.staff_a, reason="Au guichet", now=NOW)


def mark(world, child, activity, day, action=DraftAction.BOOK):
    """A demande in the DUPONT draft, as the calendar leaves it (written
    directly: the places or the délai may have changed since the day was clicked)."""
    draft = drafts.get_draft(world.family_a, world.dupont)
    return DraftItem.objects.create(draft=draft, child=child, activity=activity, date=day, action=action)


def rows(html, testid):
    """{(child, activity, day): text of the row's forecast cell} of one recap table."""
    table = re.search(rf'<table[^>]*data-testid="{testid}".*?</table>', html, re.S).group(0)
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        if cells:
            found[tuple(cells[:3])] = cells[-1]
    return found


def test_each_booking_demande_says_what_it_will_probably_get(parent, scene):
    world = scene
    taken(world, world.leo, TUE)  # TUE: the place is taken, the waiting list has room
    taken(world, world.leo, WED)  # WED: full, no waiting list
    mark(world, world.amalia, world.aps_a, MON)  # free, but past its cancellation délai
    mark(world, world.amalia, world.aps_a, TUE)
    mark(world, world.paolo, world.aps_a, WED)
    mark(world, world.paolo, world.cantine_a, TUE)  # unlimited: a place
    html = page_text(parent.get(reverse("family:recap")))
    assert ESTIMATE in html and ">Estimation<" in html
    forecast = rows(html, "recap-bookings")
    assert forecast[("Amalia", "APS MATIN", "lun. 07/12")] == f"Place disponible {LOCKED}"
    assert forecast[("Amalia", "APS MATIN", "mar. 08/12")] == "Liste d'attente probable (position 1)"
    assert forecast[("Paolo", "APS MATIN", "mer. 09/12")] == "Complet : sera refusée"
    assert forecast[("Paolo", "RESTAURATION", "mar. 08/12")] == "Place disponible"


def test_the_waiting_list_position_counts_those_already_waiting(parent, scene):
    world = scene
    Opening.objects.filter(activity=world.aps_a, date=TUE).update(waiting_list_capacity=3)
    taken(world, world.leo, TUE)
    taken(world, world.lina, TUE)  # waiting, position 1
    mark(world, world.amalia, world.aps_a, TUE)
    forecast = rows(page_text(parent.get(reverse("family:recap"))), "recap-bookings")
    assert forecast[("Amalia", "APS MATIN", "mar. 08/12")] == "Liste d'attente probable (position 2)"


def test_two_demandes_for_the_last_place_are_not_both_promised_it(parent, scene):
    """One place and one waiting-list place on TUE: the recap does not show
    "Place disponible" twice; the confirmation then places them as shown."""
    world = scene
    for child in (world.paolo, world.amalia):
        mark(world, child, world.aps_a, TUE)
    html = page_text(parent.get(reverse("family:recap")))
    shown = sorted(rows(html, "recap-bookings").values())
    assert shown == ["Liste d'attente probable (position 1)", "Place disponible"]
    draft = drafts.get_draft(world.family_a, world.dupont)
    token = re.search(r'name="jeton" value="([^"]+)"', html).group(1)
    result = confirm_draft(draft, token, user=world.dupont)
    got = {m.booking.child.first_name: m.outcome for m in result.movements}
    forecast = rows(html, "recap-bookings")
    for name, outcome in got.items():
        expected = (
            BookingStatus.ACCEPTED
            if forecast[(name, "APS MATIN", "mar. 08/12")] == "Place disponible"
            else BookingStatus.WAITLISTED
        )
        assert outcome == expected


def test_other_refusals_show_the_engines_reason(parent, scene):
    world = scene
    Opening.objects.filter(activity=world.aps_a, date=TUE).update(closed_at=NOW)
    mark(world, world.amalia, world.aps_a, TUE)  # the day was closed since it was marked
    friday = datetime.date(2026, 12, 4)
    f.OpeningFactory(activity=world.cantine_a, date=friday)
    mark(world, world.paolo, world.cantine_a, friday)  # marked the day before, now past its délai
    forecast = rows(page_text(parent.get(reverse("family:recap"))), "recap-bookings")
    assert forecast[("Amalia", "APS MATIN", "mar. 08/12")] == "Sera refusée : Activité non ouverte ce jour"
    assert forecast[("Paolo", "RESTAURATION", "ven. 04/12")] == (
        "Sera refusée : Hors délai de réservation (jusqu'au ven. 04/12 à 10:00)"
    )


def test_cancellations_say_whether_they_can_still_be_made(parent, scene):
    world = scene
    for day in (MON, TUE):
        taken(world, world.amalia, day)
    mark(world, world.amalia, world.aps_a, MON, DraftAction.CANCEL)
    mark(world, world.amalia, world.aps_a, TUE, DraftAction.CANCEL)
    forecast = rows(page_text(parent.get(reverse("family:recap"))), "recap-cancellations")
    assert forecast[("Amalia", "APS MATIN", "lun. 07/12")] == (
        "Sera refusée : Hors délai d'annulation (jusqu'au sam. 05/12 à 10:00)"
    )
    assert forecast[("Amalia", "APS MATIN", "mar. 08/12")] == "Annulation possible"


def test_the_forecast_is_escaped(parent, scene):
    world = scene
    world.aps_a.name = '<img src=x onerror="alert(1)">'
    world.aps_a.save()
    mark(world, world.amalia, world.aps_a, TUE)
    html = parent.get(reverse("family:recap")).content.decode()
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert "Place disponible" in html


def test_the_forecast_is_in_english_for_an_english_reader(parent, scene):
    world = scene
    taken(world, world.leo, TUE)
    mark(world, world.amalia, world.aps_a, TUE)
    mark(world, world.amalia, world.aps_a, MON)
    html = page_text(parent.get(reverse("family:recap"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Estimate based on the places available right now: the confirmation decides." in html
    assert "Probably on the waiting list (position 1)" in html
    assert "Cancellation deadline passed: you will not be able to cancel" in html


def test_the_recap_queries_do_not_grow_with_the_demandes(parent, scene):
    world = scene
    taken(world, world.leo, TUE)
    mark(world, world.amalia, world.aps_a, MON)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = parent.get(reverse("family:recap"))
        assert response.status_code == 200
        return len(captured), page_text(response)

    one, _ = queries()
    for day in (TUE, WED):
        mark(world, world.amalia, world.aps_a, day)
    for day in (MON, TUE, WED):
        mark(world, world.paolo, world.cantine_a, day)
    mark(world, world.amalia, world.cantine_a, TUE, DraftAction.CANCEL)
    many, html = queries()
    assert len(rows(html, "recap-bookings")) == 6 and len(rows(html, "recap-cancellations")) == 1
    assert many == one
