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


def closed_dates(structure, start, end):
    """Dates between start and end (inclusive) inside one of the structure's
    closed periods, without the public holidays (the bulk openings count them
    apart). The booking rules take `structure_closed_days`, through
    booking.calendar.closed_days."""
    periods = structure.closed_periods.filter(start_date__lte=end, end_date__gte=start)
    spans = periods.values_list("start_date", "end_date").order_by()
    return {day for first, last in spans for day in days_between(max(first, start), min(last, end))}


def structure_closed_days(structure_id, start, end):
    """Every day between start and end (inclusive) the structure is closed: its
    closed periods and its region's public holidays, as a frozenset. One query.

    What the booking rules take as `closed_days` (working-day délais). Periods
    are clipped to the window, so a closure stored with an absurd start costs
    no more than one within the window.
    """
    # Imported here: the pure booking rules import this module, never the models.
    from django.db.models import FilteredRelation, Q

    from portail.structures.models import Structure

    # The structure's row LEFT JOINed with its periods in the window: one row
    # (periods None) when there is none, so the region comes in the same query.
    rows = (
        Structure.objects.filter(pk=structure_id)
        .annotate(
            period=FilteredRelation(
                "closed_periods",
                condition=Q(closed_periods__end_date__gte=start, closed_periods__start_date__lte=end),
            )
        )
        .values_list("holiday_subdivision", "period__start_date", "period__end_date")
        .order_by()
    )
    closed = set()
    subdivision = NATIONAL  # an unknown structure: nothing closed but the national holidays
    for region, first, last in rows:
        subdivision = region
        if first is not None:
            closed.update(days_between(max(first, start), min(last, end)))
    for year in range(start.year, end.year + 1):
        closed.update(day for day in public_holidays(year, subdivision) if start <= day <= end)
    return frozenset(closed)


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
