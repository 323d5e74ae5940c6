"""The pure booking rules (portail.booking.rules): délais, période, places,
S- and T-states, the quick tools' toggle, times. No database."""

import dataclasses
import datetime
from datetime import date, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portail.booking.rules import (
    FULL,
    NOT_ENROLLED,
    NOT_OPEN,
    OUTSIDE_PERIOD,
    ActivityRules,
    DayState,
    Deadline,
    Mark,
    Occupancy,
    S,
    T,
    booking_refusal,
    cancellation_refusal,
    check_times,
    day_state,
    is_working_day,
    last_moment,
    placement,
    set_toggle,
    t_state,
)

PARIS = ZoneInfo("Europe/Paris")
UTC = datetime.UTC
NO_CLOSED_DAYS = frozenset()
TEN = time(10, 0)


def paris(y, m, d, hh=0, mm=0, ss=0, us=0):
    return datetime.datetime(y, m, d, hh, mm, ss, us, tzinfo=PARIS)


def calendar_days(n, at=TEN):
    return Deadline(n, at, working_days=False)


def working_days(n, at=TEN):
    return Deadline(n, at, working_days=True)


def make_rules(**changes):
    base = ActivityRules(
        limited=True,
        capacity=10,
        waiting_list_capacity=3,
        period_start=date(2026, 9, 1),
        period_end=date(2027, 7, 6),
        opens_at=None,
        booking=calendar_days(2),
        cancellation=calendar_days(2),
    )
    return dataclasses.replace(base, **changes)


RULES = make_rules()
DAY = date(2026, 12, 10)  # a Thursday; last moment with D-2 at 10:00 is Tue 08/12 10:00
EARLY = paris(2026, 12, 1, 9, 0)  # well in time to book and cancel DAY
OPEN = Occupancy(accepted=4, waitlisted=0, capacity=10, waiting_list_capacity=3, limited=True)


def state_of(day=DAY, rules=RULES, **kwargs):
    kwargs = {
        "now": EARLY,
        "is_open": True,
        "enrolled": True,
        "closed_days": NO_CLOSED_DAYS,
        "occupancy": OPEN,
        "booking_status": None,
        **kwargs,
    }
    return day_state(day, rules, **kwargs)


# ---------------------------------------------------------------- last_moment


@pytest.mark.parametrize(
    "day, deadline, closed, expected",
    [
        pytest.param(date(2026, 12, 10), calendar_days(2), (), date(2026, 12, 8), id="calendar"),
        pytest.param(date(2026, 12, 7), calendar_days(2), (), date(2026, 12, 5), id="calendar-over-weekend"),
        pytest.param(date(2026, 12, 7), working_days(2), (), date(2026, 12, 3), id="working-over-weekend"),
        pytest.param(date(2026, 12, 7), working_days(1), (), date(2026, 12, 4), id="working-monday-to-friday"),
        pytest.param(date(2026, 11, 12), working_days(1), (), date(2026, 11, 10), id="working-over-11-11"),
        pytest.param(date(2026, 11, 12), calendar_days(1), (), date(2026, 11, 11), id="calendar-onto-11-11"),
        pytest.param(date(2026, 5, 4), working_days(1), (), date(2026, 4, 30), id="working-over-1-5-and-weekend"),
        pytest.param(date(2027, 3, 30), working_days(1), (), date(2027, 3, 26), id="working-over-easter-monday"),
        pytest.param(
            date(2026, 12, 10), working_days(1), {date(2026, 12, 9)}, date(2026, 12, 8), id="working-over-closed-day"
        ),
        pytest.param(
            date(2026, 12, 10), calendar_days(1), {date(2026, 12, 9)}, date(2026, 12, 9), id="calendar-ignores-closed"
        ),
        pytest.param(date(2026, 12, 10), calendar_days(0), (), date(2026, 12, 10), id="calendar-n0-the-day"),
        pytest.param(date(2026, 12, 12), working_days(0), (), date(2026, 12, 12), id="working-n0-even-a-saturday"),
        pytest.param(date(2026, 12, 28), working_days(5), (), date(2026, 12, 18), id="working-over-christmas"),
    ],
)
def test_last_moment_day_reached(day, deadline, closed, expected):
    moment = last_moment(day, deadline, frozenset(closed))
    assert moment == datetime.datetime.combine(expected, TEN, tzinfo=PARIS)
    assert moment.tzinfo is not None


def test_last_moment_keeps_the_local_time_across_the_spring_dst_change():
    # Sunday 28/03/2027 France moves to UTC+2 at 02:00.
    before = last_moment(date(2027, 3, 29), calendar_days(2), NO_CLOSED_DAYS)  # Sat 27/03, UTC+1
    after = last_moment(date(2027, 3, 29), calendar_days(1), NO_CLOSED_DAYS)  # Sun 28/03, UTC+2
    assert before.astimezone(UTC) == datetime.datetime(2027, 3, 27, 9, 0, tzinfo=UTC)
    assert after.astimezone(UTC) == datetime.datetime(2027, 3, 28, 8, 0, tzinfo=UTC)
    assert (after.hour, after.minute) == (10, 0)


def test_last_moment_keeps_the_local_time_across_the_autumn_dst_change():
    # Sunday 25/10/2026 France moves back to UTC+1 at 03:00.
    moment = last_moment(date(2026, 10, 26), calendar_days(1), NO_CLOSED_DAYS)
    assert moment.astimezone(UTC) == datetime.datetime(2026, 10, 25, 9, 0, tzinfo=UTC)


def test_booking_on_the_dst_sunday_compares_in_utc_correctly():
    rules = make_rules(booking=calendar_days(0))
    day = date(2027, 3, 28)
    in_time = datetime.datetime(2027, 3, 28, 8, 0, tzinfo=UTC)  # 10:00 in Paris that day
    assert booking_refusal(day, rules, now=in_time, is_open=True, enrolled=True, closed_days=NO_CLOSED_DAYS) is None
    late = in_time + datetime.timedelta(minutes=1)
    assert booking_refusal(day, rules, now=late, is_open=True, enrolled=True, closed_days=NO_CLOSED_DAYS) == (
        "Hors délai de réservation (jusqu'au dim. 28/03 à 10:00)"
    )


def test_is_working_day():
    assert is_working_day(date(2026, 12, 10), NO_CLOSED_DAYS)
    assert not is_working_day(date(2026, 12, 12), NO_CLOSED_DAYS)  # Saturday
    assert not is_working_day(date(2026, 12, 13), NO_CLOSED_DAYS)  # Sunday
    assert not is_working_day(date(2026, 11, 11), NO_CLOSED_DAYS)  # Armistice
    assert not is_working_day(date(2026, 12, 10), {date(2026, 12, 10)})


# ---------------------------------------------------------------- booking and cancellation délais


def refusal(day=DAY, rules=RULES, **kwargs):
    kwargs = {"now": EARLY, "is_open": True, "enrolled": True, "closed_days": NO_CLOSED_DAYS, **kwargs}
    return booking_refusal(day, rules, **kwargs)


BOOKING_TOO_LATE = "Hors délai de réservation (jusqu'au mar. 08/12 à 10:00)"


@pytest.mark.parametrize(
    "now, expected",
    [
        (paris(2026, 12, 8, 9, 59), None),
        (paris(2026, 12, 8, 10, 0), None),  # exactly at the limit: still in time
        (paris(2026, 12, 8, 10, 0, 0, 1), BOOKING_TOO_LATE),
        (paris(2026, 12, 8, 10, 0, 1), BOOKING_TOO_LATE),
        (paris(2026, 12, 8, 10, 1), BOOKING_TOO_LATE),
        (paris(2026, 12, 10, 12, 0), BOOKING_TOO_LATE),
        (paris(2026, 12, 11, 12, 0), BOOKING_TOO_LATE),  # a past day
    ],
)
def test_booking_deadline_minute_before_at_and_after(now, expected):
    assert refusal(now=now) == expected


def test_booking_deadline_in_working_days_is_shown_with_the_day_reached():
    rules = make_rules(booking=working_days(2, time(18, 30)))
    monday = date(2026, 12, 7)
    assert refusal(monday, rules, now=paris(2026, 12, 3, 18, 30)) is None
    assert refusal(monday, rules, now=paris(2026, 12, 3, 18, 31)) == (
        "Hors délai de réservation (jusqu'au jeu. 03/12 à 18:30)"
    )


def test_booking_deadline_counts_the_structure_closed_days():
    rules = make_rules(booking=working_days(1))
    closed = frozenset({date(2026, 12, 9)})
    assert refusal(rules=rules, now=paris(2026, 12, 8, 10, 0), closed_days=closed) is None
    assert refusal(rules=rules, now=paris(2026, 12, 8, 10, 1), closed_days=closed) == BOOKING_TOO_LATE
    assert refusal(rules=rules, now=paris(2026, 12, 9, 10, 0)) is None  # not closed: Wednesday counts


def test_booking_deadline_n0_is_the_day_itself():
    rules = make_rules(booking=calendar_days(0, time(8, 0)))
    assert refusal(rules=rules, now=paris(2026, 12, 10, 8, 0)) is None
    assert refusal(rules=rules, now=paris(2026, 12, 10, 8, 1)) == (
        "Hors délai de réservation (jusqu'au jeu. 10/12 à 08:00)"
    )


def test_cancellation_deadline_is_its_own():
    rules = make_rules(booking=calendar_days(0), cancellation=working_days(3, time(12, 0)))
    # Thursday 10/12, three working days back: Monday 07/12 at 12:00.
    assert cancellation_refusal(DAY, rules, now=paris(2026, 12, 7, 12, 0), closed_days=NO_CLOSED_DAYS) is None
    assert cancellation_refusal(DAY, rules, now=paris(2026, 12, 7, 12, 1), closed_days=NO_CLOSED_DAYS) == (
        "Hors délai d'annulation (jusqu'au lun. 07/12 à 12:00)"
    )
    assert refusal(rules=rules, now=paris(2026, 12, 9, 12, 0)) is None


# ---------------------------------------------------------------- période, opening moment, enrolment


@pytest.mark.parametrize(
    "day, expected",
    [
        (date(2026, 8, 31), OUTSIDE_PERIOD),
        (date(2026, 9, 1), None),
        (date(2027, 7, 6), None),
        (date(2027, 7, 7), OUTSIDE_PERIOD),
    ],
)
def test_period_bounds_are_inclusive(day, expected):
    assert refusal(day, now=paris(2026, 8, 1)) == expected


def test_bookings_open_at_a_given_moment():
    opens_at = datetime.datetime(2026, 11, 15, 17, 0, tzinfo=UTC)  # 18:00 in Paris (winter)
    rules = make_rules(opens_at=opens_at)
    assert refusal(rules=rules, now=paris(2026, 11, 15, 17, 59)) == (
        "Réservations pas encore ouvertes (ouverture le 15/11/2026 à 18:00)"
    )
    assert refusal(rules=rules, now=paris(2026, 11, 15, 17, 59, 59)) is not None
    assert refusal(rules=rules, now=paris(2026, 11, 15, 18, 0)) is None
    assert refusal(rules=rules, now=paris(2026, 11, 15, 18, 1)) is None


def test_refusal_reasons_in_order():
    late = paris(2026, 12, 20)
    assert refusal(is_open=False, enrolled=False, now=late) == NOT_OPEN
    assert refusal(enrolled=False, now=late) == NOT_ENROLLED
    assert refusal(date(2027, 8, 1), now=late) == OUTSIDE_PERIOD
    assert refusal(now=late) == BOOKING_TOO_LATE


# ---------------------------------------------------------------- placement and occupancy


@pytest.mark.parametrize(
    "occupancy, expected",
    [
        (Occupancy(50, 0, 0, 0, limited=False), "accepted"),
        (Occupancy(9, 0, 10, 3, limited=True), "accepted"),
        (Occupancy(10, 0, 10, 3, limited=True), "waitlisted"),
        (Occupancy(10, 2, 10, 3, limited=True), "waitlisted"),
        (Occupancy(10, 3, 10, 3, limited=True), None),
        (Occupancy(10, 0, 10, 0, limited=True), None),
        (Occupancy(12, 0, 10, 0, limited=True), None),  # capacity lowered below the bookings
    ],
)
def test_placement(occupancy, expected):
    assert placement(occupancy) == expected


def test_occupancy_counts():
    assert Occupancy(4, 1, 10, 3, limited=True).places_left == 6
    assert Occupancy(12, 1, 10, 3, limited=True).places_left == 0
    assert Occupancy(4, 1, 10, 3, limited=False).places_left is None
    assert Occupancy(4, 1, 10, 3, limited=True).waiting_list_room == 2
    assert Occupancy(4, 5, 10, 3, limited=True).waiting_list_room == 0


def test_occupancy_from_opening_uses_the_day_overrides():
    activity = SimpleNamespace(is_limited=True)
    opening = SimpleNamespace(activity=activity, effective_capacity=5, effective_waiting_list_capacity=1)
    occupancy = Occupancy.from_opening(opening, accepted=5, waitlisted=0)
    assert occupancy == Occupancy(5, 0, 5, 1, limited=True)
    assert placement(occupancy) == "waitlisted"


# ---------------------------------------------------------------- S-states


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        ({"is_open": False, "occupancy": None}, NOT_OPEN),
        ({"enrolled": False}, NOT_ENROLLED),
        ({"day": date(2027, 7, 7)}, OUTSIDE_PERIOD),
        (
            {"rules": make_rules(opens_at=paris(2026, 12, 1, 18, 0))},
            "Réservations pas encore ouvertes (ouverture le 01/12/2026 à 18:00)",
        ),
        ({"now": paris(2026, 12, 8, 10, 1)}, BOOKING_TOO_LATE),
    ],
)
def test_s0_for_each_reason(kwargs, reason):
    ds = state_of(**kwargs)
    assert ds == DayState(S.CLOSED, reason=reason)
    assert not ds.bookable and not ds.cancellable and not ds.actionable


def test_s1_full_waiting_list_included():
    ds = state_of(occupancy=Occupancy(10, 3, 10, 3, limited=True))
    assert ds == DayState(S.FULL, places_left=0, reason=FULL)
    assert not ds.actionable


def test_s2_limited_shows_places_left():
    ds = state_of()
    assert ds == DayState(S.FREE, places_left=6)
    assert ds.bookable and not ds.cancellable and not ds.booked


def test_s2_unlimited_has_no_places_count():
    rules = make_rules(limited=False, capacity=0, waiting_list_capacity=0)
    assert state_of(rules=rules, occupancy=Occupancy(80, 0, 0, 0, limited=False)) == DayState(S.FREE)
    assert state_of(rules=rules, occupancy=None) == DayState(S.FREE)


def test_limited_open_day_needs_its_occupancy():
    with pytest.raises(ValueError):
        state_of(occupancy=None)


def test_s3_full_with_waiting_list_room():
    ds = state_of(occupancy=Occupancy(10, 1, 10, 3, limited=True))
    assert ds == DayState(S.WAITLIST_OPEN, places_left=0)
    assert ds.bookable


def test_s4_booked_and_cancellable():
    ds = state_of(booking_status="accepted")
    assert ds == DayState(S.BOOKED, places_left=6)
    assert ds.cancellable and ds.booked and ds.effective == "accepted"


def test_s5_waitlisted_with_position():
    ds = state_of(booking_status="waitlisted", waiting_position=2, occupancy=Occupancy(10, 2, 10, 3, limited=True))
    assert ds == DayState(S.WAITLISTED, places_left=0, waiting_position=2)
    assert ds.cancellable and ds.effective == "waitlisted"


LATE_TO_CANCEL = paris(2026, 12, 5, 12, 0)
STRICT_CANCEL = make_rules(cancellation=calendar_days(7))
CANCEL_TOO_LATE = "Hors délai d'annulation (jusqu'au jeu. 03/12 à 10:00)"


def test_s6_booked_locked():
    ds = state_of(rules=STRICT_CANCEL, now=LATE_TO_CANCEL, booking_status="accepted", mark=Mark.CANCEL)
    assert ds == DayState(S.BOOKED_LOCKED, places_left=6, reason=CANCEL_TOO_LATE)
    assert not ds.actionable and ds.booked and ds.effective == "accepted"


def test_s7_waitlisted_locked():
    ds = state_of(rules=STRICT_CANCEL, now=LATE_TO_CANCEL, booking_status="waitlisted", waiting_position=1)
    assert ds == DayState(S.WAITLISTED_LOCKED, places_left=6, waiting_position=1, reason=CANCEL_TOO_LATE)
    assert ds.effective == "waitlisted"


def test_a_booking_shows_even_if_the_day_closed_or_the_enrolment_ended():
    ds = state_of(is_open=False, enrolled=False, occupancy=None, booking_status="accepted")
    assert ds.state is S.BOOKED


def test_waiting_position_is_kept_only_for_the_waiting_list():
    assert state_of(booking_status="accepted", waiting_position=3).waiting_position is None


@pytest.mark.parametrize(
    "kwargs, mark, kept",
    [
        ({}, Mark.BOOK, True),
        ({"occupancy": Occupancy(10, 0, 10, 3, limited=True)}, Mark.BOOK, True),
        ({}, Mark.CANCEL, False),
        ({"booking_status": "accepted"}, Mark.CANCEL, True),
        ({"booking_status": "waitlisted"}, Mark.CANCEL, True),
        ({"booking_status": "accepted"}, Mark.BOOK, False),
        ({"occupancy": Occupancy(10, 3, 10, 3, limited=True)}, Mark.BOOK, False),  # filled up since drafted
        ({"now": paris(2026, 12, 9)}, Mark.BOOK, False),  # hors délai since drafted
        ({"rules": STRICT_CANCEL, "now": LATE_TO_CANCEL, "booking_status": "accepted"}, Mark.CANCEL, False),
    ],
)
def test_marks_are_kept_only_where_they_apply(kwargs, mark, kept):
    assert state_of(mark=mark, **kwargs).mark is (mark if kept else None)


def test_effective_booking_once_the_draft_applies():
    assert state_of(mark=Mark.BOOK).effective == "accepted"
    assert state_of(mark=Mark.BOOK, occupancy=Occupancy(10, 0, 10, 3, limited=True)).effective == "waitlisted"
    assert state_of(booking_status="accepted", mark=Mark.CANCEL).effective is None
    assert not state_of(booking_status="waitlisted", mark=Mark.CANCEL).effective_booked
    assert state_of().effective is None


def test_states_compare_to_their_ids():
    assert S.FREE == "S2" and T.LOCKED_WAITLIST == "T7" and Mark.BOOK == "book"
    assert [s.value for s in S] == [f"S{i}" for i in range(8)]
    assert [t.value for t in T] == [f"T{i}" for i in range(8)]


# ---------------------------------------------------------------- T-states


def ds(state, mark=None):
    return DayState(S(state), mark=mark)


B, C = Mark.BOOK, Mark.CANCEL


@pytest.mark.parametrize(
    "states, expected",
    [
        ([], "T0"),
        ([ds("S0"), ds("S0")], "T0"),
        ([ds("S1"), ds("S0")], "T1"),
        ([ds("S2"), ds("S1"), ds("S0")], "T2"),
        ([ds("S3"), ds("S2"), ds("S1")], "T3"),
        ([ds("S4"), ds("S1")], "T4"),
        ([ds("S6"), ds("S2")], "T4"),
        ([ds("S6"), ds("S3")], "T4"),
        ([ds("S5"), ds("S1")], "T5"),
        ([ds("S6"), ds("S5")], "T5"),
        ([ds("S7"), ds("S4")], "T5"),
        ([ds("S6")], "T6"),
        ([ds("S6"), ds("S1"), ds("S0")], "T6"),
        ([ds("S6"), ds("S7"), ds("S0")], "T7"),
        ([ds("S7")], "T7"),
        # draft marks
        ([ds("S2", B)], "T4"),
        ([ds("S3", B), ds("S0")], "T5"),
        ([ds("S3", B), ds("S2")], "T5"),
        ([ds("S2", B), ds("S7")], "T5"),
        ([ds("S4", C)], "T2"),
        ([ds("S4", C), ds("S1")], "T2"),
        ([ds("S5", C)], "T3"),
        ([ds("S5", C), ds("S2")], "T3"),
        ([ds("S4", C), ds("S6")], "T4"),
        ([ds("S5", C), ds("S4")], "T4"),
        ([ds("S4", C), ds("S7")], "T5"),
        ([ds("S4", C), ds("S3", B)], "T5"),
    ],
)
def test_t_state(states, expected):
    assert t_state(states) == expected
    assert t_state(iter(states)) == expected  # any iterable


def test_t4_becomes_t2_when_the_only_booking_is_to_cancel():
    booked = state_of(booking_status="accepted")
    assert t_state([booked, state_of(is_open=False)]) is T.BOOKED
    to_cancel = state_of(booking_status="accepted", mark=Mark.CANCEL)
    assert t_state([to_cancel, state_of(is_open=False)]) is T.FREE


# ---------------------------------------------------------------- set_toggle (R5c)


WEEK = [date(2026, 12, 7) + datetime.timedelta(days=i) for i in range(7)]  # Monday to Sunday


def week(*states):
    return list(zip(WEEK, states, strict=False))


def apply(states, changes):
    return [(day, dataclasses.replace(s, mark=changes.get(day, s.mark))) for day, s in states]


def test_toggle_books_every_bookable_day_when_the_first_is_not_booked():
    states = week(ds("S0"), ds("S2"), ds("S1"), ds("S3"), ds("S6"), ds("S0"), ds("S2"))
    assert set_toggle(states) == {WEEK[1]: B, WEEK[3]: B, WEEK[6]: B}


def test_toggle_leaves_booked_days_booked_when_booking():
    states = week(ds("S2"), ds("S4"), ds("S5"), ds("S3"))
    assert set_toggle(states) == {WEEK[0]: B, WEEK[3]: B}


def test_toggle_cancels_every_cancellable_day_when_the_first_is_booked():
    states = week(ds("S1"), ds("S4"), ds("S2"), ds("S5"), ds("S6"), ds("S7"), ds("S4"))
    assert set_toggle(states) == {WEEK[1]: C, WEEK[3]: C, WEEK[6]: C}


def test_toggle_looks_at_the_draft_first_day_marked_to_book():
    # The first day is "to book": the set counts as booked, so the tool un-books it all.
    states = week(ds("S2", B), ds("S2"), ds("S3", B), ds("S4"), ds("S5", C))
    assert set_toggle(states) == {WEEK[0]: None, WEEK[2]: None, WEEK[3]: C}


def test_toggle_looks_at_the_draft_first_day_marked_to_cancel():
    # The first day is "to cancel": the set counts as not booked, so the tool re-books it all.
    states = week(ds("S4", C), ds("S2"), ds("S5", C), ds("S4"), ds("S3", B))
    assert set_toggle(states) == {WEEK[0]: None, WEEK[1]: B, WEEK[2]: None}


def test_toggle_finds_the_first_day_by_date():
    states = list(reversed(week(ds("S4"), ds("S2"))))
    assert set_toggle(states) == {WEEK[0]: C}


def test_toggle_on_nothing_actionable_changes_nothing():
    assert set_toggle(week(ds("S0"), ds("S1"), ds("S6"), ds("S7"))) == {}
    assert set_toggle([]) == {}


def test_toggle_twice_returns_a_plain_week_to_itself():
    states = week(ds("S0"), ds("S2"), ds("S3"), ds("S1"), ds("S2"))
    once = apply(states, set_toggle(states))
    assert [s.mark for _, s in once] == [None, B, B, None, B]
    twice = apply(once, set_toggle(once))
    assert twice == states


# ---------------------------------------------------------------- check_times


TIMED = make_rules(has_times=True, earliest=time(7, 30), latest=time(8, 30), step=15)


@pytest.mark.parametrize(
    "arrival, departure, expected",
    [
        (time(7, 30), time(8, 30), None),
        (time(7, 45), time(8, 0), None),
        (time(7, 15), time(8, 0), "Horaires hors de la plage 07:30–08:30"),
        (time(7, 30), time(8, 45), "Horaires hors de la plage 07:30–08:30"),
        (time(7, 40), time(8, 0), "Horaires à choisir par pas de 15 minutes"),
        (time(7, 30), time(8, 10), "Horaires à choisir par pas de 15 minutes"),
        (time(7, 30, 30), time(8, 0), "Horaires à choisir par pas de 15 minutes"),
        (time(8, 0), time(8, 0), "L'heure de départ doit suivre l'heure d'arrivée"),
        (time(8, 15), time(7, 45), "L'heure de départ doit suivre l'heure d'arrivée"),
        (None, time(8, 0), "Horaires d'arrivée et de départ à indiquer"),
        (time(8, 0), None, "Horaires d'arrivée et de départ à indiquer"),
    ],
)
def test_check_times(arrival, departure, expected):
    assert check_times(TIMED, arrival, departure) == expected


def test_check_times_of_an_activity_without_times():
    assert check_times(RULES, None, None) is None
    assert check_times(RULES, time(8, 0), time(9, 0)) == "Cette activité ne prend pas d'horaires"
    assert check_times(RULES, None, time(9, 0)) == "Cette activité ne prend pas d'horaires"


# ---------------------------------------------------------------- from_activity


def test_rules_from_an_activity():
    activity = SimpleNamespace(
        is_limited=True,
        capacity=12,
        waiting_list_capacity=2,
        booking_period_start=date(2026, 9, 1),
        booking_period_end=date(2027, 7, 6),
        bookings_open_at=None,
        booking_deadline_days=2,
        booking_deadline_time=time(10, 0),
        booking_deadline_count="working",
        cancellation_deadline_days=1,
        cancellation_deadline_time=time(18, 0),
        cancellation_deadline_count="calendar",
        has_times=True,
        earliest_time=time(7, 30),
        latest_time=time(8, 30),
        time_step_minutes=15,
    )
    rules = ActivityRules.from_activity(activity)
    assert rules.booking == Deadline(2, time(10, 0), working_days=True)
    assert rules.cancellation == Deadline(1, time(18, 0), working_days=False)
    assert (rules.limited, rules.capacity, rules.waiting_list_capacity) == (True, 12, 2)
    assert (rules.earliest, rules.latest, rules.step) == (time(7, 30), time(8, 30), 15)
    activity.has_times = False
    assert ActivityRules.from_activity(activity).step is None


def test_rules_from_a_real_activity_model():
    from portail.structures.models import Activity, DayCount

    activity = Activity(
        booking_period_start=date(2026, 9, 1),
        booking_period_end=date(2027, 7, 6),
        booking_deadline_count=DayCount.WORKING,
    )
    rules = ActivityRules.from_activity(activity)
    assert rules.booking.working_days and not rules.cancellation.working_days
    assert rules.booking == Deadline(2, time(10, 0), working_days=True)


# ---------------------------------------------------------------- properties


days = st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 12, 31))
times = st.times().map(lambda t: t.replace(second=0, microsecond=0))
closed_sets = st.frozensets(days, max_size=20)


@given(day=days, n=st.integers(0, 60), at=times, closed=closed_sets)
def test_working_day_deadline_lands_on_a_working_day_and_never_after_the_day(day, n, at, closed):
    moment = last_moment(day, working_days(n, at), closed)
    assert moment <= datetime.datetime.combine(day, at, tzinfo=PARIS)
    assert (moment.hour, moment.minute) == (at.hour, at.minute)
    if n:
        reached = moment.date()
        assert is_working_day(reached, closed)
        between = [reached + datetime.timedelta(days=i) for i in range(1, (day - reached).days)]
        assert sum(is_working_day(d, closed) for d in between) == n - 1
    else:
        assert moment.date() == day


@given(day=days, n=st.integers(0, 60), more=st.integers(0, 30), at=times, closed=closed_sets, working=st.booleans())
def test_a_deadline_with_more_days_is_never_later(day, n, more, at, closed, working):
    shorter = last_moment(day, Deadline(n, at, working), closed)
    longer = last_moment(day, Deadline(n + more, at, working), closed)
    assert longer <= shorter


@given(day=days, n=st.integers(0, 365), at=times)
def test_calendar_deadline_is_n_days_before(day, n, at):
    assert last_moment(day, calendar_days(n, at), NO_CLOSED_DAYS).date() == day - datetime.timedelta(days=n)


def applicable_mark(state):
    if state in ("S2", "S3"):
        return st.sampled_from([None, B])
    if state in ("S4", "S5"):
        return st.sampled_from([None, C])
    return st.none()


def day_states(allowed=tuple(S)):
    return st.sampled_from(list(allowed)).flatmap(lambda s: applicable_mark(s).map(lambda m: ds(s, m)))


@given(st.lists(day_states(), max_size=8).flatmap(lambda xs: st.tuples(st.just(xs), st.permutations(xs))))
def test_t_state_ignores_the_order_of_activities(pair):
    states, shuffled = pair
    assert t_state(states) == t_state(shuffled)


@given(st.lists(day_states(), max_size=8))
def test_t_state_is_t0_only_without_any_open_activity(states):
    assert (t_state(states) is T.NOTHING) == all(s.state is S.CLOSED for s in states)


def day_sets(allowed=tuple(S)):
    return st.lists(day_states(allowed), max_size=10).flatmap(
        lambda xs: st.lists(days, min_size=len(xs), max_size=len(xs), unique=True).map(
            lambda ds_: list(zip(ds_, xs, strict=True))
        )
    )


@given(day_sets())
def test_toggle_leaves_alone_days_that_cannot_act_and_makes_the_set_uniform(states):
    changes = set_toggle(states)
    actionable = {day for day, s in states if s.actionable}
    assert set(changes) <= actionable
    after = [s for _, s in apply(states, changes) if s.actionable]
    assert len({s.effective_booked for s in after}) <= 1
    for day, mark in changes.items():
        s = dict(states)[day]
        assert mark in ((B, None) if s.bookable else (C, None))


@given(day_sets(allowed=(S.FREE, S.WAITLIST_OPEN, S.BOOKED, S.WAITLISTED, S.CLOSED)))
def test_toggle_is_an_involution_once_the_set_is_uniform(states):
    once = apply(states, set_toggle(states))
    twice = apply(once, set_toggle(once))
    thrice = apply(twice, set_toggle(twice))
    assert thrice == once
    uniform = {s.effective_booked for _, s in states if s.actionable}
    if len(uniform) <= 1:
        assert twice == states


@given(
    capacity=st.integers(0, 10),
    waiting=st.integers(0, 5),
    requests=st.integers(0, 30),
    limited=st.booleans(),
)
def test_placement_never_exceeds_the_capacities(capacity, waiting, requests, limited):
    accepted = waitlisted = refused = 0
    for _ in range(requests):
        got = placement(Occupancy(accepted, waitlisted, capacity, waiting, limited))
        if got == "accepted":
            accepted += 1
        elif got == "waitlisted":
            waitlisted += 1
        else:
            refused += 1
    if limited:
        assert accepted == min(requests, capacity)
        assert waitlisted == min(requests - accepted, waiting)
    else:
        assert (accepted, waitlisted, refused) == (requests, 0, 0)


@given(
    day=st.dates(min_value=date(2026, 8, 25), max_value=date(2027, 7, 12)),
    now_day=st.dates(min_value=date(2026, 8, 1), max_value=date(2027, 7, 12)),
    now_time=times,
    accepted=st.integers(0, 12),
    waitlisted=st.integers(0, 4),
    is_open=st.booleans(),
    enrolled=st.booleans(),
)
def test_a_free_day_is_bookable_exactly_when_rules_and_places_allow(
    day, now_day, now_time, accepted, waitlisted, is_open, enrolled
):
    now = datetime.datetime.combine(now_day, now_time, tzinfo=PARIS)
    occupancy = Occupancy(accepted, waitlisted, 10, 3, limited=True)
    s = state_of(day, now=now, is_open=is_open, enrolled=enrolled, occupancy=occupancy)
    why = refusal(day, now=now, is_open=is_open, enrolled=enrolled)
    assert s.bookable == (why is None and placement(occupancy) is not None)
    assert (s.state is S.CLOSED) == (why is not None)
    assert s.reason == (why or (FULL if s.state is S.FULL else None))
