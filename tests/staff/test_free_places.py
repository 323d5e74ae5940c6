"""Issue 18 point 3: places that free up are offered. After a cancellation, a
capacity change or a refusal, a day with free places and a waiting list shows
« N place(s) libre(s) » with the first families waiting and a one-click
« Attribuer » (htmx, reason pre-filled and editable, through
staff_actions.staff_promote, audited), and says why nobody was promoted
automatically when the cancellation délai has passed. Lowering the places
below the children booked is refused with their number, unless staff choose
who goes to the waiting list (staff_actions.change_places). Every booking is
made and changed through the engine."""

import contextlib
import datetime

import pytest
import time_machine
from django.urls import reverse

from portail.booking import staff_actions
from portail.booking.calendar import cancellation_deadline
from portail.booking.errors import BookingError
from portail.booking.models import (
    AuditSource,
    Booking,
    BookingAudit,
    BookingStatus,
    Movement,
    MovementKind,
    OpeningAudit,
)
from portail.notifications.models import OutboxEmail
from portail.structures.models import Opening
from tests import factories as f
from tests.helpers import page_text
from tests.staff.conftest import DAY, NOW, statuses, visible_text
from tests.staff.test_planning import messages_of

PLANNING = reverse("staff:planning")
NO_AUTO = (
    "Pas de promotion automatique : le délai d'annulation de ce jour est dépassé "
    "(les familles ne pourraient plus annuler)."
)


@pytest.fixture
def booked(world):
    """APS MATIN on DAY, 3 places: three children booked, then two waiting
    (ATTENTE0 first), all through the engine, on NOW (within the délais)."""
    world.aps_a.capacity, world.aps_a.waiting_list_capacity = 3, 5
    world.aps_a.save()
    children = [world.paolo]
    for n in range(4):
        account = f.UserFactory(username=f"famille{n}", email=f"famille{n}@example.org")
        family = f.FamilyFactory(structure=world.a, last_name=f"FAMILLE{n}", accounts=[account])
        children.append(f.ChildFactory(family=family, first_name=f"Enfant{n}", last_name=f"FAMILLE{n}"))
    account = f.UserFactory(username="attente0", email="attente0@example.org")
    waiting_family = f.FamilyFactory(structure=world.a, last_name="ATTENTE0", accounts=[account])
    children.append(f.ChildFactory(family=waiting_family, first_name="Premier", last_name="ATTENTE0"))
    # booked in this order: Paolo, FAMILLE0, FAMILLE1 get the places; FAMILLE2, FAMILLE3, ATTENTE0 wait
    bookings = []
    for child in children:
        if child != world.paolo:
            f.EnrolmentFactory(child=child, activity=world.aps_a)
        bookings.append(
            staff_actions.staff_book(child, world.aps_a, DAY, actor=world.staff_a, reason="Guichet", now=NOW)
        )
    assert [b.status for b in bookings] == [BookingStatus.ACCEPTED] * 3 + [BookingStatus.WAITLISTED] * 3
    return bookings


def opening(world):
    return Opening.objects.select_related("activity").get(activity=world.aps_a, date=DAY)


def counters_match_rows(world):
    o = Opening.objects.get(activity=world.aps_a, date=DAY)
    rows = Booking.objects.filter(activity=world.aps_a, date=DAY)
    return (o.accepted_count, o.waitlisted_count) == (
        rows.filter(status=BookingStatus.ACCEPTED).count(),
        rows.filter(status=BookingStatus.WAITLISTED).count(),
    )


@contextlib.contextmanager
def after_the_cancellation_deadline(world, staff=None):
    """A minute after the day's cancellation délai (logged in again: a session lasts 12 hours)."""
    with time_machine.travel(cancellation_deadline(world.aps_a, DAY) + datetime.timedelta(minutes=1), tick=False):
        if staff is not None:
            staff.force_login(world.staff_a)
        yield


def test_a_place_freed_after_the_deadline_is_offered_and_given_in_one_click(staff, world, booked):
    paolo, *_, first_waiting, second_waiting, third_waiting = booked
    with after_the_cancellation_deadline(world, staff):
        promoted = staff_actions.staff_cancel(paolo, actor=world.staff_a, reason="Malade")
        assert promoted == []  # nobody could cancel that day any more: no automatic promotion
        response = staff.get(PLANNING, {"date": DAY.isoformat()})
        text, html = visible_text(response), page_text(response)
        assert "1 place libre" in text
        assert NO_AUTO in text
        offer = html.split('data-testid="free-places"')[1].split("</div>")[0]
        # only the first family waiting is offered the one free place
        assert "FAMILLE2 Enfant2" in offer and "FAMILLE3" not in offer and "ATTENTE0" not in offer
        assert 'value="Place libérée : attribuée par Alice AGENT"' in offer
        assert f'hx-post="{reverse("staff:promote")}"' in offer

        # the one click, as htmx sends it, with the reason edited by the clerk
        response = staff.post(
            reverse("staff:promote"),
            {"reservation": first_waiting.pk, "motif": "Place libérée : attribuée par Alice (appel de la mère)"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        section = visible_text(response)
        assert "FAMILLE2 Enfant2 a obtenu une place le lun. 07/12." in section
        assert "place libre" not in section  # nothing left to offer
        assert response.content.decode().lstrip().startswith("<section")  # only the activity's section
    assert statuses([first_waiting, second_waiting, third_waiting]) == [
        BookingStatus.ACCEPTED, BookingStatus.WAITLISTED, BookingStatus.WAITLISTED,
    ]  # fmt: skip
    audit = BookingAudit.objects.get(booking=first_waiting, to_status=BookingStatus.ACCEPTED)
    assert (audit.actor, audit.source, audit.note) == (
        world.staff_a, AuditSource.STAFF, "Place libérée : attribuée par Alice (appel de la mère)",
    )  # fmt: skip
    assert counters_match_rows(world)
    assert OutboxEmail.objects.filter(kind="liste-attente", to="famille2@example.org").count() == 1


def test_before_the_deadline_a_freed_place_goes_to_the_waiting_list_by_itself(staff, world, booked):
    paolo, *_, first_waiting, _second, _third = booked
    promoted = staff_actions.staff_cancel(paolo, actor=world.staff_a, reason="Malade", now=NOW)
    assert promoted == [first_waiting]
    text = visible_text(staff.get(PLANNING, {"date": DAY.isoformat()}))
    assert "place libre" not in text and "Pas de promotion automatique" not in text
    assert "Ajouter des places les attribue aussitôt à la liste d'attente, dans l'ordre, tant que" in text


def test_raising_the_places_after_the_deadline_offers_them_and_the_help_says_so(staff, world, booked):
    with after_the_cancellation_deadline(world, staff):
        text = visible_text(staff.get(PLANNING, {"date": DAY.isoformat()}))
        # the old help text promised an automatic promotion that the engine does not make any more
        assert "les attribue aussitôt" not in text
        assert "Le délai d'annulation de ce jour est dépassé : des places ajoutées restent libres" in text
        response = staff.post(
            reverse("staff:capacity"),
            {"activite": world.aps_a.pk, "date": DAY, "places": "5", "places_attente": "", "motif": "Renfort"},
            follow=True,
        )
        assert "promu" not in " ".join(messages_of(response))
        text, html = visible_text(response), page_text(response)
        assert "2 places libres" in text and NO_AUTO in text
        offer = html.split('data-testid="free-places"')[1].split("</div>")[0]
        assert "FAMILLE2 Enfant2" in offer and "FAMILLE3 Enfant3" in offer and "ATTENTE0" not in offer
    assert Opening.objects.get(activity=world.aps_a, date=DAY).accepted_count == 3


def test_lowering_the_places_below_the_children_booked_is_refused_with_their_number(staff, world, booked):
    before = (list(statuses(booked)), OpeningAudit.objects.count(), Movement.objects.count())
    response = staff.post(
        reverse("staff:capacity"),
        {"activite": world.aps_a.pk, "date": DAY, "places": "1", "places_attente": "", "motif": "Animateur malade"},
        follow=True,
    )
    assert (
        "Places non modifiées : 3 enfants ont déjà une place : indiquez au moins 3 places, "
        "ou choisissez qui passe en liste d'attente."
    ) in messages_of(response)
    assert opening(world).capacity is None  # unchanged: the activity's 3
    assert (list(statuses(booked)), OpeningAudit.objects.count(), Movement.objects.count()) == before
    # the engine says the same to any caller, with the number booked
    with pytest.raises(staff_actions.TooFewPlaces) as refused:
        staff_actions.change_places(
            opening(world), capacity=2, waiting_list_capacity=None, actor=world.staff_a, reason="x", now=NOW
        )
    assert refused.value.booked == 3
    # the planning offers the choice, and its help says what lowering needs
    html = page_text(staff.get(PLANNING, {"date": DAY.isoformat()}))
    assert 'name="liste_attente"' in html and "3 enfants ont une place" in html


def test_staff_choose_who_goes_to_the_waiting_list_and_they_come_back_first(staff, world, booked):
    paolo, famille0, famille1, waiting2, waiting3, attente0 = booked
    data = {"activite": world.aps_a.pk, "date": DAY, "places": "1", "places_attente": "", "motif": "Animateur malade"}
    # one child chosen for two places missing: refused, nothing changes
    response = staff.post(reverse("staff:capacity"), {**data, "liste_attente": [famille1.pk]}, follow=True)
    assert "choisissez exactement 2 enfants" in " ".join(messages_of(response))
    assert statuses(booked)[:3] == [BookingStatus.ACCEPTED] * 3 and opening(world).capacity is None

    response = staff.post(reverse("staff:capacity"), {**data, "liste_attente": [famille1.pk, famille0.pk]}, follow=True)
    said = " ".join(messages_of(response))
    assert "2 enfants passés en liste d'attente" in said
    assert statuses(booked) == [BookingStatus.ACCEPTED] + [BookingStatus.WAITLISTED] * 5
    assert opening(world).capacity == 1 and counters_match_rows(world)
    # the moved children booked before anyone waiting: they are first, in their booking order
    text = visible_text(staff.get(PLANNING, {"date": DAY.isoformat()}))
    assert "1 FAMILLE0 Enfant0" in text and "2 FAMILLE1 Enfant1" in text and "3 FAMILLE2 Enfant2" in text
    for booking in (famille0, famille1):
        audit = BookingAudit.objects.get(booking=booking, to_status=BookingStatus.WAITLISTED)
        assert (audit.from_status, audit.actor, audit.note) == (
            BookingStatus.ACCEPTED, world.staff_a, "Animateur malade",
        )  # fmt: skip
        movement = Movement.objects.get(booking=booking, outcome=BookingStatus.WAITLISTED)
        assert movement.kind == MovementKind.BOOK and movement.created_by == world.staff_a
    notice = OutboxEmail.objects.get(to="famille0@example.org", kind="liste-attente")
    assert "FAMILLE0 Enfant0 : position 1" in notice.body_text and "Animateur malade" in notice.body_text
    # a place freed while the families can still cancel goes to the first of them
    promoted = staff_actions.staff_cancel(paolo, actor=world.staff_a, reason="Malade", now=NOW)
    assert promoted == [famille0]
    assert counters_match_rows(world)


def test_moving_a_child_who_has_no_place_is_refused(world, booked):
    paolo, famille0, famille1, waiting2, *_ = booked
    before = statuses(booked)
    with pytest.raises(BookingError, match="n'a plus de place"):
        staff_actions.change_places(
            opening(world), capacity=1, waiting_list_capacity=None, actor=world.staff_a, reason="x",
            to_waiting_list=[famille0.pk, waiting2.pk], now=NOW,
        )  # fmt: skip
    assert statuses(booked) == before and counters_match_rows(world)


def test_hostile_waiting_list_choices_are_refused_without_a_500(staff, world, booked):
    data = {"activite": world.aps_a.pk, "date": DAY, "places": "1", "places_attente": "", "motif": "x"}
    for bad in (["abc"], ["0"], ["-1"], ["1e3"], ["99999999999999999999"]):
        response = staff.post(reverse("staff:capacity"), {**data, "liste_attente": bad})
        assert response.status_code in (400, 404)
    assert statuses(booked)[:3] == [BookingStatus.ACCEPTED] * 3
    # a booking of another structure is not one of the day's places
    other = f.ChildFactory(family=world.family_b)
    f.EnrolmentFactory(child=other, activity=world.alsh_b)
    foreign = staff_actions.staff_book(other, world.alsh_b, datetime.date(2026, 12, 9), actor=world.staff_b,
                                       reason="Guichet", now=NOW)  # fmt: skip
    response = staff.post(reverse("staff:capacity"), {**data, "liste_attente": [foreign.pk, booked[1].pk]}, follow=True)
    assert "n'a plus de place" in " ".join(messages_of(response))
    assert Booking.objects.get(pk=foreign.pk).status == BookingStatus.ACCEPTED


def test_the_admins_opening_form_refuses_places_below_the_children_booked(client, world, booked):
    client.force_login(world.staff_a)
    o = opening(world)
    url = reverse("admin:structures_opening_change", args=[o.pk])
    data = {"activity": world.aps_a.pk, "date": DAY.isoformat(), "capacity": "1", "waiting_list_capacity": ""}
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the refusal
    text = visible_text(response)
    assert "3 enfants ont déjà une place : indiquez au moins 3 places" in text
    assert "Planning du jour" in text
    assert opening(world).capacity is None and counters_match_rows(world)
    # enough places: saved through the engine
    response = client.post(url, {**data, "capacity": "4"})
    assert response.status_code == 302 and opening(world).capacity == 4
