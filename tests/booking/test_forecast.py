"""The recap's forecast (issue 14 point 3, R9, R10): booking.forecast says,
for each demande of a draft, what confirm_draft would record at this instant.

Each case is checked against the engine itself: the forecast is computed, the
draft is then confirmed at the same instant with nobody acting in between, and
what the confirmation recorded must be what was forecast. A property test does
the same over random drafts, occupancies and instants. Existing bookings are
made through the engine (staff_book, confirm_draft), so the openings' place
counters are right."""

import datetime
import os

import hypothesis
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from portail.booking import drafts, rules
from portail.booking.confirm import confirm_draft
from portail.booking.errors import BookingError
from portail.booking.forecast import Forecast, Outcome, confirmation_order, forecast_draft
from portail.booking.models import Booking, BookingStatus, DraftAction, DraftItem, Movement, MovementKind
from portail.booking.snapshot import load_snapshot
from portail.booking.staff_actions import staff_book
from portail.structures.models import Opening
from tests import factories as f

MON, TUE, WED = datetime.date(2026, 12, 7), datetime.date(2026, 12, 8), datetime.date(2026, 12, 9)
DAYS = [MON, TUE, WED]
# Délais of the scene: book until the day itself at 10:00, cancel until D-2 at 10:00.
EARLY = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=rules.PARIS)  # everything can be booked and cancelled
LATE = datetime.datetime(2026, 12, 5, 12, 0, tzinfo=rules.PARIS)  # MON: cancellation délai passed
LATER = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=rules.PARIS)  # MON bookable; MON, TUE no longer cancellable
AFTER = datetime.datetime(2026, 12, 7, 11, 0, tzinfo=rules.PARIS)  # MON no longer bookable; WED not cancellable
NINE, TEN = datetime.time(9, 0), datetime.time(10, 0)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(world):
    """Structure A: APS MATIN (limited, open MON–WED), RESTAURATION (unlimited,
    open MON–TUE) and ATELIER (limited, à horaires 08:00–12:00 by 30 min, one
    place and one waiting-list place, open MON–WED). Paolo and Amalia (the
    DUPONT draft) are enrolled in APS (Paolo by the world) and RESTAURATION,
    Paolo alone in ATELIER;
    four children of other families fill places: Léo and three more."""
    aps, cantine = world.aps_a, world.cantine_a
    atelier = f.ActivityFactory(
        structure=world.a, name="ATELIER", code="ATL", is_limited=True, capacity=1, waiting_list_capacity=1,
        has_times=True, earliest_time=datetime.time(8, 0), latest_time=datetime.time(12, 0), time_step_minutes=30,
    )  # fmt: skip
    activities = [aps, cantine, atelier]
    for activity in activities:
        activity.booking_deadline_days, activity.cancellation_deadline_days = 0, 2
        activity.save()
    for day in (TUE, WED):
        f.OpeningFactory(activity=aps, date=day)
    for day in (MON, TUE):
        f.OpeningFactory(activity=cantine, date=day)
    for day in DAYS:
        f.OpeningFactory(activity=atelier, date=day)
    for child, enrolled in (
        (world.paolo, [cantine, atelier]),
        (world.amalia, [aps, cantine]),
        (world.leo, [aps, atelier]),
    ):
        for activity in enrolled:
            f.EnrolmentFactory(child=child, activity=activity)
    others = [world.leo]
    for _ in range(3):
        child = f.ChildFactory(family=f.FamilyFactory(structure=world.a))
        for activity in (aps, atelier):
            f.EnrolmentFactory(child=child, activity=activity)
        others.append(child)
    world.atelier, world.activities, world.others = atelier, activities, others
    return world


def set_places(activity, day, capacity, waiting):
    Opening.objects.filter(activity=activity, date=day).update(capacity=capacity, waiting_list_capacity=waiting)


def existing(world, child, activity, day):
    """A booking made before the draft, through the engine (staff, so délais do not apply)."""
    times = {"arrival": NINE, "departure": TEN} if activity.has_times else {}
    return staff_book(child, activity, day, actor=world.staff_a, reason="Inscription au guichet", now=EARLY, **times)


def demande(draft, child, activity, day, action=DraftAction.BOOK, times=(None, None)):
    """A draft item as the calendar leaves it (written directly, so that a draft
    may hold what the calendar would no longer accept: the places or the délai
    changed since the day was clicked)."""
    return DraftItem.objects.create(
        draft=draft, child=child, activity=activity, date=day, action=action, arrival=times[0], departure=times[1]
    )


def forecast_then_confirm(world, now):
    """The DUPONT draft forecast, then confirmed at the same instant. Returns
    {(action, child id, activity id, day): (forecast, movement or None)} and
    checks the forecast left the places as they were."""
    draft = drafts.get_draft(world.family_a, world.dupont)
    items = list(draft.items.select_related("child", "activity"))
    before = occupancies(world, now)
    forecasts = forecast_draft(world.family_a, items, now=now)
    assert occupancies(world, now) == before  # an estimate: nothing written
    result = confirm_draft(draft, draft.token, user=world.dupont, now=now)
    assert result.error is None
    movements = {(m.kind, m.booking.child_id, m.booking.activity_id, m.booking.date): m for m in result.movements}
    assert len(movements) == len(result.movements)
    found = {}
    for item in items:
        kind = MovementKind.BOOK if item.action == DraftAction.BOOK else MovementKind.CANCEL
        key = (item.action, item.child_id, item.activity_id, item.date)
        found[key] = (forecasts[item.pk], movements.pop((kind, *key[1:]), None))
    assert not movements  # nothing recorded that was not a demande
    return found


def occupancies(world, now):
    snap = load_snapshot(world.a.pk, [], [a.pk for a in world.activities], DAYS[0], DAYS[-1], now)
    return {key: snap.occupancy(opening) for key, opening in snap.openings.items()}


def assert_recorded_as_forecast(world, forecast, movement, key, now):
    """What the confirmation recorded is what was forecast, délai warning included."""
    action, child_id, activity_id, day = key
    if forecast.outcome is Outcome.UNCHANGED:
        assert movement is None, (key, forecast)
        return
    assert movement is not None, (key, forecast)
    expected = {
        Outcome.PLACE: BookingStatus.ACCEPTED,
        Outcome.WAITING_LIST: BookingStatus.WAITLISTED,
        Outcome.FULL: BookingStatus.REFUSED,
        Outcome.REFUSED: BookingStatus.REFUSED,
        Outcome.CANCELLED: BookingStatus.CANCELLED,
    }[forecast.outcome]
    assert movement.outcome == expected, (key, forecast, movement.outcome, movement.reason)
    assert movement.waiting_position == forecast.position, key
    if forecast.outcome is Outcome.FULL:
        assert movement.reason == str(rules.FULL) == forecast.reason
    elif forecast.outcome is Outcome.REFUSED:
        assert movement.reason == forecast.reason
    if forecast.booked:
        # The engine's own view of the booking now made: cancellable or not.
        state = load_snapshot(world.a.pk, [child_id], [activity_id], day, day, now).state(child_id, activity_id, day)
        locked = state.state in (rules.S.BOOKED_LOCKED, rules.S.WAITLISTED_LOCKED)
        assert locked == bool(forecast.cannot_cancel), (key, forecast, state)
        assert (state.reason or "") == forecast.cannot_cancel


def check_all(world, now):
    found = forecast_then_confirm(world, now)
    for key, (forecast, movement) in found.items():
        assert_recorded_as_forecast(world, forecast, movement, key, now)
        if currently_in_test_context():  # how many examples reach each case (--hypothesis-show-statistics)
            hypothesis.event(f"{key[0]}: {forecast.outcome}{' (cannot cancel)' if forecast.cannot_cancel else ''}")
    return {key: forecast for key, (forecast, _) in found.items()}


# ------------------------------------------------------------------ each case, against the engine


def test_a_free_day_forecasts_a_place(scene):
    world = scene
    demande(drafts.get_draft(world.family_a, world.dupont), world.amalia, world.aps_a, TUE)
    forecast = check_all(world, EARLY)[(DraftAction.BOOK, world.amalia.pk, world.aps_a.pk, TUE)]
    assert forecast == Forecast(Outcome.PLACE)


def test_a_full_day_with_waiting_list_room_forecasts_the_position(scene):
    world = scene
    set_places(world.aps_a, TUE, 1, 3)
    for child in world.others[:2]:  # one place taken, one child already waiting
        existing(world, child, world.aps_a, TUE)
    demande(drafts.get_draft(world.family_a, world.dupont), world.amalia, world.aps_a, TUE)
    forecast = check_all(world, EARLY)[(DraftAction.BOOK, world.amalia.pk, world.aps_a.pk, TUE)]
    assert forecast == Forecast(Outcome.WAITING_LIST, position=2)


def test_a_day_full_waiting_list_included_forecasts_a_refusal(scene):
    world = scene
    set_places(world.aps_a, TUE, 1, 1)
    for child in world.others[:2]:
        existing(world, child, world.aps_a, TUE)
    demande(drafts.get_draft(world.family_a, world.dupont), world.amalia, world.aps_a, TUE)
    forecast = check_all(world, EARLY)[(DraftAction.BOOK, world.amalia.pk, world.aps_a.pk, TUE)]
    assert forecast.outcome is Outcome.FULL and forecast.reason == "Complet, liste d'attente comprise"


@pytest.mark.parametrize(
    ("who", "activity", "day", "times", "now", "reason"),
    [
        ("amalia", "aps_a", MON, (None, None), AFTER, "Hors délai de réservation (jusqu'au lun. 07/12 à 10:00)"),
        ("amalia", "atelier", TUE, (None, None), EARLY, "Enfant non inscrit à cette activité ce jour"),
        ("amalia", "cantine_a", WED, (None, None), EARLY, "Activité non ouverte ce jour"),
        ("paolo", "atelier", TUE, (datetime.time(7, 0), TEN), EARLY, "Horaires hors de la plage 08:00–12:00"),
        ("paolo", "atelier", TUE, (None, None), EARLY, "Horaires d'arrivée et de départ à indiquer"),
    ],
)
def test_other_refusals_forecast_the_engines_reason(scene, who, activity, day, times, now, reason):
    world = scene
    child, activity = getattr(world, who), getattr(world, activity)
    demande(drafts.get_draft(world.family_a, world.dupont), child, activity, day, times=times)
    forecast = check_all(world, now)[(DraftAction.BOOK, child.pk, activity.pk, day)]
    assert forecast == Forecast(Outcome.REFUSED, reason)


def test_a_booking_past_its_cancellation_delai_forecasts_that_it_cannot_be_cancelled(scene):
    """At LATE, MON can still be booked (until MON 10:00) but no longer
    cancelled (D-2: SAT 05/12 10:00); TUE can be both."""
    world = scene
    draft = drafts.get_draft(world.family_a, world.dupont)
    set_places(world.aps_a, MON, 1, 2)
    existing(world, world.others[0], world.aps_a, MON)
    for child, day in ((world.amalia, MON), (world.amalia, TUE), (world.paolo, MON)):
        demande(draft, child, world.aps_a if child == world.amalia else world.cantine_a, day)
    found = check_all(world, LATE)
    late = "Hors délai d'annulation (jusqu'au sam. 05/12 à 10:00)"
    assert found[(DraftAction.BOOK, world.amalia.pk, world.aps_a.pk, MON)] == Forecast(
        Outcome.WAITING_LIST, position=1, cannot_cancel=late
    )
    assert found[(DraftAction.BOOK, world.paolo.pk, world.cantine_a.pk, MON)] == Forecast(
        Outcome.PLACE, cannot_cancel=late
    )
    assert found[(DraftAction.BOOK, world.amalia.pk, world.aps_a.pk, TUE)] == Forecast(Outcome.PLACE)


def test_cancellations_forecast_cancelled_refused_or_unchanged(scene):
    world = scene
    for day in (MON, TUE):
        existing(world, world.amalia, world.aps_a, day)
    draft = drafts.get_draft(world.family_a, world.dupont)
    for day in DAYS:  # WED: nothing booked any more (cancelled elsewhere meanwhile)
        demande(draft, world.amalia, world.aps_a, day, DraftAction.CANCEL)
    found = check_all(world, LATE)
    assert found[(DraftAction.CANCEL, world.amalia.pk, world.aps_a.pk, MON)] == Forecast(
        Outcome.REFUSED, "Hors délai d'annulation (jusqu'au sam. 05/12 à 10:00)"
    )
    assert found[(DraftAction.CANCEL, world.amalia.pk, world.aps_a.pk, TUE)] == Forecast(Outcome.CANCELLED)
    assert found[(DraftAction.CANCEL, world.amalia.pk, world.aps_a.pk, WED)] == Forecast(
        Outcome.UNCHANGED, "Aucune réservation à annuler ce jour"
    )


def test_a_day_booked_meanwhile_forecasts_no_change(scene):
    """The other parent booked the day since it was marked: nothing is recorded twice."""
    world = scene
    existing(world, world.amalia, world.aps_a, TUE)
    demande(drafts.get_draft(world.family_a, world.dupont), world.amalia, world.aps_a, TUE)
    assert check_all(world, EARLY)[(DraftAction.BOOK, world.amalia.pk, world.aps_a.pk, TUE)] == Forecast(
        Outcome.UNCHANGED, "Déjà réservé ce jour"
    )


# ------------------------------------------------------------------ several demandes on one opening


def test_two_demandes_on_the_last_place_are_placed_in_the_confirmations_order(scene):
    """One place and one waiting-list place left on TUE for two DUPONT
    children: the one the confirmation judges first (child id order) gets
    the place, the other waits."""
    world = scene
    set_places(world.aps_a, TUE, 2, 1)
    existing(world, world.others[0], world.aps_a, TUE)
    draft = drafts.get_draft(world.family_a, world.dupont)
    children = sorted([world.paolo, world.amalia], key=lambda c: c.pk)
    for child in reversed(children):  # written in the other order: the order is the confirmation's, not the rows'
        demande(draft, child, world.aps_a, TUE)
    found = check_all(world, EARLY)
    assert found[(DraftAction.BOOK, children[0].pk, world.aps_a.pk, TUE)] == Forecast(Outcome.PLACE)
    assert found[(DraftAction.BOOK, children[1].pk, world.aps_a.pk, TUE)] == Forecast(Outcome.WAITING_LIST, position=1)


def test_a_place_freed_by_the_draft_goes_to_the_waiting_list_before_the_drafts_own_booking(scene):
    """Amalia holds TUE's only APS place and Léo waits; the draft cancels
    Amalia's TUE and books Paolo's: Léo takes the freed place (N3), Paolo
    waits at position 1 — as the confirmation does it."""
    world = scene
    set_places(world.aps_a, TUE, 1, 2)
    existing(world, world.amalia, world.aps_a, TUE)
    existing(world, world.others[0], world.aps_a, TUE)  # waiting
    draft = drafts.get_draft(world.family_a, world.dupont)
    demande(draft, world.amalia, world.aps_a, TUE, DraftAction.CANCEL)
    demande(draft, world.paolo, world.aps_a, TUE)
    found = check_all(world, EARLY)
    assert found[(DraftAction.CANCEL, world.amalia.pk, world.aps_a.pk, TUE)] == Forecast(Outcome.CANCELLED)
    assert found[(DraftAction.BOOK, world.paolo.pk, world.aps_a.pk, TUE)] == Forecast(Outcome.WAITING_LIST, position=1)
    assert Booking.objects.get(child=world.others[0], date=TUE).status == BookingStatus.ACCEPTED  # promoted


def test_confirmation_order_puts_cancellations_first_then_date_activity_child():
    class Item:
        def __init__(self, date, activity_id, child_id, action):
            self.date, self.activity_id, self.child_id, self.action = date, activity_id, child_id, action

    items = [Item(TUE, 1, 1, "book"), Item(MON, 2, 1, "book"), Item(WED, 1, 1, "cancel"), Item(MON, 1, 2, "book")]
    items.append(Item(MON, 1, 1, "book"))
    cancels, books = confirmation_order(items)
    assert [(i.date, i.activity_id, i.child_id) for i in cancels] == [(WED, 1, 1)]
    assert [(i.date, i.activity_id, i.child_id) for i in books] == [(MON, 1, 1), (MON, 1, 2), (MON, 2, 1), (TUE, 1, 1)]


# ------------------------------------------------------------------ cost


def test_forecast_queries_do_not_grow_with_the_demandes(scene):
    world = scene
    draft = drafts.get_draft(world.family_a, world.dupont)
    demande(draft, world.amalia, world.aps_a, MON)

    def count():
        items = list(draft.items.select_related("child", "activity"))
        with CaptureQueriesContext(connection) as queries:
            forecast_draft(world.family_a, items, now=EARLY)
        return len(queries), len(items)

    one, _ = count()
    for day in (TUE, WED):
        demande(draft, world.amalia, world.aps_a, day)
    for day in (MON, TUE):
        demande(draft, world.paolo, world.cantine_a, day)
        demande(draft, world.amalia, world.cantine_a, day, DraftAction.CANCEL)
    demande(draft, world.paolo, world.atelier, WED, times=(NINE, TEN))
    many, n = count()
    assert n == 8 and many == one
    assert count_for_empty_draft(world) == 0


def count_for_empty_draft(world):
    with CaptureQueriesContext(connection) as queries:
        assert forecast_draft(world.family_a, [], now=EARLY) == {}
    return len(queries)


# ------------------------------------------------------------------ property: forecast == confirmation

# (places, waiting-list places) of an APS day
place = st.tuples(st.sampled_from([1, 1, 2, 0]), st.sampled_from([1, 2, 0]))
# Drawn unevenly so that APS days fill up and the waiting lists get used within a few bookings.
activity_index = st.sampled_from([0, 0, 0, 1, 2])  # APS, RESTAURATION, ATELIER
day_index = st.sampled_from([0, 1, 1, 2])
# 0, 1: Paolo, Amalia (the draft's family); 2–5: the other families' children.
booked_before = st.tuples(st.sampled_from([0, 1, 0, 1, 2, 3, 4, 5]), activity_index, day_index)
TIMES = [(None, None), (NINE, TEN), (NINE, TEN), (datetime.time(7, 0), TEN), (datetime.time(9, 15), TEN)]
book_item = st.tuples(st.just("book"), st.integers(0, 1), activity_index, day_index, st.sampled_from(TIMES))
item = st.one_of(
    book_item,
    book_item,
    # Cancel the n-th booking the family already has (if any).
    st.tuples(st.just("cancel-booked"), st.integers(0, 9)),
    # Cancel any day (most often nothing is booked there: the confirmation then records nothing).
    st.tuples(st.just("cancel"), st.integers(0, 1), activity_index, day_index),
)


# 80 random drafts per run keep the suite fast; FORECAST_EXAMPLES=1000 explores much further.
@settings(
    max_examples=int(os.environ.get("FORECAST_EXAMPLES", "80")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    now=st.sampled_from([EARLY, LATE, LATER, AFTER]),
    places=st.lists(place, min_size=3, max_size=3),
    before=st.lists(booked_before, max_size=10),
    items=st.lists(item, min_size=1, max_size=8),
)
# A cancellation of an accepted place with a queue, and two bookings of the draft after it on that day.
@example(
    now=EARLY, places=[(1, 2), (1, 2), (1, 2)], before=[(0, 0, 1), (2, 0, 1)],
    items=[("cancel-booked", 0), ("book", 1, 0, 1, (None, None)), ("book", 1, 0, 0, (None, None))],
)  # fmt: skip
def test_each_forecast_is_what_the_confirmation_records(scene, now, places, before, items):
    """For random places, bookings already made and drafts, at instants on
    either side of the délais: every demande's forecast is what confirm_draft
    records at that instant (outcome, waiting-list position, reason, and
    whether the booking can still be cancelled afterwards)."""
    world = scene
    children = [world.paolo, world.amalia, *world.others]
    with transaction.atomic():
        for day, (capacity, waiting) in zip(DAYS, places, strict=True):
            set_places(world.aps_a, day, capacity, waiting)
        for c, a, d in before:
            try:
                existing(world, children[c], world.activities[a], DAYS[d])
            except BookingError:
                pass  # full, not enrolled, already booked, not open: that booking simply is not there
        own = list(
            Booking.objects.filter(
                child__in=children[:2], status__in=[BookingStatus.ACCEPTED, BookingStatus.WAITLISTED]
            )
            .select_related("child", "activity")
            .order_by("pk")
        )
        draft = drafts.get_draft(world.family_a, world.dupont)
        marked = set()
        for op in items:
            if op[0] == "cancel-booked":
                if not own:
                    continue
                booking = own[op[1] % len(own)]
                child, activity, day, action, times = (
                    booking.child,
                    booking.activity,
                    booking.date,
                    DraftAction.CANCEL,
                    (None, None),
                )
            else:
                child, activity, day = children[op[1]], world.activities[op[2]], DAYS[op[3]]
                action, times = (DraftAction.BOOK, op[4]) if op[0] == "book" else (DraftAction.CANCEL, (None, None))
            if (child.pk, activity.pk, day) not in marked:  # one mark per child, activity and day
                marked.add((child.pk, activity.pk, day))
                demande(draft, child, activity, day, action, times)
        check_all(world, now)
        if currently_in_test_context() and Movement.objects.filter(kind=MovementKind.PROMOTION).exists():
            hypothesis.event("a place freed by the draft went to the waiting list")
        transaction.set_rollback(True)  # the next example starts from the same scene
    assert not Movement.objects.exists() and not DraftItem.objects.exists()
