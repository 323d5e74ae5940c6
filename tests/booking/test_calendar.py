"""booking.calendar: the closed days and the cancellation deadline every caller
reads (the calendar, the confirmation, Mes réservations, the waiting-list notice)."""

import datetime
from zoneinfo import ZoneInfo

from portail.booking.calendar import cancellation_deadline, closed_days
from portail.structures.models import DayCount

PARIS = ZoneInfo("Europe/Paris")
MONDAY_AFTER_CHRISTMAS_HOLIDAYS = datetime.date(2027, 1, 4)  # world: A closed 19/12/2026 – 03/01/2027


def test_closed_days_reach_back_as_far_as_a_delai(world):
    closed = closed_days(world.a, MONDAY_AFTER_CHRISTMAS_HOLIDAYS, MONDAY_AFTER_CHRISTMAS_HOLIDAYS)
    assert datetime.date(2026, 12, 21) in closed  # the structure's closed period
    assert datetime.date(2025, 12, 25) in closed  # a public holiday within the délais' horizon
    assert datetime.date(2024, 12, 25) not in closed  # beyond it: no délai counts back that far
    assert closed == closed_days(world.a.pk, MONDAY_AFTER_CHRISTMAS_HOLIDAYS, MONDAY_AFTER_CHRISTMAS_HOLIDAYS)


def test_cancellation_deadline_counts_working_days_around_the_closure(world, django_assert_num_queries):
    activity = world.aps_a
    activity.cancellation_deadline_days = 2
    activity.cancellation_deadline_count = DayCount.WORKING
    with django_assert_num_queries(1):
        deadline = cancellation_deadline(activity, MONDAY_AFTER_CHRISTMAS_HOLIDAYS)
    # Back from Monday 04/01: the weekend and the closure do not count; Fri 18/12, then Thu 17/12.
    assert deadline == datetime.datetime(2026, 12, 17, 10, 0, tzinfo=PARIS)
    activity.cancellation_deadline_count = DayCount.CALENDAR
    assert cancellation_deadline(activity, MONDAY_AFTER_CHRISTMAS_HOLIDAYS, closed=frozenset()) == datetime.datetime(
        2027, 1, 2, 10, 0, tzinfo=PARIS
    )
