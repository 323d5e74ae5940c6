"""Bad or tampered demandes are refused with a French reason, and nothing is
written (R1, R10, D5, Délais).

Two layers: the draft refuses a click it cannot allow (BookingError, no
DraftItem written), and the confirmation re-checks every rule at its own
instant, so a draft tampered with in the database (a DraftItem inserted
directly, bypassing toggle_day) is refused there, or ignored when its child
or activity is not the family's. Malformed ids (not numbers, not dates) are
the views' business; here the engine gets ids that do not exist.
"""

import contextlib
import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from portail.booking import drafts, rules
from portail.booking.confirm import confirm_draft
from portail.booking.errors import BookingError
from portail.booking.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingAudit,
    BookingStatus,
    Confirmation,
    DraftAction,
    DraftItem,
    Movement,
    MovementKind,
)
from tests import factories as f
from tests.helpers import make_booking

PARIS = rules.PARIS
NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=PARIS)
DAY = datetime.date(2026, 12, 7)  # Monday; booking and cancellation délais: Sat 05/12 at 10:00
MISSING_ID = 987654321


def counts():
    return {
        model.__name__: model.objects.count() for model in (Booking, Movement, BookingAudit, DraftItem, Confirmation)
    }


@contextlib.contextmanager
def nothing_written():
    before = counts()
    yield
    assert counts() == before


def draft_of(world):
    return drafts.get_draft(world.family_a, world.dupont)


def confirm(world, draft, now=NOW):
    result = confirm_draft(draft, draft.token, user=world.dupont, now=now)
    assert result.error is None
    return result


# ---------------------------------------------------------------- ownership


@pytest.mark.parametrize("child", ["leo", "paolo_b", None])
def test_child_of_another_family_is_unknown(world, child):
    """Léo is MARTIN's; Paolo of structure B is the same account's child, but of another family."""
    child_id = getattr(world, child).pk if child else MISSING_ID
    with nothing_written(), pytest.raises(BookingError, match="^Enfant inconnu pour cette famille$"):
        drafts.family_child(world.family_a, child_id)
    assert drafts.family_child(world.family_a, world.paolo.pk) == world.paolo


@pytest.mark.parametrize(
    ("family", "activity"),
    [("family_a", "alsh_b"), ("family_b", "aps_a"), ("family_b", "cantine_a"), ("family_a", None)],
)
def test_activity_of_another_structure_is_unknown(world, family, activity):
    activity_id = getattr(world, activity).pk if activity else MISSING_ID
    with nothing_written(), pytest.raises(BookingError, match="^Activité inconnue dans cette structure$"):
        drafts.family_activity(getattr(world, family), activity_id)
    assert drafts.family_activity(world.family_b, world.alsh_b.pk) == world.alsh_b


# ---------------------------------------------------------------- clicks the draft refuses


def not_enrolled(world):
    return world.amalia, DAY, NOW, rules.NOT_ENROLLED


def no_opening(world):
    return world.paolo, datetime.date(2026, 12, 8), NOW, rules.NOT_OPEN


def closed_period(world):
    return world.paolo, datetime.date(2026, 12, 21), NOW, rules.NOT_OPEN  # Vacances de Noël


def public_holiday(world):
    return world.paolo, datetime.date(2027, 3, 29), NOW, rules.NOT_OPEN  # Lundi de Pâques


def past_delai(world):
    late = datetime.datetime(2026, 12, 5, 10, 1, tzinfo=PARIS)
    return world.paolo, DAY, late, "Hors délai de réservation (jusqu'au sam. 05/12 à 10:00)"


def before_opening_moment(world):
    world.aps_a.bookings_open_at = datetime.datetime(2026, 11, 27, 18, 0, tzinfo=PARIS)
    world.aps_a.save()
    return world.paolo, DAY, NOW, "Réservations pas encore ouvertes (ouverture le 27/11/2026 à 18:00)"


def outside_period(world):
    world.aps_a.booking_period_end = datetime.date(2026, 12, 4)
    world.aps_a.save()
    return world.paolo, DAY, NOW, rules.OUTSIDE_PERIOD


def full(world):
    world.aps_a.capacity, world.aps_a.waiting_list_capacity = 0, 0
    world.aps_a.save()
    return world.paolo, DAY, NOW, rules.FULL


@pytest.mark.parametrize(
    "case",
    [not_enrolled, no_opening, closed_period, public_holiday, past_delai, before_opening_moment, outside_period, full],
)
def test_click_refused_with_reason_and_nothing_written(world, case):
    child, day, now, reason = case(world)
    draft = draft_of(world)
    with nothing_written(), pytest.raises(BookingError) as refused:
        drafts.toggle_day(draft, child, world.aps_a, day, now=now)
    assert str(refused.value) == reason
    # The quick tools leave such a day alone rather than fail (R5c).
    with nothing_written():
        assert drafts.toggle_set(draft, child, world.aps_a, [day], now=now) == {}


@pytest.fixture
def with_times(world):
    """APS MATIN becomes an activité à horaires: 07:30–09:00 by steps of 15 minutes."""
    activity = world.aps_a
    activity.has_times = True
    activity.earliest_time, activity.latest_time, activity.time_step_minutes = (
        datetime.time(7, 30),
        datetime.time(9, 0),
        15,
    )
    activity.save()
    return activity


T = datetime.time
BAD_TIMES = [
    (None, None, "Horaires d'arrivée et de départ à indiquer"),
    (T(7, 30), None, "Horaires d'arrivée et de départ à indiquer"),
    (T(7, 0), T(8, 0), "Horaires hors de la plage 07:30–09:00"),
    (T(8, 0), T(9, 15), "Horaires hors de la plage 07:30–09:00"),
    (T(7, 40), T(8, 30), "Horaires à choisir par pas de 15 minutes"),
    (T(7, 45), T(8, 50), "Horaires à choisir par pas de 15 minutes"),
    (T(7, 45, 30), T(8, 30), "Horaires à choisir par pas de 15 minutes"),
    (T(8, 30), T(8, 0), "L'heure de départ doit suivre l'heure d'arrivée"),
    (T(8, 30), T(8, 30), "L'heure de départ doit suivre l'heure d'arrivée"),
]


@pytest.mark.parametrize(("arrival", "departure", "reason"), BAD_TIMES)
def test_times_out_of_range_or_off_step_are_refused(world, with_times, arrival, departure, reason):
    draft = draft_of(world)
    with nothing_written(), pytest.raises(BookingError) as refused:
        drafts.toggle_day(draft, world.paolo, with_times, DAY, now=NOW, arrival=arrival, departure=departure)
    assert str(refused.value) == reason
    with nothing_written(), pytest.raises(BookingError, match=reason):
        drafts.toggle_set(draft, world.paolo, with_times, [DAY], now=NOW, arrival=arrival, departure=departure)
    # A marked day keeps its valid times when new ones are refused.
    drafts.toggle_day(draft, world.paolo, with_times, DAY, now=NOW, arrival=T(7, 30), departure=T(9, 0))
    with nothing_written(), pytest.raises(BookingError) as refused:
        # (an arrival is always given: a click without times on a marked day would undo its mark)
        drafts.toggle_day(
            draft, world.paolo, with_times, DAY, now=NOW, arrival=arrival or T(7, 30), departure=departure
        )
    assert str(refused.value) == reason
    item = DraftItem.objects.get()
    assert (item.arrival, item.departure) == (T(7, 30), T(9, 0))


def test_times_within_range_and_step_are_booked(world, with_times):
    draft = draft_of(world)
    drafts.toggle_day(draft, world.paolo, with_times, DAY, now=NOW, arrival=T(7, 45), departure=T(9, 0))
    result = confirm(world, draft)
    booking = Booking.objects.get()
    assert [m.outcome for m in result.movements] == [BookingStatus.ACCEPTED]
    assert (booking.arrival, booking.departure) == (T(7, 45), T(9, 0))


# ---------------------------------------------------------------- tampered drafts, re-checked at confirmation


def tamper(draft, child, activity, day, action=DraftAction.BOOK, arrival=None, departure=None):
    """A DraftItem written straight into the database, as a forged request would leave it."""
    return DraftItem.objects.create(
        draft=draft, child=child, activity=activity, date=day, action=action, arrival=arrival, departure=departure
    )


def tampered_past_delai(world):
    f.OpeningFactory(activity=world.aps_a, date=datetime.date(2026, 11, 27))
    return world.paolo, world.aps_a, datetime.date(2026, 11, 27), {}, "Hors délai de réservation (jusqu'au mer. 25/11 à 10:00)"  # fmt: skip


def tampered_not_enrolled(world):
    return world.amalia, world.aps_a, DAY, {}, rules.NOT_ENROLLED


def tampered_no_opening(world):
    return world.paolo, world.aps_a, datetime.date(2026, 12, 8), {}, rules.NOT_OPEN


def tampered_outside_period(world):
    world.aps_a.booking_period_end = datetime.date(2026, 12, 4)
    world.aps_a.save()
    return world.paolo, world.aps_a, DAY, {}, rules.OUTSIDE_PERIOD


def tampered_before_opening_moment(world):
    world.aps_a.bookings_open_at = datetime.datetime(2026, 11, 27, 18, 0, tzinfo=PARIS)
    world.aps_a.save()
    return world.paolo, world.aps_a, DAY, {}, "Réservations pas encore ouvertes (ouverture le 27/11/2026 à 18:00)"


def tampered_off_step_times(world):
    activity = world.aps_a
    activity.has_times, activity.earliest_time, activity.latest_time, activity.time_step_minutes = (
        True, T(7, 30), T(9, 0), 15,
    )  # fmt: skip
    activity.save()
    times = {"arrival": T(7, 40), "departure": T(8, 30)}
    return world.paolo, activity, DAY, times, "Horaires à choisir par pas de 15 minutes"


def tampered_missing_times(world):
    activity = world.aps_a
    activity.has_times, activity.earliest_time, activity.latest_time, activity.time_step_minutes = (
        True, T(7, 30), T(9, 0), 15,
    )  # fmt: skip
    activity.save()
    return world.paolo, activity, DAY, {}, "Horaires d'arrivée et de départ à indiquer"


@pytest.mark.parametrize(
    "case",
    [
        tampered_past_delai,
        tampered_not_enrolled,
        tampered_no_opening,
        tampered_outside_period,
        tampered_before_opening_moment,
        tampered_off_step_times,
        tampered_missing_times,
    ],
)
def test_tampered_booking_is_refused_at_confirmation(world, case):
    child, activity, day, times, reason = case(world)
    draft = draft_of(world)
    tamper(draft, child, activity, day, **times)
    result = confirm(world, draft)
    [movement] = result.movements
    assert (movement.kind, movement.outcome, movement.reason) == (MovementKind.BOOK, BookingStatus.REFUSED, reason)
    assert result.refused == [movement]
    # Only the trace of the refusal is written: no place, no waiting-list place.
    assert not Booking.objects.filter(status__in=ACTIVE_STATUSES).exists()
    assert Booking.objects.get().reason == reason
    assert not DraftItem.objects.exists()


def test_tampered_items_of_another_family_or_structure_are_ignored(world):
    """Another family's child (to book, or to cancel its booking) and another
    structure's activity: confirmation drops them without a trace."""
    martin = drafts.get_draft(world.martin_a, world.martin)
    f.EnrolmentFactory(child=world.leo, activity=world.aps_a)
    drafts.toggle_day(martin, world.leo, world.aps_a, DAY, now=NOW)
    confirm_draft(martin, martin.token, user=world.martin, now=NOW)
    leo_booking = Booking.objects.get(child=world.leo)
    before = counts()

    draft = draft_of(world)
    tamper(draft, world.leo, world.aps_a, DAY, DraftAction.CANCEL)
    tamper(draft, world.leo, world.cantine_a, DAY)
    tamper(draft, world.paolo_b, world.alsh_b, datetime.date(2026, 12, 9))
    tamper(draft, world.paolo, world.alsh_b, datetime.date(2026, 12, 9))
    result = confirm(world, draft)

    assert result.movements == []
    leo_booking.refresh_from_db()
    assert leo_booking.status == BookingStatus.ACCEPTED
    assert not Booking.objects.filter(child=world.paolo_b).exists()
    assert not Booking.objects.filter(child=world.paolo).exists()
    assert not Booking.objects.filter(child=world.leo, activity=world.cantine_a).exists()
    after = counts()
    assert after["Booking"] == before["Booking"] and after["Movement"] == before["Movement"]
    assert after["DraftItem"] == 0


def test_tampered_items_mixed_with_good_ones(world):
    """One forged item does not spoil the others: each is judged on its own."""
    draft = draft_of(world)
    drafts.toggle_day(draft, world.paolo, world.aps_a, DAY, now=NOW)
    tamper(draft, world.amalia, world.aps_a, DAY)
    tamper(draft, world.leo, world.aps_a, DAY)
    result = confirm(world, draft)
    outcomes = sorted((m.booking.child.first_name, m.outcome, m.reason) for m in result.movements)
    assert outcomes == [
        ("Amalia", BookingStatus.REFUSED, rules.NOT_ENROLLED),
        ("Paolo", BookingStatus.ACCEPTED, ""),
    ]


def test_tampered_cancellation_after_its_delai_is_refused(world):
    day = datetime.date(2026, 11, 27)
    f.OpeningFactory(activity=world.aps_a, date=day)
    booking = make_booking(child=world.paolo, activity=world.aps_a, date=day, status=BookingStatus.ACCEPTED)
    draft = draft_of(world)
    with pytest.raises(BookingError, match=r"^Hors délai d'annulation \(jusqu'au mer\. 25/11 à 10:00\)$"):
        drafts.toggle_day(draft, world.paolo, world.aps_a, day, now=NOW)
    tamper(draft, world.paolo, world.aps_a, day, DraftAction.CANCEL)
    result = confirm(world, draft)
    [movement] = result.movements
    assert (movement.kind, movement.outcome) == (MovementKind.CANCEL, BookingStatus.REFUSED)
    assert movement.reason == "Hors délai d'annulation (jusqu'au mer. 25/11 à 10:00)"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ACCEPTED


def test_tampered_cancellation_of_nothing_records_nothing(world):
    draft = draft_of(world)
    tamper(draft, world.paolo, world.aps_a, DAY, DraftAction.CANCEL)
    result = confirm(world, draft)
    assert result.movements == []
    assert not Booking.objects.exists() and not Movement.objects.exists()


# ---------------------------------------------------------------- délais on the real clock (time-machine)

NOV_13 = datetime.date(2026, 11, 13)  # a Friday; Wed 11/11 is a public holiday, Tue 10/11 a closed day
DEADLINES = {
    # 3 calendar days before: Tue 10/11 (holiday and closed day do not matter).
    "calendar": (datetime.datetime(2026, 11, 10, 10, 0, tzinfo=PARIS), "mar. 10/11"),
    # 3 working days before: Thu 12, (Wed 11 holiday, Tue 10 closed) Mon 9, (weekend) Fri 6.
    "working": (datetime.datetime(2026, 11, 6, 10, 0, tzinfo=PARIS), "ven. 06/11"),
}
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture(params=sorted(DEADLINES))
def delai(request, world):
    """APS MATIN open on Fri 13/11, both délais "3 days before at 10:00", counted as the param says."""
    count = request.param
    activity = world.aps_a
    activity.booking_deadline_days = activity.cancellation_deadline_days = 3
    activity.booking_deadline_count = activity.cancellation_deadline_count = count
    activity.save()
    f.OpeningFactory(activity=activity, date=NOV_13)
    f.ClosedPeriodFactory(structure=world.a, label="Pont", start_date=datetime.date(2026, 11, 10),
                          end_date=datetime.date(2026, 11, 10))  # fmt: skip
    return DEADLINES[count]


def travel(moment):
    return time_machine.travel(moment, tick=False)


def test_booking_one_minute_before_its_delai_is_accepted(world, delai):
    deadline, _ = delai
    with travel(deadline - MINUTE):
        draft = draft_of(world)
        drafts.toggle_day(draft, world.paolo, world.aps_a, NOV_13, now=timezone.now())
        result = confirm(world, draft, now=timezone.now())
    assert [m.outcome for m in result.movements] == [BookingStatus.ACCEPTED]


def test_booking_confirmed_one_minute_after_its_delai_is_refused(world, delai):
    deadline, label = delai
    reason = f"Hors délai de réservation (jusqu'au {label} à 10:00)"
    with travel(deadline - MINUTE):
        draft = draft_of(world)
        drafts.toggle_day(draft, world.paolo, world.aps_a, NOV_13, now=timezone.now())
    with travel(deadline + MINUTE):
        result = confirm(world, draft, now=timezone.now())
        [movement] = result.refused
        assert movement.reason == reason
        assert not Booking.objects.filter(status__in=ACTIVE_STATUSES).exists()
        # And a new click is refused outright.
        with nothing_written(), pytest.raises(BookingError, match=re.escape(reason)):
            drafts.toggle_day(draft_of(world), world.paolo, world.aps_a, NOV_13, now=timezone.now())


def book_early(world):
    with travel(datetime.datetime(2026, 11, 2, 9, 0, tzinfo=PARIS)):
        draft = draft_of(world)
        drafts.toggle_day(draft, world.paolo, world.aps_a, NOV_13, now=timezone.now())
        confirm(world, draft, now=timezone.now())
    return Booking.objects.get(status=BookingStatus.ACCEPTED)


def test_cancellation_one_minute_before_its_delai_is_recorded(world, delai):
    deadline, _ = delai
    booking = book_early(world)
    with travel(deadline - MINUTE):
        draft = draft_of(world)
        drafts.toggle_day(draft, world.paolo, world.aps_a, NOV_13, now=timezone.now())
        result = confirm(world, draft, now=timezone.now())
    assert [(m.kind, m.outcome) for m in result.movements] == [(MovementKind.CANCEL, BookingStatus.CANCELLED)]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_cancellation_confirmed_one_minute_after_its_delai_is_refused(world, delai):
    deadline, label = delai
    reason = f"Hors délai d'annulation (jusqu'au {label} à 10:00)"
    booking = book_early(world)
    with travel(deadline - MINUTE):
        draft = draft_of(world)
        drafts.toggle_day(draft, world.paolo, world.aps_a, NOV_13, now=timezone.now())
    with travel(deadline + MINUTE):
        result = confirm(world, draft, now=timezone.now())
        [movement] = result.refused
        assert (movement.kind, movement.reason) == (MovementKind.CANCEL, reason)
        with nothing_written(), pytest.raises(BookingError) as refused:
            drafts.toggle_day(draft_of(world), world.paolo, world.aps_a, NOV_13, now=timezone.now())
        assert str(refused.value) == reason
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ACCEPTED


def test_bookings_open_at_their_opening_moment(world):
    """Before "réservations ouvertes le 20/11 à 18:00" the day is closed, even to a forged draft."""
    opens = datetime.datetime(2026, 11, 20, 18, 0, tzinfo=PARIS)
    world.aps_a.bookings_open_at = opens
    world.aps_a.save()
    reason = "Réservations pas encore ouvertes (ouverture le 20/11/2026 à 18:00)"
    draft = draft_of(world)
    with travel(opens - MINUTE):
        with nothing_written(), pytest.raises(BookingError) as refused:
            drafts.toggle_day(draft, world.paolo, world.aps_a, DAY, now=timezone.now())
        assert str(refused.value) == reason
        tamper(draft, world.paolo, world.aps_a, DAY)
        assert [m.reason for m in confirm(world, draft, now=timezone.now()).refused] == [reason]
    with travel(opens):
        draft = draft_of(world)
        drafts.toggle_day(draft, world.paolo, world.aps_a, DAY, now=timezone.now())
        result = confirm(world, draft, now=timezone.now())
    assert [m.outcome for m in result.movements] == [BookingStatus.ACCEPTED]
