"""Day states of a child for a month (R3, R5, R7): each enrolled activity's
S-state per day and each day's T-state, draft marks included, in a fixed
number of queries.

Issue 15 point 2: a month reads the children's enrolments with their
activities, the structure's closed days, the openings with their place
counters, the children's own bookings (the waiting position for their
waitlisted ones only) and the draft's marks: five queries, four without a
draft, whatever the number of children, activities or bookings of other
families. The rules run once per (activity, day) where they do not depend on
the child (Snapshot.state); `children_month_states` shares that between the
children of a family."""

import calendar
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from portail.booking import rules
from portail.booking.models import Draft, DraftItem
from portail.booking.snapshot import Snapshot, load_snapshot
from portail.structures.models import Activity, Child, Enrolment


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
    # No ordering: DraftItem's default one joins the children, the activities and their structures.
    items = DraftItem.objects.filter(draft=draft, child_id__in=list(child_ids), date__range=(start, end)).order_by()
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
    month_snapshot of this child, activity and month, when read already (then
    no enrolment, opening or booking is read again)."""
    return children_month_states(
        [child], year, month, now=now, draft=draft, activity_id=activity_id, snapshot=snapshot
    )[0]


def children_month_states(
    children: Sequence[Child],
    year: int,
    month: int,
    *,
    now: datetime.datetime,
    draft: Draft | None = None,
    activity_id: int | None = None,
    snapshot: Snapshot | None = None,
) -> list[MonthStates]:
    """month_states of several children of one family (in the given order), from
    one snapshot: the same five queries as for one child, and the rules of each
    (activity, day) worked out once for all of them. `children` come from the
    logged-in family, never from raw ids."""
    first, last = month_bounds(year, month)
    if not children:
        return []
    structure_id = children[0].family.structure_id
    child_ids = [child.pk for child in children]
    if snapshot is not None and activity_id is not None:
        # The caller's snapshot of this month and activity (month_snapshot): it
        # holds the activity and the enrolments already.
        snap = snapshot
        activities = {pk: a for pk, a in snap.activities.items() if pk == activity_id}
        enrolled = {
            (child_id, pk) for (child_id, pk), periods in snap.enrolments.items()
            if pk in activities and any(start <= last and end >= first for start, end in periods)
        }  # fmt: skip
    else:
        activities, enrolled, periods = _enrolments(structure_id, child_ids, first, last, activity_id)
        snap = load_snapshot(
            structure_id, child_ids, list(activities), first, last, now,
            activities=list(activities.values()), enrolments=periods,
        )  # fmt: skip
    marks = draft_marks(draft, child_ids, first, last)
    ordered = sorted(activities.values(), key=lambda a: (a.name, a.pk))  # as enrolled_activities orders them
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    result = []
    for child in children:
        months = []
        by_day: dict[datetime.date, list[rules.DayState]] = {day: [] for day in days}
        for activity in ordered:
            if (child.pk, activity.pk) not in enrolled:
                continue
            states: dict[datetime.date, rules.DayState] = {}
            for day in days:
                item = marks.get((child.pk, activity.pk, day))
                state = snap.state(child.pk, activity.pk, day, mark=rules.Mark(item.action) if item else None)
                states[day] = state
                by_day[day].append(state)
            months.append(ActivityMonth(activity, states))
        t_states = {day: rules.t_state(states) for day, states in by_day.items()} if months else {}
        result.append(MonthStates(child=child, first=first, last=last, activities=months, t_states=t_states))
    return result


def _enrolments(
    structure_id: int, child_ids: list[int], first: datetime.date, last: datetime.date, activity_id: int | None
) -> tuple[dict[int, Activity], set[tuple[int, int]], list[tuple[int, int, datetime.date, datetime.date]]]:
    """The children's enrolments overlapping the month, with their activities, in
    one query: the activities by id, the (child id, activity id) enrolled, and
    the enrolment periods as load_snapshot takes them."""
    rows = Enrolment.objects.filter(
        child_id__in=child_ids, activity__structure_id=structure_id, start_date__lte=last, end_date__gte=first
    ).select_related("activity")
    if activity_id is not None:
        rows = rows.filter(activity_id=activity_id)
    activities: dict[int, Activity] = {}
    enrolled: set[tuple[int, int]] = set()
    periods: list[tuple[int, int, datetime.date, datetime.date]] = []
    for enrolment in rows.order_by():
        activities.setdefault(enrolment.activity_id, enrolment.activity)
        enrolled.add((enrolment.child_id, enrolment.activity_id))
        periods.append((enrolment.child_id, enrolment.activity_id, enrolment.start_date, enrolment.end_date))
    return activities, enrolled, periods
