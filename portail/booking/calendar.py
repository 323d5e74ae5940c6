"""The booking engine's calendar facts, for every caller (the engine's own
modules and the apps above it): which closed days a délai counts, and until
when a booking can be cancelled. One query each; the rules themselves stay
pure in `rules` (`last_moment`, `cancellation_refusal`).

The days themselves (closed periods, the region's public holidays) are read
by `structures.calendar.structure_closed_days`, the structures' own fact,
which the bulk openings use too.

Closures may concern some activities only (issue 18 point 2): a day an
activity is closed is a closed day for that activity's délais (working days),
so the callers that know the activity pass it (`activity=`); without it, the
closures of the whole structure.
"""

import datetime
from collections.abc import Iterable

from portail.booking import rules
from portail.structures.calendar import structure_closed_days, structure_closed_days_by_activity
from portail.structures.models import Activity, Structure


def closed_days(
    structure: Structure | int, start: datetime.date, end: datetime.date, activity: Activity | None = None
) -> frozenset[datetime.date]:
    """The structure's closed days (its closed periods and its region's public
    holidays) that the délais of the days from `start` to `end` can count: from
    `rules.horizon_start(start)` — as far back as a délai reaches — to `end`.
    What the rules take as `closed_days`. One query.

    `structure`: a Structure or its id. `activity`: the days closed for that
    activity (the closures that concern it, not the school holidays when it is
    open during them); without it, the closures of the whole structure."""
    structure_id = structure if isinstance(structure, int) else structure.pk
    return structure_closed_days(structure_id, rules.horizon_start(start), end, activity)


def closed_days_by_activity(
    structure: Structure | int, start: datetime.date, end: datetime.date, activities: Iterable[Activity | None]
) -> dict[int | None, frozenset[datetime.date]]:
    """`closed_days` for each of `activities` (same window), in one query:
    {activity id: its closed days}; None among them: the whole structure's, under None."""
    structure_id = structure if isinstance(structure, int) else structure.pk
    found: dict[int | None, frozenset[datetime.date]] = structure_closed_days_by_activity(
        structure_id, rules.horizon_start(start), end, list(activities)
    )
    return found


def cancellation_deadline(
    activity: Activity, day: datetime.date, closed: frozenset[datetime.date] | None = None
) -> datetime.datetime:
    """The last moment (aware, Paris time) a family may cancel a booking of
    `activity` on `day` (its cancellation délai, in calendar or working days):
    cancelling is allowed while now <= this moment (rules.cancellation_refusal).

    `closed`: the activity's closed days from `closed_days` when the caller has
    them for this day already; otherwise they are read (one query)."""
    if closed is None:
        closed = closed_days(activity.structure_id, day, day, activity)
    return rules.last_moment(day, rules.ActivityRules.from_activity(activity).cancellation, closed)
