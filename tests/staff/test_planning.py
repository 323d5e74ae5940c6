"""B6 planning of a day and the B7 actions started from it: every action goes
through the engine (places, waiting list, e-mails, audit with the staff actor)."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from portail.booking.models import (
    AuditSource,
    Booking,
    BookingAudit,
    BookingStatus,
    Movement,
    MovementKind,
    OpeningAudit,
    OpeningEvent,
)
from portail.notifications.models import OutboxEmail
from portail.structures.models import Opening
from tests import factories as f
from tests.helpers import make_booking, page_text, set_booking_status
from tests.staff.conftest import DAY, statuses, visible_text

PLANNING = reverse("staff:planning")


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_planning_lists_children_places_and_waiting_list_in_order(staff, world, full_day):
    response = staff.get(PLANNING, {"date": DAY.isoformat()})
    html, text = page_text(response), visible_text(response)
    assert "APS MATIN" in text and "1 / 1 place ·" in text
    assert "DUPONT Paolo CE2 9 ans" in text  # born 02/05/2017
    assert "liste d'attente : 3 / 5" in text
    assert "1 ATTENTE0 Enfant0" in text and "3 ATTENTE2 Enfant2" in text
    positions = [html.index(f"ATTENTE{n} Enfant{n}") for n in range(3)]
    assert positions == sorted(positions)
    assert f"?date={(DAY - datetime.timedelta(days=1)).isoformat()}" in html
    assert f"?date={(DAY + datetime.timedelta(days=1)).isoformat()}" in html
    # links to the audit of the booking and of the family
    assert reverse("staff:booking_audit", args=[full_day[0].pk]) in html
    assert reverse("staff:family_audit", args=[world.family_a.pk]) in html
    # only activities open that day: RESTAURATION is not
    assert "RESTAURATION" not in html.split("</select>")[1]


def test_planning_shows_times_of_an_activity_with_times(staff, world):
    activity = f.ActivityFactory(
        structure=world.a, name="GARDERIE SOIR", code="GS", has_times=True, earliest_time=datetime.time(16, 30),
        latest_time=datetime.time(18, 30), time_step_minutes=15,
    )  # fmt: skip
    f.OpeningFactory(activity=activity, date=DAY)
    make_booking(
        child=world.leo, activity=activity, date=DAY, status=BookingStatus.ACCEPTED,
        arrival=datetime.time(16, 45), departure=datetime.time(18, 0),
    )  # fmt: skip
    response = staff.get(PLANNING, {"date": DAY.isoformat(), "activite": activity.pk})
    text = visible_text(response)
    assert "MARTIN Léo" in text and "16:45 – 18:00" in text and "1 enfant (places illimitées)" in text
    assert "APS MATIN" not in page_text(response).split("</select>")[1]


def test_a_chosen_activity_not_open_that_day_says_so(staff, world):
    html = visible_text(staff.get(PLANNING, {"date": DAY.isoformat(), "activite": world.cantine_a.pk}))
    assert "Activité non ouverte le lun. 07/12" in html


@pytest.mark.parametrize(
    "query", [{"date": "2026-13-01"}, {"date": "demain"}, {"date": "0001-01-01"}, {"activite": "x"}]
)
def test_malformed_values_are_a_400_in_french(staff, world, query):
    response = staff.get(PLANNING, query)
    assert response.status_code == 400 and "invalide" in page_text(response)


def post(client, name, data, vue=""):
    return client.post(reverse(f"staff:{name}"), {**data, "vue": vue})


def test_staff_cancellation_promotes_the_first_waitlisted_and_queues_its_notice(staff, world, full_day):
    paolo, waiting = full_day
    response = post(staff, "cancel", {"reservation": paolo.pk, "motif": "Enfant malade"}, vue=world.aps_a.pk)
    assert response.status_code == 302
    assert response["Location"] == f"{PLANNING}?date={DAY}&activite={world.aps_a.pk}#activite-{world.aps_a.pk}"
    assert statuses([paolo, *waiting]) == [
        BookingStatus.CANCELLED, BookingStatus.ACCEPTED, BookingStatus.WAITLISTED, BookingStatus.WAITLISTED,
    ]  # fmt: skip
    assert OutboxEmail.objects.filter(kind="liste-attente", to="attente0@example.org").count() == 1
    audit = BookingAudit.objects.get(booking=paolo, source=AuditSource.STAFF)
    assert (audit.actor, audit.to_status, audit.note) == (world.staff_a, BookingStatus.CANCELLED, "Enfant malade")
    promotion = BookingAudit.objects.get(booking=waiting[0])
    assert (promotion.source, promotion.actor) == (AuditSource.PROMOTION, world.staff_a)
    text = " ".join(messages_of(response))
    assert "Réservation de DUPONT Paolo annulée" in text
    assert "1 enfant promu depuis la liste d'attente : ATTENTE0 Enfant0" in text


def test_a_motif_is_required(staff, world, full_day):
    paolo, _ = full_day
    response = post(staff, "cancel", {"reservation": paolo.pk, "motif": "  "})
    assert Booking.objects.get(pk=paolo.pk).status == BookingStatus.ACCEPTED
    assert response.status_code == 400 and "Indiquez un motif." in visible_text(response)
    opening = Opening.objects.get(activity=world.aps_a, date=DAY)
    data = {"activite": world.aps_a.pk, "date": DAY, "places": 5, "places_attente": "", "motif": ""}
    post(staff, "capacity", data)
    assert Opening.objects.get(pk=opening.pk).capacity is None


def test_raising_capacity_by_two_promotes_two(staff, world, full_day):
    _, waiting = full_day
    data = {"activite": world.aps_a.pk, "date": DAY, "places": 3, "places_attente": "", "motif": "Renfort"}
    response = post(staff, "capacity", data)
    assert statuses(waiting) == [BookingStatus.ACCEPTED, BookingStatus.ACCEPTED, BookingStatus.WAITLISTED]
    assert Opening.objects.get(activity=world.aps_a, date=DAY).capacity == 3
    assert BookingAudit.objects.filter(source=AuditSource.PROMOTION, actor=world.staff_a).count() == 2
    assert OutboxEmail.objects.filter(kind="liste-attente").count() == 2
    assert "2 enfants promus depuis la liste d'attente" in " ".join(messages_of(response))
    log = OpeningAudit.objects.get(actor=world.staff_a)
    assert (log.event, log.capacity_before, log.capacity_after, log.note) == (OpeningEvent.CAPACITY, 1, 3, "Renfort")
    html = visible_text(staff.get(PLANNING, {"date": DAY.isoformat()}))
    assert "3 / 3 places" in html and "liste d'attente : 1 / 5" in html


def test_closing_a_day_cancels_and_notifies_every_booked_family(staff, world, full_day):
    paolo, waiting = full_day
    data = {"activite": world.aps_a.pk, "date": DAY, "motif": "Grève du personnel"}
    response = post(staff, "close", data)
    assert "cochez" in " ".join(messages_of(response))
    assert Opening.objects.filter(activity=world.aps_a, date=DAY).exists()

    response = post(staff, "close", {**data, "confirmation": "oui"})
    assert set(statuses([paolo, *waiting])) == {BookingStatus.CANCELLED}
    assert Opening.objects.get(activity=world.aps_a, date=DAY).closure_reason == "Grève du personnel"
    assert not Opening.objects.open().filter(activity=world.aps_a, date=DAY).exists()
    notices = OutboxEmail.objects.filter(kind="fermeture")
    assert sorted(notices.values_list("to", flat=True)) == sorted(
        ["dupont@example.org", "dupont2@example.org", "attente0@example.org", "attente1@example.org",
         "attente2@example.org"]
    )  # fmt: skip
    assert all("Grève du personnel" in n.body_text for n in notices)
    assert BookingAudit.objects.filter(source=AuditSource.STAFF, actor=world.staff_a).count() == 4
    assert "4 réservations annulées" in " ".join(messages_of(response))


def test_book_for_a_family_gets_the_waiting_list_when_full(staff, world, full_day):
    f.EnrolmentFactory(child=world.amalia, activity=world.aps_a)
    html = page_text(staff.get(PLANNING, {"date": DAY.isoformat()}))
    assert f'<option value="{world.amalia.pk}">DUPONT Amalia' in html
    response = post(
        staff, "book", {"activite": world.aps_a.pk, "date": DAY, "enfant": world.amalia.pk, "motif": "Guichet"}
    )
    booking = Booking.objects.get(child=world.amalia, activity=world.aps_a, date=DAY)
    assert booking.status == BookingStatus.WAITLISTED
    movement = Movement.objects.get(booking=booking)
    assert (movement.kind, movement.created_by, movement.waiting_position) == (MovementKind.BOOK, world.staff_a, 4)
    assert BookingAudit.objects.get(booking=booking).actor == world.staff_a
    assert "liste d'attente" in " ".join(messages_of(response))
    # a second time: the engine's French refusal is shown
    response = post(staff, "book", {"activite": world.aps_a.pk, "date": DAY, "enfant": world.amalia.pk, "motif": "x"})
    assert "Déjà réservé ce jour" in " ".join(messages_of(response))


def test_book_with_times_on_an_activity_with_times(staff, world):
    activity = f.ActivityFactory(
        structure=world.a, name="GARDERIE SOIR", code="GS", has_times=True, earliest_time=datetime.time(16, 30),
        latest_time=datetime.time(18, 30), time_step_minutes=15,
    )  # fmt: skip
    f.OpeningFactory(activity=activity, date=DAY)
    f.EnrolmentFactory(child=world.leo, activity=activity)
    data = {
        "activite": activity.pk,
        "date": DAY,
        "enfant": world.leo.pk,
        "motif": "Tél.",
        "arrivee": "16:40",
        "depart": "18:00",
    }
    response = post(staff, "book", data)
    assert "Horaires à choisir par pas de 15 minutes" in " ".join(messages_of(response))
    post(staff, "book", {**data, "arrivee": "16:45"})
    booking = Booking.objects.get(child=world.leo, activity=activity)
    assert (booking.status, booking.arrival, booking.departure) == (
        BookingStatus.ACCEPTED, datetime.time(16, 45), datetime.time(18, 0),
    )  # fmt: skip


def test_a_child_not_enrolled_is_refused_by_the_engine(staff, world, full_day):
    response = post(staff, "book", {"activite": world.aps_a.pk, "date": DAY, "enfant": world.leo.pk, "motif": "x"})
    assert "Enfant non inscrit à cette activité ce jour" in " ".join(messages_of(response))
    assert not Booking.objects.filter(child=world.leo).exists()


def test_promote_needs_a_free_place_then_skips_the_queue(staff, world, full_day):
    paolo, waiting = full_day
    response = post(staff, "promote", {"reservation": waiting[2].pk, "motif": "Priorité"})
    assert "Aucune place libre" in " ".join(messages_of(response))
    post(staff, "capacity", {"activite": world.aps_a.pk, "date": DAY, "places": 1, "places_attente": "", "motif": "x"})
    set_booking_status(paolo, BookingStatus.CANCELLED)
    response = post(staff, "promote", {"reservation": waiting[2].pk, "motif": "Priorité sociale"})
    assert statuses(waiting) == [BookingStatus.WAITLISTED, BookingStatus.WAITLISTED, BookingStatus.ACCEPTED]
    audit = BookingAudit.objects.get(booking=waiting[2])
    assert (audit.source, audit.actor, audit.note) == (AuditSource.STAFF, world.staff_a, "Priorité sociale")
    assert "ATTENTE2 Enfant2 a obtenu une place" in " ".join(messages_of(response))
