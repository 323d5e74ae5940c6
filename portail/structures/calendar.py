"""Which days a structure is closed: French public holidays (computed) and
its own closed periods. Pure helpers over plain dates."""

import datetime
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def public_holidays(year):
    """French public holidays of a year (metropolitan France), as a frozenset of dates."""
    return frozenset(holidays.France(years=year).keys())


def is_public_holiday(day):
    return day in public_holidays(day.year)


def closed_dates(structure, start, end):
    """Dates between start and end (inclusive) inside one of the structure's closed periods."""
    closed = set()
    periods = structure.closed_periods.filter(start_date__lte=end, end_date__gte=start)
    for period in periods:
        day = max(period.start_date, start)
        while day <= min(period.end_date, end):
            closed.add(day)
            day += datetime.timedelta(days=1)
    return closed


def days_between(start, end):
    day = start
    while day <= end:
        yield day
        day += datetime.timedelta(days=1)


def plan_openings(start, end, weekdays, excluded):
    """Dates to open between start and end on the given weekdays (0 = Monday),
    skipping public holidays and the excluded dates (closed days)."""
    return [
        day
        for day in days_between(start, end)
        if day.weekday() in weekdays and day not in excluded and not is_public_holiday(day)
    ]
