"""The openings' place counters checked against the booking rows (issue 15).

Opening.accepted_count and waitlisted_count are kept by the engine in the
transaction that changes a booking's status, under the opening's lock
(booking.snapshot.Snapshot.count/save_counts, move_counters). Whatever writes
rows behind the engine's back (a raw SQL fix, a bulk import, a bug) makes
them wrong; then a calendar shows places that are not there, or refuses
places that are. Two services here:

- `find_drift`: the openings whose counters differ from their active rows,
  read in one set-based statement (the processing run calls it every night
  and reports to staff, it does not repair silently);
- `recount`: the same, then the drifted openings repaired under their locks
  (`manage.py recount`).

Both count with one correlated subquery per counter, which reads the
(activity, date, status) index of the bookings (`booking_occupancy`): no row
is loaded into Python, whatever the number of bookings.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from portail.booking.locks import lock_openings
from portail.booking.models import Booking, BookingStatus
from portail.lib.dates import short_day
from portail.structures.models import AgeGroup, GroupCount, Opening


@dataclass(frozen=True)
class CounterDrift:
    """One opening whose counters differ from its rows: (counter, rows) for each."""

    opening_id: int
    structure: str
    activity: str
    date: datetime.date
    accepted: tuple[int, int]
    waitlisted: tuple[int, int]
    group_id: int | None = None  # an age group's counters (issue 18 point 9), else the opening's

    def describe(self) -> str:
        """« APS MATIN, ven. 28/11/2026 : places prises 3 → 2, liste d'attente 1 → 1 » (before → after)."""
        return (
            f"{self.activity}, {short_day(self.date)}/{self.date.year} : "
            f"places prises {self.accepted[0]} → {self.accepted[1]}, "
            f"liste d'attente {self.waitlisted[0]} → {self.waitlisted[1]}"
        )

    def as_json(self) -> dict[str, object]:
        """What a ProcessingRun keeps of it (ProcessingRun.counter_drift)."""
        return {
            "opening": self.opening_id,
            "activity": self.activity,
            "date": self.date.isoformat(),
            "accepted": list(self.accepted),
            "waitlisted": list(self.waitlisted),
        }


def counted(status: str) -> Coalesce:
    """The number of the opening's bookings in `status` (an expression over an
    Opening queryset: a correlated subquery on the occupancy index)."""
    rows = (
        Booking.objects.filter(activity_id=OuterRef("activity_id"), date=OuterRef("date"), status=status)
        .order_by()
        .values("activity_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def find_drift(structure_id: int | None = None, *, opening_ids: list[int] | None = None) -> list[CounterDrift]:
    """The openings (closed ones included) whose counters are not their rows'
    counts, by structure, activity and date; [] when every counter is right.

    One statement: it reads the counters and the rows in one snapshot of the
    database, and a transaction of the engine commits both together, so an
    opening is reported only when it really drifted, even while families book."""
    openings = Opening.objects.all()
    if structure_id is not None:
        openings = openings.filter(activity__structure_id=structure_id)
    if opening_ids is not None:
        openings = openings.filter(pk__in=opening_ids)
    rows = (
        openings.annotate(rows_accepted=counted(BookingStatus.ACCEPTED), rows_waitlisted=counted(BookingStatus.WAITLISTED))
        .order_by("activity__structure__name", "activity__name", "activity_id", "date")
        .values_list(
            "pk", "activity__structure__name", "activity__name", "date",
            "accepted_count", "rows_accepted", "waitlisted_count", "rows_waitlisted",
        )
    )  # fmt: skip
    return [
        CounterDrift(pk, structure, activity, date, (accepted, rows_accepted), (waitlisted, rows_waitlisted))
        for pk, structure, activity, date, accepted, rows_accepted, waitlisted, rows_waitlisted in rows
        if (accepted, waitlisted) != (rows_accepted, rows_waitlisted)
    ]


def find_group_drift(structure_id: int | None = None, *, opening_ids: list[int] | None = None) -> list[CounterDrift]:
    """find_drift for the age groups' counters (GroupCount, issue 18 point 9):
    each group of an opening whose counters are not its rows' counts (its
    activity's name followed by the group's). Three queries, on the activities
    with age groups only."""
    openings = Opening.objects.filter(activity__has_age_groups=True)
    if structure_id is not None:
        openings = openings.filter(activity__structure_id=structure_id)
    if opening_ids is not None:
        openings = openings.filter(pk__in=opening_ids)
    found = {
        (activity_id, day): (pk, structure, activity)
        for pk, activity_id, day, structure, activity in openings.values_list(
            "pk", "activity_id", "date", "activity__structure__name", "activity__name"
        )
    }
    if not found:
        return []
    counters = {
        (o, g): (a, w)
        for o, g, a, w in GroupCount.objects.filter(opening_id__in=[v[0] for v in found.values()]).values_list(
            "opening_id", "age_group_id", "accepted_count", "waitlisted_count"
        )
    }
    rows: dict[tuple[int, int], list[int]] = {}
    counted_rows = (
        Booking.objects.filter(
            activity_id__in={a for a, _ in found}, date__in={d for _, d in found}, age_group__isnull=False,
            status__in=[BookingStatus.ACCEPTED, BookingStatus.WAITLISTED],
        )
        .order_by()
        .values_list("activity_id", "date", "age_group_id", "status")
        .annotate(n=Count("*"))
    )  # fmt: skip
    for activity_id, day, group_id, status, n in counted_rows:
        opening = found.get((activity_id, day))
        if opening is not None:
            rows.setdefault((opening[0], group_id), [0, 0])[status == BookingStatus.WAITLISTED] += n
    by_opening = {v[0]: (day, v[1], v[2]) for (_, day), v in found.items()}
    names = dict(AgeGroup.objects.filter(pk__in={g for _, g in [*counters, *rows]}).values_list("pk", "name"))
    drift = []
    for opening_id, group_id in sorted(set(counters) | set(rows)):
        counter = counters.get((opening_id, group_id), (0, 0))
        actual = tuple(rows.get((opening_id, group_id), (0, 0)))
        if counter != actual:
            day, structure, activity = by_opening[opening_id]
            drift.append(
                CounterDrift(
                    opening_id, structure, f"{activity} — {names.get(group_id, group_id)}", day,
                    (counter[0], actual[0]), (counter[1], actual[1]), group_id,
                )
            )  # fmt: skip
    return drift


def _repair_groups(drift: list[CounterDrift]) -> None:
    """Set the drifted groups' counters to their rows' counts (under the openings' locks)."""
    for d in drift:
        assert d.group_id is not None
        GroupCount.objects.update_or_create(
            opening_id=d.opening_id, age_group_id=d.group_id,
            defaults={"accepted_count": d.accepted[1], "waitlisted_count": d.waitlisted[1]},
        )  # fmt: skip


def recount(structure_id: int | None = None, *, dry_run: bool = False) -> list[CounterDrift]:
    """Repair the openings' counters from the booking rows; returns what was
    wrong (before → after), [] when every counter was right.

    The openings are first compared without any lock (`find_drift`: one
    statement, a consistent read); only the drifted ones are then locked, in
    primary-key order like every booking transaction (booking.locks), compared
    again under their locks and set to their rows' counts in one UPDATE. So a
    repair never holds every opening of a structure while it scans a million
    bookings, and never overwrites a change an engine transaction made
    meanwhile. The age groups' counters (GroupCount) are compared and repaired
    with them, listed after the openings'. `dry_run`: only the comparison,
    nothing is written."""
    drift_before = find_drift(structure_id) + find_group_drift(structure_id)
    if dry_run or not drift_before:
        return drift_before
    with transaction.atomic():
        ids = sorted({d.opening_id for d in drift_before})
        lock_openings(ids)
        drift = find_drift(opening_ids=ids)
        if drift:
            Opening.objects.filter(pk__in=[d.opening_id for d in drift]).update(
                accepted_count=counted(BookingStatus.ACCEPTED), waitlisted_count=counted(BookingStatus.WAITLISTED)
            )
        # The age groups' counters too (issue 18 point 9), read again under the locks.
        group_drift = find_group_drift(opening_ids=ids) if any(d.group_id for d in drift_before) else []
        _repair_groups(group_drift)
    return drift + group_drift
