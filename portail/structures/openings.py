"""Bulk creation of openings (B3): weekdays between two dates, minus closed
days and the public holidays of the structure's region, never touching an
opening that already exists. The closed days are the activity's own (issue 18
point 2): closures of the whole structure or chosen for it, the school holidays
not counting for an activity open during them."""

from collections import Counter
from dataclasses import dataclass

from django.db import transaction

from portail.structures.calendar import closed_dates, days_between, is_public_holiday, plan_openings
from portail.structures.models import Opening


@dataclass(frozen=True)
class OpeningsPlan:
    to_create: list
    already_open: int
    skipped_closed: int
    skipped_holidays: int


def preview_openings(activity, start, end, weekdays):
    """What `create_openings` would do, without writing anything."""
    structure = activity.structure
    closed = closed_dates(structure, start, end, activity=activity)
    region = structure.holiday_subdivision
    candidates = plan_openings(start, end, weekdays, excluded=closed, subdivision=region)
    existing = set(activity.openings.filter(date__range=(start, end)).values_list("date", flat=True))
    on_weekdays = [d for d in days_between(start, end) if d.weekday() in weekdays]
    return OpeningsPlan(
        to_create=[d for d in candidates if d not in existing],
        already_open=sum(1 for d in candidates if d in existing),
        skipped_closed=sum(1 for d in on_weekdays if d in closed),
        skipped_holidays=sum(1 for d in on_weekdays if d not in closed and is_public_holiday(d, region)),
    )


def create_openings(activity, start, end, weekdays, capacity=None, waiting_list_capacity=None):
    """Create the planned openings; returns how many were created."""
    plan = preview_openings(activity, start, end, weekdays)
    rows = [
        Opening(activity=activity, date=day, capacity=capacity, waiting_list_capacity=waiting_list_capacity)
        for day in plan.to_create
    ]
    with transaction.atomic():
        Opening.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# Monday, Tuesday, Thursday, Friday: the school days of a périscolaire, the
# default of an activity with no opening yet.
SCHOOL_WEEKDAYS = (0, 1, 3, 4)
WEEKDAYS_SAMPLE = 40  # the activity's latest openings its usual weekdays are read from


def usual_weekdays(activity):
    """The weekdays (0 = Monday) the activity usually opens, to pre-tick in the
    bulk openings: those of its latest openings (a weekday seen at least twice,
    so that one exceptional Saturday does not come back every time); with no
    such opening yet, Monday to Friday for an activity open during the school
    holidays, the school days otherwise. One query."""
    dates = activity.openings.order_by("-date").values_list("date", flat=True)[:WEEKDAYS_SAMPLE]
    seen = Counter(day.weekday() for day in dates)
    usual = sorted(weekday for weekday, count in seen.items() if count >= 2)
    if usual:
        return usual
    return [0, 1, 2, 3, 4] if activity.open_during_school_holidays else list(SCHOOL_WEEKDAYS)
