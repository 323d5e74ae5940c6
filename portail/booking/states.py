"""Day states of a child for a month (R3, R5, R7): each enrolled activity's
S-state per day and each day's T-state, draft marks included, in a fixed
number of queries."""

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from portail.booking import rules
from portail.booking.models import Draft, DraftItem
from portail.booking.snapshot import Snapshot, load_snapshot
from portail.structures.models import Activity, Child


@dataclass(frozen=True)
class ActivityMonth:
    activity: Activity
    days: dict[datetime.date, rules.DayState]


@dataclass(frozen=True)
class MonthStates:
    child: Child
    first: datetime.date
    last: datetime.date
    activities: list[ActivityMonth]  # by name
    t_states: dict[datetime.date, rules.T]

    @property
    def days(self) -> list[datetime.date]:
        return [self.first + datetime.timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])


def draft_marks(
    draft: Draft | None, child_ids: Iterable[int], start: datetime.date, end: datetime.date
) -> dict[tuple[int, int, datetime.date], DraftItem]:
    """(child id, activity id, date) -> DraftItem of the draft, for these children and dates."""
    if draft is None or draft.pk is None:
        return {}
    items = DraftItem.objects.filter(draft=draft, child_id__in=list(child_ids), date__range=(start, end))
    return {(i.child_id, i.activity_id, i.date): i for i in items}


def enrolled_activities(child: Child, start: datetime.date, end: datetime.date) -> QuerySet[Activity]:
    return (
        Activity.objects.filter(
            structure_id=child.family.structure_id,
            enrolments__child=child,
            enrolments__start_date__lte=end,
            enrolments__end_date__gte=start,
        )
        .distinct()
        .order_by("name")
    )


def month_snapshot(child: Child, activity: Activity, year: int, month: int, *, now: datetime.datetime) -> Snapshot:
    """What the rules need for one child and activity over a month: the snapshot
    month_states(activity_id=activity.pk) reads, for a caller that first judges
    days of that month with it (the quick tools), so that it is read once."""
    first, last = month_bounds(year, month)
    return load_snapshot(child.family.structure_id, [child.pk], [activity.pk], first, last, now, activities=[activity])


def month_states(
    child: Child,
    year: int,
    month: int,
    *,
    now: datetime.datetime,
    draft: Draft | None = None,
    activity_id: int | None = None,
    snapshot: Snapshot | None = None,
) -> MonthStates:
    """S-states of every activity the child is enrolled in (or just `activity_id`)
    and the T-state of every day of the month. `child` must come from the
    logged-in family (family.children), never from a raw id. `snapshot`: the
    month_snapshot of this child, activity and month, when read already."""
    first, last = month_bounds(year, month)
    activities = list(enrolled_activities(child, first, last))
    if activity_id is not None:
        activities = [a for a in activities if a.pk == activity_id]
    if snapshot is not None and activity_id is not None:
        snap = snapshot
    else:
        snap = load_snapshot(
            child.family.structure_id, [child.pk], [a.pk for a in activities], first, last, now, activities=activities
        )
    marks = draft_marks(draft, [child.pk], first, last)
    months = []
    by_day: dict[datetime.date, list[rules.DayState]] = {}
    for activity in activities:
        days: dict[datetime.date, rules.DayState] = {}
        day = first
        while day <= last:
            item = marks.get((child.pk, activity.pk, day))
            state = snap.state(child.pk, activity.pk, day, mark=rules.Mark(item.action) if item else None)
            days[day] = state
            by_day.setdefault(day, []).append(state)
            day += datetime.timedelta(days=1)
        months.append(ActivityMonth(activity, days))
    t_states = {day: rules.t_state(states) for day, states in by_day.items()}
    return MonthStates(child=child, first=first, last=last, activities=months, t_states=t_states)
