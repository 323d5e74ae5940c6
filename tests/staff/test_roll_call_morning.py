"""The roll call of the real morning (issue 18 point 5): only today and past
days (a day before yesterday asks "Vous pointez le lun. 23/11 : confirmer"),
"Tous présents" then the exceptions, live counts (présents / absents /
attendus) sent back with every tap, filters by school class and age band, and
a child who came without a booking found by name and added on the spot.
Bookings are made by the engine (booking.staff_actions.staff_book)."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from portail.booking.models import Consumption
from portail.booking.staff_actions import staff_book
from tests import factories as f
from tests.helpers import page_text
from tests.staff.conftest import visible_text

ROLL_CALL = reverse("staff:roll_call")
MARK = reverse("staff:mark")
ALL_PRESENT = "/gestion/pointage/tous-presents/"  # staff:all_present, literal: a bookmarked address
HTMX = {"HX-Request": "true"}

TODAY = datetime.date(2026, 11, 25)  # a Wednesday
YESTERDAY = TODAY - datetime.timedelta(days=1)
BEFORE_YESTERDAY = TODAY - datetime.timedelta(days=2)  # lun. 23/11
TOMORROW = TODAY + datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def frozen_time():
    """08:00 on TODAY, the morning's roll call (overrides the staff suite's clock)."""
    with time_machine.travel(timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(8, 0))), tick=False):
        yield


@pytest.fixture
def morning(world):
    """APS MATIN open from lun. 23/11 to jeu. 26/11; booked by staff every day:
    Paolo (9, CE2), Amalia (7, CP), Lina (4, MS), Noé (5, GS). Léo (CE2) is
    enrolled but not booked: he may come without a booking."""
    world.aps_a.capacity = 20
    world.aps_a.save()
    world.paolo.school_class, world.amalia.school_class, world.leo.school_class = "CE2", "CP", "CE2"
    for child in (world.paolo, world.amalia, world.leo):
        child.save()
    family = f.FamilyFactory(structure=world.a, reference="PET", last_name="PETIT")
    lina = f.ChildFactory(family=family, first_name="Lina", last_name="PETIT", birth_date=datetime.date(2022, 3, 1),
                          school_class="MS")  # fmt: skip
    noe = f.ChildFactory(family=family, first_name="Noé", last_name="PETIT", birth_date=datetime.date(2021, 1, 10),
                         school_class="GS")  # fmt: skip
    for child in (world.amalia, world.leo, lina, noe):
        f.EnrolmentFactory(child=child, activity=world.aps_a)
    booked = [world.paolo, world.amalia, lina, noe]
    for day in (BEFORE_YESTERDAY, YESTERDAY, TODAY, TOMORROW):
        f.OpeningFactory(activity=world.aps_a, date=day)
        for child in booked:
            staff_book(child, world.aps_a, day, actor=world.staff_a, reason="Inscription de rentrée")
    world.lina, world.noe = lina, noe
    return world


def query(day, **extra):
    return {"date": day.isoformat(), "activite": extra.pop("activite", None), **extra}


def tap(client, world, child, presence, day=TODAY, htmx=True, **extra):
    data = {"enfant": child.pk, "activite": world.aps_a.pk, "date": day.isoformat(), "presence": presence, **extra}
    return client.post(MARK, data, headers=HTMX if htmx else {})


def marks(world, day=TODAY):
    return {c.child.first_name: c.present for c in Consumption.objects.filter(activity=world.aps_a, date=day)}


# ---------------------------------------------------------------- which days


def test_a_day_to_come_is_refused_in_french_and_changes_nothing(staff, morning):
    w = morning
    for params in (query(TOMORROW, activite=w.aps_a.pk), query(TOMORROW)):
        response = staff.get(ROLL_CALL, {k: v for k, v in params.items() if v is not None})
        assert response.status_code == 400
        assert "Le jeu. 26/11 est à venir : le pointage se fait le jour même ou pour un jour passé." in visible_text(
            response
        )
    response = tap(staff, w, w.paolo, "present", day=TOMORROW)
    assert response.status_code == 400 and response["Content-Type"].startswith("text/plain")
    assert page_text(response) == "Le jeu. 26/11 est à venir : le pointage se fait le jour même ou pour un jour passé."
    response = staff.post(ALL_PRESENT, {"activite": w.aps_a.pk, "date": TOMORROW.isoformat()})
    assert response.status_code == 400
    assert not Consumption.objects.exists()


@pytest.mark.parametrize("day", ["1900-01-01", "2101-01-01", "2026-02-30"])
def test_a_day_outside_the_window_is_a_french_400(staff, morning, day):
    message = "Date invalide : indiquez un jour entre le 01/01/2000 et le 31/12/2100."
    response = staff.get(ROLL_CALL, {"date": day, "activite": morning.aps_a.pk})
    assert response.status_code == 400 and message in visible_text(response)
    response = staff.post(MARK, {"enfant": morning.paolo.pk, "activite": morning.aps_a.pk, "date": day,
                                 "presence": "present"}, headers=HTMX)  # fmt: skip
    assert response.status_code == 400 and page_text(response) == message
    response = staff.post(ALL_PRESENT, {"activite": morning.aps_a.pk, "date": day})
    assert response.status_code == 400 and message in visible_text(response)
    assert not Consumption.objects.exists()


def test_today_and_yesterday_need_no_confirmation(staff, morning):
    for day in (TODAY, YESTERDAY):
        text = visible_text(staff.get(ROLL_CALL, query(day, activite=morning.aps_a.pk)))
        assert "Vous pointez le" not in text and "DUPONT Paolo" in text
        assert tap(staff, morning, morning.paolo, "present", day=day).status_code == 200
        assert marks(morning, day) == {"Paolo": True}


def test_a_day_before_yesterday_asks_for_a_confirmation_first(staff, morning):
    w = morning
    response = staff.get(ROLL_CALL, query(BEFORE_YESTERDAY, activite=w.aps_a.pk))
    text = visible_text(response)
    assert "Vous pointez le lun. 23/11 : confirmer" in text
    assert "DUPONT Paolo" not in text and "Tous présents" not in text

    # a tap that skipped the page is refused, nothing recorded
    response = tap(staff, w, w.paolo, "present", day=BEFORE_YESTERDAY)
    assert response.status_code == 400
    assert "Vous pointez le lun. 23/11, un jour passé : confirmez d'abord ce jour" in page_text(response)
    assert staff.post(ALL_PRESENT, {"activite": w.aps_a.pk, "date": BEFORE_YESTERDAY.isoformat()}).status_code == 400
    assert not Consumption.objects.exists()

    # the "confirmer" link opens the roll call, whose taps carry the confirmation
    confirm = response_link(page_text(staff.get(ROLL_CALL, query(BEFORE_YESTERDAY, activite=w.aps_a.pk))))
    assert "confirmer=1" in confirm
    page = page_text(staff.get(confirm))
    assert "DUPONT Paolo" in page and '<input type="hidden" name="confirmer" value="1">' in page
    assert tap(staff, w, w.paolo, "absent", day=BEFORE_YESTERDAY, confirmer="1").status_code == 200
    assert marks(w, BEFORE_YESTERDAY) == {"Paolo": False}


def response_link(html):
    """The href of the confirmation's "confirmer" button."""
    part = html.split('data-testid="roll-confirm"')[1]
    return part.split('href="')[1].split('"')[0]


# ---------------------------------------------------------------- Tous présents and live counts


def test_live_counts_come_back_with_every_tap(staff, morning):
    w = morning
    text = visible_text(staff.get(ROLL_CALL, query(TODAY, activite=w.aps_a.pk)))
    assert "Présents : 0 · Absents : 0 · Attendus : 4 · Non pointés : 4" in text

    response = tap(staff, w, w.paolo, "present")
    html = page_text(response)
    assert '<div id="compteurs" class="roll-counts" hx-swap-oob="true">' in html
    assert "Présents : 1 · Absents : 0 · Attendus : 4 · Non pointés : 3" in visible_text(response)

    response = tap(staff, w, w.amalia, "absent")
    assert "Présents : 1 · Absents : 1 · Attendus : 4 · Non pointés : 2" in visible_text(response)
    response = tap(staff, w, w.paolo, "absent")  # a correction moves the count
    assert "Présents : 0 · Absents : 2 · Attendus : 4 · Non pointés : 2" in visible_text(response)


def test_all_present_marks_the_children_not_marked_then_staff_tap_the_exceptions(staff, morning):
    w = morning
    tap(staff, w, w.amalia, "absent")  # told by her parents before the button
    response = staff.post(ALL_PRESENT, {"activite": w.aps_a.pk, "date": TODAY.isoformat()}, headers=HTMX)
    assert response.status_code == 200
    text = visible_text(response)
    assert "Tous présents : 3 enfants marqués présents." in text
    assert "Présents : 3 · Absents : 1 · Attendus : 4" in text and "Non pointés" not in text
    assert marks(w) == {"Paolo": True, "Amalia": False, "Lina": True, "Noé": True}
    assert set(Consumption.objects.values_list("recorded_by", flat=True)) == {w.staff_a.pk}
    assert 'id="pointage"' in page_text(response)  # the list htmx swaps in place

    # the exception: Noé went home ill
    response = tap(staff, w, w.noe, "absent")
    assert "Présents : 2 · Absents : 2 · Attendus : 4" in visible_text(response)
    # a second click changes nothing: everyone is marked
    response = staff.post(ALL_PRESENT, {"activite": w.aps_a.pk, "date": TODAY.isoformat()}, follow=True)
    assert "Tous présents : 0 enfant marqué présent." in visible_text(response)
    assert marks(w) == {"Paolo": True, "Amalia": False, "Lina": True, "Noé": False}


def test_all_present_without_javascript_comes_back_to_the_roll_call(staff, morning):
    w = morning
    response = staff.post(ALL_PRESENT, {"activite": w.aps_a.pk, "date": TODAY.isoformat(), "classe": "CE2"})
    assert response.status_code == 302
    assert response["Location"] == f"{ROLL_CALL}?date={TODAY}&activite={w.aps_a.pk}&classe=CE2"
    assert marks(w) == {"Paolo": True}  # the class shown only; Léo (CE2) has no booking


# ---------------------------------------------------------------- filters


def test_filters_by_class_and_by_age_band(staff, morning):
    w = morning
    html = page_text(staff.get(ROLL_CALL, query(TODAY, activite=w.aps_a.pk)))
    for school_class in ("CE2", "CP", "GS", "MS"):
        assert f'<option value="{school_class}">{school_class}</option>' in html

    text = visible_text(staff.get(ROLL_CALL, query(TODAY, activite=w.aps_a.pk, classe="CP")))
    rows = text.split("Ajouter un enfant")[0]
    assert "DUPONT Amalia" in rows and "DUPONT Paolo" not in rows and "PETIT" not in rows
    assert "Attendus : 1" in rows

    response = staff.get(ROLL_CALL, query(TODAY, activite=w.aps_a.pk, age="moins6"))
    rows = visible_text(response).split("Ajouter un enfant")[0]
    assert "PETIT Lina" in rows and "PETIT Noé" in rows and "DUPONT" not in rows
    assert "Présents : 0 · Absents : 0 · Attendus : 2 · Non pointés : 2" in rows
    # each tap keeps the filter, so the counts sent back are the group's
    assert '<input type="hidden" name="age" value="moins6">' in page_text(response)
    response = tap(staff, w, w.lina, "present", age="moins6")
    assert "Présents : 1 · Absents : 0 · Attendus : 2 · Non pointés : 1" in visible_text(response)

    # "Tous présents" on the group marks the group only
    staff.post(ALL_PRESENT, {"activite": w.aps_a.pk, "date": TODAY.isoformat(), "age": "moins6"}, headers=HTMX)
    assert marks(w) == {"Lina": True, "Noé": True}
    text = visible_text(staff.get(ROLL_CALL, query(TODAY, activite=w.aps_a.pk, age="6plus")))
    assert "Présents : 0 · Absents : 0 · Attendus : 2 · Non pointés : 2" in text


@pytest.mark.parametrize(
    "extra, message",
    [({"age": "ados"}, "Tranche d'âge inconnue."), ({"classe": "CE2\x1b[31m"}, "Classe invalide"),
     ({"classe": "C" * 51}, "Classe invalide : 50 caractères au plus."),
     ({"confirmer": "peut-être"}, "Confirmation invalide"), ({"recherche": "x" * 101}, "Recherche trop longue")],
)  # fmt: skip
def test_bad_filters_are_a_french_400(staff, morning, extra, message):
    response = staff.get(ROLL_CALL, query(TODAY, activite=morning.aps_a.pk, **extra))
    assert response.status_code == 400 and message in visible_text(response)
    if "recherche" not in extra:
        response = tap(staff, morning, morning.paolo, "present", **extra)
        assert response.status_code == 400 and message in page_text(response)
        assert not Consumption.objects.exists()


# ---------------------------------------------------------------- a child without a booking


def test_a_child_enrolled_without_a_booking_is_found_by_name_and_added(staff, morning):
    w = morning
    html = page_text(staff.get(ROLL_CALL, query(TODAY, activite=w.aps_a.pk, recherche="leo")))
    found = html.split('data-testid="roll-found"')[1].split("</ul>")[0]
    assert "MARTIN Léo" in found and f'name="enfant" value="{w.leo.pk}"' in found
    assert "DUPONT" not in found  # booked children are in the list already

    text = visible_text(staff.get(ROLL_CALL, query(TODAY, activite=w.aps_a.pk, recherche="zorro")))
    assert "Aucun enfant inscrit à l'activité ce jour ne correspond à « zorro »." in text

    response = tap(staff, w, w.leo, "present", htmx=False)
    assert response.status_code == 302
    consumption = Consumption.objects.get(child=w.leo, activity=w.aps_a, date=TODAY)
    assert consumption.present and consumption.recorded_by == w.staff_a
    text = visible_text(staff.get(response["Location"]))
    assert "MARTIN Léo" in text and "sans réservation" in text
    # a walk-in is present, but was not expected
    assert "Présents : 1 · Absents : 0 · Attendus : 4 · Non pointés : 4" in text


def test_a_child_of_another_structure_cannot_be_added(staff, morning):
    response = tap(staff, morning, morning.paolo_b, "present")
    assert response.status_code == 404
    assert not Consumption.objects.exists()
