"""Everything the rules need about a set of children, activities and days,
loaded in a fixed number of queries (it does not grow with the number of
days, activities, children or bookings in the database).

Used by the calendar (day states) and by the confirmation, inside its
transaction after the locks are taken, so both judge with the same code.
"""

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from portail.booking import rules
from portail.booking.calendar import closed_days_by_activity
from portail.booking.locks import locked
from portail.booking.models import Booking, BookingStatus
from portail.booking.rules import ActivityRules, DayState, Mark, Occupancy
from portail.structures.models import Activity, AgeGroup, Child, Enrolment, GroupCount, Opening


def move_counters(opening_id: int, *, accepted: int = 0, waitlisted: int = 0) -> None:
    """Add to an opening's place counters (+n taken, -n freed). The caller holds
    the opening's lock (booking.locks) in the transaction that changes the
    bookings' statuses: the counters and the rows change together."""
    Opening.objects.filter(pk=opening_id).update(
        accepted_count=F("accepted_count") + accepted, waitlisted_count=F("waitlisted_count") + waitlisted
    )


def move_counters_of_day(activity_id: int, day: datetime.date, *, accepted: int = 0, waitlisted: int = 0) -> None:
    """move_counters for the opening of (activity, day), found by its unique
    key: for a caller that has a booking, not its opening (nothing happens on a
    day without an Opening row)."""
    Opening.objects.filter(activity_id=activity_id, date=day).update(
        accepted_count=F("accepted_count") + accepted, waitlisted_count=F("waitlisted_count") + waitlisted
    )


def move_group_counters(opening_id: int, group_id: int, *, accepted: int = 0, waitlisted: int = 0) -> None:
    """move_counters for an age group's counters on an opening (GroupCount, its
    row created at the first booking), under the opening's lock, as the
    opening's own counters (issue 18 point 9)."""
    updated = GroupCount.objects.filter(opening_id=opening_id, age_group_id=group_id).update(
        accepted_count=F("accepted_count") + accepted, waitlisted_count=F("waitlisted_count") + waitlisted
    )
    if not updated:
        # No row yet: nothing was counted in this group that day. The opening's
        # lock serialises this insert with every other change of the day.
        GroupCount.objects.create(
            opening_id=opening_id, age_group_id=group_id, accepted_count=max(accepted, 0),
            waitlisted_count=max(waitlisted, 0),
        )  # fmt: skip


def with_waiting_position(queryset: QuerySet[Booking]) -> QuerySet[Booking]:
    """Annotate waitlisted bookings with their 1-based position (confirmation
    order; in its age group's waiting list when it has one, issue 18 point 9)."""
    earlier = (
        Booking.objects.filter(activity=OuterRef("activity"), date=OuterRef("date"), status=BookingStatus.WAITLISTED)
        .filter(id__lt=OuterRef("id"))
        # In the same age group's queue (bookings without a group: in theirs).
        .alias(group=Coalesce("age_group", Value(0)))
        .filter(group=Coalesce(OuterRef("age_group"), Value(0)))
        .order_by()
        .values("activity")
        .annotate(n=Count("*"))
        .values("n")
    )
    # Only waitlisted rows need it: accepted ones would run the subquery for nothing.
    position = Case(
        When(status=BookingStatus.WAITLISTED, then=Coalesce(Subquery(earlier, output_field=IntegerField()), Value(0))),
        default=Value(0),
        output_field=IntegerField(),
    )
    return queryset.annotate(earlier_in_queue=position)


@dataclass
class Snapshot:
    now: datetime.datetime
    activities: dict[int, Activity] = field(default_factory=dict)  # by id
    rules: dict[int, ActivityRules] = field(default_factory=dict)  # by activity id
    openings: dict[tuple[int, datetime.date], Opening] = field(default_factory=dict)  # by (activity id, date)
    # opening id -> rules.Occupancy: read from the opening's counters, kept up
    # to date by `count` as a confirmation, a staff action or a promotion takes
    # or frees places; `save_counts` writes what changed back to the openings.
    occupancies: dict[int, Occupancy] = field(default_factory=dict)
    # opening id -> (accepted, waitlisted) moved by `count` and not saved yet.
    pending: dict[int, tuple[int, int]] = field(default_factory=dict)
    # (child id, activity id) -> [(start, end)]
    enrolments: defaultdict[tuple[int, int], list[tuple[datetime.date, datetime.date]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # (child id, activity id, date) -> active Booking (with `earlier_in_queue` when
    # loaded with positions: an annotation, hence Any)
    bookings: dict[tuple[int, int, datetime.date], Any] = field(default_factory=dict)
    # The structure's closed days (the closures of the whole structure and the
    # public holidays); `closed_for(activity id)` gives an activity's own, with
    # the closures chosen for it and without the school holidays it stays open
    # during (issue 18 point 2): what that activity's délais count.
    closed_days: frozenset[datetime.date] = frozenset()
    closed_by_activity: dict[int, frozenset[datetime.date]] = field(default_factory=dict)
    # What the rules say of an (activity id, date) whatever the child (issue 15
    # point 2), worked out once per snapshot by `state` and shared by all its
    # children: the state of an enrolled child with no booking and no mark, and
    # the cancellation refusal of a booking that day. `count` forgets the day's
    # state when its places move.
    # Keyed by (activity id, date, age group id or None): with age groups the
    # places depend on the child's group (issue 18 point 9).
    day_states: dict[tuple[int, datetime.date, int | None], DayState] = field(default_factory=dict)
    cancel_refusals: dict[tuple[int, datetime.date], str | None] = field(default_factory=dict)
    # Age groups (issue 18 point 9), loaded only when an activity has some
    # (Activity.has_age_groups): the groups by activity id, the children's birth
    # dates, and each group's counters on each opening, read and moved like the
    # opening's own (which stay the day's totals).
    groups: dict[int, list[AgeGroup]] = field(default_factory=dict)
    birth_dates: dict[int, datetime.date] = field(default_factory=dict)
    group_occupancies: dict[tuple[int, int], Occupancy] = field(default_factory=dict)
    group_counts: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    group_pending: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)

    def has_groups(self, activity_id: int) -> bool:
        return bool(self.groups.get(activity_id))

    def group_of(self, child_id: int, activity_id: int, day: datetime.date) -> AgeGroup | None:
        """The child's age group on the activity that day (None: the activity
        has no groups, or none holds the child's age: rules.NO_AGE_GROUP)."""
        groups = self.groups.get(activity_id)
        if not groups:
            return None
        return rules.age_group_of(groups, self.birth_dates[child_id], day)

    def booking_refusal(
        self,
        child_id: int,
        activity_id: int,
        day: datetime.date,
        arrival: datetime.time | None,
        departure: datetime.time | None,
        *,
        now: datetime.datetime,
    ) -> tuple[str | None, AgeGroup | None]:
        """Why a booking demande is refused at `now` before its places are counted
        (None: it may take a place or a waiting-list place), and the child's age
        group that day. The one sequence of rules the confirmation and the
        forecast both judge a demande with: the day open, the enrolment, the
        délais and period (rules.booking_refusal), the times, the age group."""
        activity_rules = self.rules[activity_id]
        reason = rules.booking_refusal(
            day, activity_rules, now=now, is_open=(activity_id, day) in self.openings,
            enrolled=self.enrolled(child_id, activity_id, day), closed_days=self.closed_for(activity_id),
        )  # fmt: skip
        if reason is None and activity_rules.has_times:
            reason = rules.check_times(activity_rules, arrival, departure)
        group = self.group_of(child_id, activity_id, day)
        if reason is None and group is None and self.has_groups(activity_id):
            reason = str(rules.NO_AGE_GROUP)
        return reason, group

    def group(self, activity_id: int, group_id: int | None) -> AgeGroup | None:
        """The activity's group of this id (a booking's age_group_id), or None."""
        return next((g for g in self.groups.get(activity_id, ()) if g.pk == group_id), None)

    def closed_for(self, activity_id: int) -> frozenset[datetime.date]:
        """The closed days the délais of this activity count (booking.calendar.closed_days)."""
        return self.closed_by_activity.get(activity_id, self.closed_days)

    def enrolled(self, child_id: int, activity_id: int, day: datetime.date) -> bool:
        return any(start <= day <= end for start, end in self.enrolments.get((child_id, activity_id), ()))

    def occupancy(self, opening: Opening, group: AgeGroup | None = None) -> Occupancy:
        """The opening's places and its bookings counted so far (rules.Occupancy);
        with `group`, that age group's places and bookings that day."""
        if group is not None:
            key = (opening.pk, group.pk)
            occupancy = self.group_occupancies.get(key)
            if occupancy is None:
                accepted, waitlisted = self.group_counts.get(key, (0, 0))
                occupancy = self.group_occupancies[key] = rules.Occupancy(
                    accepted, waitlisted, group.capacity, group.waiting_list_capacity, opening.activity.is_limited
                )
            return occupancy
        found = self.occupancies.get(opening.pk)
        if found is None:
            found = rules.Occupancy.from_opening(
                opening, accepted=opening.accepted_count, waitlisted=opening.waitlisted_count
            )
            self.occupancies[opening.pk] = found
        return found

    def count(
        self, opening: Opening, *, accepted: int = 0, waitlisted: int = 0, group: AgeGroup | None = None
    ) -> Occupancy:
        """Record places taken (+n) or freed (-n) on the opening (and on the
        booking's age group, when it has one); returns the new occupancy, the
        group's when given. The counters change when `save_counts` is called,
        in the same transaction, under the opening's lock."""
        occupancy = self.occupancy(opening).moved(accepted=accepted, waitlisted=waitlisted)
        self.occupancies[opening.pk] = occupancy
        self.day_states.pop((opening.activity_id, opening.date, None), None)
        before = self.pending.get(opening.pk, (0, 0))
        self.pending[opening.pk] = (before[0] + accepted, before[1] + waitlisted)
        if group is None:
            return occupancy
        key = (opening.pk, group.pk)
        occupancy = self.group_occupancies[key] = self.occupancy(opening, group).moved(
            accepted=accepted, waitlisted=waitlisted
        )
        self.day_states.pop((opening.activity_id, opening.date, group.pk), None)
        before = self.group_pending.get(key, (0, 0))
        self.group_pending[key] = (before[0] + accepted, before[1] + waitlisted)
        return occupancy

    def save_group_counts(self) -> None:
        """Write the age groups' places taken or freed since the last call
        (a few rows: only activities with groups move them)."""
        moved = {key: delta for key, delta in self.group_pending.items() if delta != (0, 0)}
        self.group_pending.clear()
        for (opening_id, group_id), (accepted, waitlisted) in sorted(moved.items()):
            move_group_counters(opening_id, group_id, accepted=accepted, waitlisted=waitlisted)

    def save_counts(self) -> None:
        """Write the places taken or freed since the last call to the openings'
        counters: one UPDATE for all the changed openings (a confirmation may
        touch twenty days), by difference, under the openings' locks; the age
        groups' counters too."""
        self.save_group_counts()
        moved = {pk: delta for pk, delta in self.pending.items() if delta != (0, 0)}
        self.pending.clear()
        if len(moved) == 1:
            ((opening_id, (accepted, waitlisted)),) = moved.items()
            move_counters(opening_id, accepted=accepted, waitlisted=waitlisted)
        elif moved:

            def delta(index: int) -> Case:
                whens = [When(pk=pk, then=Value(d[index])) for pk, d in moved.items() if d[index]]
                return Case(*whens, default=Value(0), output_field=IntegerField())

            Opening.objects.filter(pk__in=sorted(moved)).update(
                accepted_count=F("accepted_count") + delta(0), waitlisted_count=F("waitlisted_count") + delta(1)
            )

    def state(self, child_id: int, activity_id: int, day: datetime.date, mark: Mark | None = None) -> DayState:
        """The S-state of one child, activity and day (with an optional draft mark):
        rules.day_state's answer, with what does not depend on the child (the
        day's opening, places, period and délais) worked out once per activity
        and day for all the snapshot's children.

        Only three inputs of rules.day_state depend on the child: its booking,
        its enrolment and the draft's mark. A booked day is judged by the
        booking and the day's cancellation délai; otherwise an open day the
        child is not enrolled in is NOT_ENROLLED (rules.booking_refusal checks
        the opening, then the enrolment, then the rest), and an enrolled child
        gets the day's state, a "to book" mark kept where it can apply.

        With age groups (issue 18 point 9) the places are the child's group's,
        so the day's state is worked out once per group; a child of no group
        gets NO_AGE_GROUP where it could otherwise book (the confirmation
        checks it after the same rules)."""
        key = (activity_id, day)
        opening = self.openings.get(key)
        booking = self.bookings.get((child_id, activity_id, day))
        if booking is not None:
            return self._booked_state(booking, opening, key, mark)
        grouped = self.has_groups(activity_id)
        group = self.group_of(child_id, activity_id, day) if grouped else None
        state_key = (activity_id, day, group.pk if group is not None else None)
        day_state = self.day_states.get(state_key)
        if day_state is None:
            day_state = self.day_states[state_key] = rules.day_state(
                day, self.rules[activity_id], now=self.now, is_open=opening is not None, enrolled=True,
                closed_days=self.closed_for(activity_id),
                occupancy=self.occupancy(opening, group) if opening is not None else None,
                booking_status=None,
            )  # fmt: skip
        if opening is not None and not self.enrolled(child_id, activity_id, day):
            return DayState(rules.S.CLOSED, reason=str(rules.NOT_ENROLLED))
        if grouped and group is None and day_state.state is not rules.S.CLOSED:
            return DayState(rules.S.CLOSED, reason=str(rules.NO_AGE_GROUP))
        if mark is Mark.BOOK and day_state.bookable:
            return dataclasses.replace(day_state, mark=mark)
        return day_state

    def _booked_state(
        self, booking: Any, opening: Opening | None, key: tuple[int, datetime.date], mark: Mark | None
    ) -> DayState:
        """rules.day_state of a booked day, its cancellation délai read once per activity and day."""
        if key in self.cancel_refusals:
            too_late = self.cancel_refusals[key]
        else:
            too_late = self.cancel_refusals[key] = rules.cancellation_refusal(
                key[1], self.rules[key[0]], now=self.now, closed_days=self.closed_for(key[0])
            )
        waiting = booking.status == BookingStatus.WAITLISTED
        if too_late:
            state = rules.S.WAITLISTED_LOCKED if waiting else rules.S.BOOKED_LOCKED
        else:
            state = rules.S.WAITLISTED if waiting else rules.S.BOOKED
        group = self.group(key[0], booking.age_group_id)
        return DayState(
            state,
            self.occupancy(opening, group).places_left if opening is not None else None,
            booking.earlier_in_queue + 1 if waiting else None,
            too_late,
            mark if mark is Mark.CANCEL and not too_late else None,
        )


def load_snapshot(
    structure_id: int,
    child_ids: Iterable[int],
    activity_ids: Iterable[int],
    start: datetime.date,
    end: datetime.date,
    now: datetime.datetime,
    *,
    activities: Iterable[Activity] | None = None,
    dates: Collection[datetime.date] | None = None,
    lock: bool = False,
    positions: bool = True,
    enrolments: Iterable[tuple[int, int, datetime.date, datetime.date]] | None = None,
) -> Snapshot:
    """Load what the rules need for these children and activities between start and end
    (only on `dates` when given: a confirmation counts only the days it touches).

    Five queries (four when `activities` are given, three with `enrolments`
    too), whatever the sizes. The places taken are the openings' counters: no
    booking row is counted; the other families' bookings are never read.

    `lock=True` (inside a transaction): the openings are read FOR UPDATE, in
    primary-key order (see booking.locks), and only what other transactions
    change under those locks (the openings, their counts, the children's
    bookings) is read after them; the rest is read before, so that the locks
    are held for as short a time as possible. A caller that changes bookings
    records it with `Snapshot.count` and saves with `Snapshot.save_counts`
    before its transaction ends.

    `positions=False`: the waitlisted bookings are loaded without their queue
    position (`state()` then cannot be used); the confirmation only needs to
    know which bookings exist, and this subquery is a good part of its time.

    `enrolments`: the children's enrolments in these activities overlapping
    start–end, as (child id, activity id, start, end), when the caller has
    read them already (states.month_states reads them with their activities):
    one query less.
    """
    snap = Snapshot(now=now)
    child_ids, activity_ids = list(child_ids), list(activity_ids)
    if activities is None:
        activities = Activity.objects.filter(pk__in=activity_ids, structure_id=structure_id)
    for activity in activities:
        snap.activities[activity.pk] = activity
        snap.rules[activity.pk] = rules.ActivityRules.from_activity(activity)
    activity_ids = list(snap.activities)

    if enrolments is None:
        enrolments = (
            Enrolment.objects.filter(
                child_id__in=child_ids, activity_id__in=activity_ids, start_date__lte=end, end_date__gte=start
            )
            .values_list("child_id", "activity_id", "start_date", "end_date")
            .order_by()
        )
    for child_id, activity_id, first, last in enrolments:
        snap.enrolments[(child_id, activity_id)].append((first, last))
    grouped = [pk for pk, activity in snap.activities.items() if activity.has_age_groups]
    if grouped:
        # Two queries, only for activities with age groups (issue 18 point 9).
        for group in AgeGroup.objects.filter(activity_id__in=grouped).order_by("min_age"):
            snap.groups.setdefault(group.activity_id, []).append(group)
        snap.birth_dates = dict(Child.objects.filter(pk__in=child_ids).values_list("pk", "birth_date"))
    # One query for the structure's closed days and each activity's (issue 18 point 2).
    closed = closed_days_by_activity(structure_id, start, end, [None, *snap.activities.values()])
    snap.closed_days = closed.pop(None)
    snap.closed_by_activity = {pk: days for pk, days in closed.items() if pk is not None}

    # A day closed by staff keeps its Opening row but is not open (B7).
    openings = Opening.objects.open().filter(activity_id__in=activity_ids, date__range=(start, end)).order_by()
    if dates is not None:
        openings = openings.filter(date__in=sorted(dates))
    if lock:
        openings = locked(openings)
    for opening in openings:
        opening.activity = snap.activities[opening.activity_id]
        snap.openings[(opening.activity_id, opening.date)] = opening

    # The places taken are the openings' counters (Opening.accepted_count,
    # waitlisted_count), read with them: no booking row is counted here.
    grouped_openings = [o.pk for o in snap.openings.values() if snap.has_groups(o.activity_id)]
    if grouped_openings:
        # The age groups' counters, after the openings' locks like them.
        counts = GroupCount.objects.filter(opening_id__in=grouped_openings).values_list(
            "opening_id", "age_group_id", "accepted_count", "waitlisted_count"
        )
        snap.group_counts = {(o, g): (a, w) for o, g, a, w in counts}

    bookings = Booking.objects.filter(
        child_id__in=child_ids,
        activity_id__in=activity_ids,
        date__range=(start, end),
        status__in=[BookingStatus.ACCEPTED, BookingStatus.WAITLISTED],
    ).order_by()
    if positions:
        bookings = with_waiting_position(bookings)
    for booking in bookings:
        snap.bookings[(booking.child_id, booking.activity_id, booking.date)] = booking
    return snap
