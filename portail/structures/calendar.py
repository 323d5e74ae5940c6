"""Which days a structure is closed: French public holidays (computed, for the
structure's region) and its own closed periods. Pure helpers over plain dates,
and one loader (`structure_closed_days`) that the booking engine reads through
`booking.calendar.closed_days` (the only way the apps above reach it).

The region is a `HolidaySubdivision` value ("" for metropolitan France: the
national holidays only). Every region's holidays include the national ones
(tests/structures/test_holidays.py checks it), so code that only knows the
national holidays (the pure rules' own check) is never wrong, only incomplete.
"""

import datetime
from functools import lru_cache

import holidays

NATIONAL = ""  # HolidaySubdivision.METROPOLITAN, without importing the models


@lru_cache(maxsize=256)
def public_holidays(year, subdivision=NATIONAL):
    """Public holidays of a year in a region of France (`subdivision`: a
    HolidaySubdivision value, "" = metropolitan France), as a frozenset of dates."""
    return frozenset(holidays.France(years=year, subdiv=subdivision or None).keys())


def is_public_holiday(day, subdivision=NATIONAL):
    return day in public_holidays(day.year, subdivision)


def closure_applies(chosen_ids, school_holidays, activity_id, open_during_school_holidays):
    """Whether a closed period closes an activity (issue 18 point 2): an activity
    chosen for it is closed; a period with no activity chosen closes the whole
    structure, except, when it is marked as school holidays, the activities
    open during the school holidays. `activity_id` None: the structure as a
    whole (its periods with no activity chosen, school holidays included)."""
    if chosen_ids:
        return activity_id in chosen_ids
    return not (school_holidays and open_during_school_holidays)


def _periods(structure_id, start, end):
    """The structure's region and its closed periods overlapping start–end, each
    as (first, last, school_holidays, ids of its chosen activities). One query:
    the structure's row LEFT JOINed with its periods in the window and their
    activities (one row, periods None, when there is none)."""
    # Imported here: the pure booking rules import this module, never the models.
    from django.db.models import FilteredRelation, Q

    from portail.structures.models import Structure

    rows = (
        Structure.objects.filter(pk=structure_id)
        .annotate(
            period=FilteredRelation(
                "closed_periods",
                condition=Q(closed_periods__end_date__gte=start, closed_periods__start_date__lte=end),
            )
        )
        .values_list(
            "holiday_subdivision",
            "period__pk",
            "period__start_date",
            "period__end_date",
            "period__school_holidays",
            "period__activities__pk",
        )
        .order_by()
    )
    subdivision = NATIONAL  # an unknown structure: nothing closed but the national holidays
    periods = {}
    for region, pk, first, last, school_holidays, activity_id in rows:
        subdivision = region
        if pk is None:
            continue
        _, _, _, chosen = periods.setdefault(pk, (first, last, school_holidays, set()))
        if activity_id is not None:
            chosen.add(activity_id)
    return subdivision, list(periods.values())


def _closed_by_periods(periods, start, end, activity):
    activity_id = activity.pk if activity is not None else None
    open_in_holidays = activity is not None and activity.open_during_school_holidays
    closed = set()
    for first, last, school_holidays, chosen in periods:
        if closure_applies(chosen, school_holidays, activity_id, open_in_holidays):
            closed.update(days_between(max(first, start), min(last, end)))
    return closed


def closed_dates(structure, start, end, activity=None):
    """Dates between start and end (inclusive) inside one of the structure's
    closed periods, without the public holidays (the bulk openings count them
    apart). With `activity`: the periods that close that activity
    (`closure_applies`). The booking rules take `structure_closed_days`,
    through booking.calendar.closed_days."""
    _, periods = _periods(structure.pk, start, end)
    return _closed_by_periods(periods, start, end, activity)


def structure_closed_days(structure_id, start, end, activity=None):
    """Every day between start and end (inclusive) the structure is closed: its
    closed periods and its region's public holidays, as a frozenset. One query.
    With `activity` (an Activity): the days closed for that activity — the
    periods that close it (`closure_applies`) and the public holidays.

    What the booking rules take as `closed_days` (working-day délais). Periods
    are clipped to the window, so a closure stored with an absurd start costs
    no more than one within the window.
    """
    by_activity = structure_closed_days_by_activity(structure_id, start, end, [activity])
    return by_activity[activity.pk if activity is not None else None]


def structure_closed_days_by_activity(structure_id, start, end, activities):
    """`structure_closed_days` for several activities at once, in one query:
    {activity id: frozenset of days} (an activity None: the whole structure, under None)."""
    subdivision, periods = _periods(structure_id, start, end)
    holidays_in_window = set()
    for year in range(start.year, end.year + 1):
        holidays_in_window.update(day for day in public_holidays(year, subdivision) if start <= day <= end)
    return {
        (activity.pk if activity is not None else None): frozenset(
            _closed_by_periods(periods, start, end, activity) | holidays_in_window
        )
        for activity in activities
    }


def days_between(start, end):
    day = start
    while day <= end:
        yield day
        day += datetime.timedelta(days=1)


def plan_openings(start, end, weekdays, excluded, subdivision=NATIONAL):
    """Dates to open between start and end on the given weekdays (0 = Monday),
    skipping the public holidays of the region (`subdivision`) and the excluded
    dates (closed days)."""
    return [
        day
        for day in days_between(start, end)
        if day.weekday() in weekdays and day not in excluded and not is_public_holiday(day, subdivision)
    ]
