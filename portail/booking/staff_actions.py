"""Staff actions on bookings and openings (B7): booking or cancelling for a
family, giving a waitlisted child a place, changing a day's places, closing a
day. They go through the same locks, snapshot, waiting-list promotion and
audit trail as a family's confirmation. Each requires a reason and records one
audit entry with who, when and why: a BookingAudit row for a booking, an
OpeningAudit row for the opening itself (places, closure). Staff may bypass
the family délais, never the places: a full day gets the waiting list, and
only a capacity change adds places."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext

from portail.booking import rules, signals
from portail.booking.calendar import cancellation_deadline
from portail.booking.drafts import ALREADY_BOOKED
from portail.booking.errors import BookingError
from portail.booking.locks import lock_openings
from portail.booking.models import (
    AuditSource,
    Booking,
    BookingAudit,
    BookingStatus,
    Movement,
    MovementKind,
    OpeningAudit,
    OpeningEvent,
)
from portail.booking.snapshot import Snapshot, load_snapshot, move_counters, move_group_counters
from portail.booking.waiting_list import promote, promote_waiting_list
from portail.structures.models import Activity, Child, GroupCount, Opening

if TYPE_CHECKING:
    # The account, whatever settings.AUTH_USER_MODEL is (django-stubs resolves
    # `_User` to it): booking never imports portail.accounts (tests/test_layering.py).
    from django.contrib.auth.models import _User as User

# Lazy: shown to the staff member in the language of the request.
REASON_REQUIRED = gettext_lazy("Indiquez un motif.")
NO_FREE_PLACE = gettext_lazy("Aucune place libre : augmentez d'abord les places de ce jour.")
ALREADY_CLOSED = gettext_lazy("Cette journée est déjà fermée.")
OTHER_STRUCTURE = gettext_lazy("Enfant et activité de structures différentes")
NO_LONGER_ACTIVE = gettext_lazy("Cette réservation n'est plus active")
NOT_WAITLISTED = gettext_lazy("Cette réservation n'est pas en liste d'attente")


@dataclass(frozen=True)
class ClosureResult:
    cancelled: list[Booking]
    audit: OpeningAudit


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise BookingError(REASON_REQUIRED)
    return reason[:200]


def _opening(activity: Activity, day: datetime.date) -> Opening:
    opening = Opening.objects.open().filter(activity=activity, date=day).select_related("activity").first()
    if opening is None:
        raise BookingError(rules.NOT_OPEN)
    return opening


def _snapshot(opening: Opening, child_ids: Iterable[int], now: datetime.datetime) -> Snapshot:
    activity = opening.activity
    return load_snapshot(
        activity.structure_id, child_ids, [activity.pk], opening.date, opening.date, now, activities=[activity]
    )


def _movement(
    kind: str,
    booking: Booking,
    outcome: str,
    actor: "User | None",
    now: datetime.datetime,
    reason: str = "",
    position: int | None = None,
) -> Movement:
    family = booking.child.family
    return Movement.objects.create(
        kind=kind, booking=booking, family=family, structure_id=family.structure_id, outcome=outcome,
        waiting_position=position, reason=reason, created_by=actor, created_at=now,
    )  # fmt: skip


def refill_opening(
    opening: Opening, *, actor: "User | None" = None, now: datetime.datetime | None = None
) -> list[Booking]:
    """Give an opening's free places to its waiting list, in order (inside the
    transaction that changed the opening)."""
    now = now or timezone.now()
    lock_openings([opening.pk])
    return promote_waiting_list(_snapshot(opening, [], now), [opening.pk], now=now, actor=actor)


def save_opening(
    opening: Opening, *, actor: "User | None" = None, now: datetime.datetime | None = None
) -> list[Booking]:
    """Save an opening (created, added back, or capacities changed) and promote
    from its waiting list when places are now free (N3)."""
    with transaction.atomic():
        opening.save()
        return refill_opening(opening, actor=actor, now=now)


def staff_book(
    child: Child,
    activity: Activity,
    day: datetime.date,
    *,
    actor: "User",
    reason: str | None,
    arrival: datetime.time | None = None,
    departure: datetime.time | None = None,
    now: datetime.datetime | None = None,
) -> Booking:
    """Book for a family, bypassing its délais: a place, else the waiting list, else refused."""
    reason = _reason(reason)
    now = now or timezone.now()
    if child.family.structure_id != activity.structure_id:
        raise BookingError(OTHER_STRUCTURE)
    with transaction.atomic():
        opening = _opening(activity, day)
        lock_openings([opening.pk])
        snap = _snapshot(opening, [child.pk], now)
        if (child.pk, activity.pk, day) in snap.bookings:
            raise BookingError(ALREADY_BOOKED)
        if not snap.enrolled(child.pk, activity.pk, day):
            raise BookingError(rules.NOT_ENROLLED)
        activity_rules = snap.rules[activity.pk]
        if activity_rules.has_times:
            problem = rules.check_times(activity_rules, arrival, departure)
            if problem:
                raise BookingError(problem)
        # Age groups (issue 18 point 9): the child's group's places, as a confirmation.
        group = snap.group_of(child.pk, activity.pk, day)
        if group is None and snap.has_groups(activity.pk):
            raise BookingError(rules.NO_AGE_GROUP)
        occupancy = snap.occupancy(opening, group)
        placed = rules.placement(occupancy)
        if placed is None:
            raise BookingError(rules.FULL)
        status = BookingStatus.ACCEPTED if placed == rules.ACCEPTED else BookingStatus.WAITLISTED
        position = occupancy.waitlisted + 1 if status == BookingStatus.WAITLISTED else None
        booking = Booking.objects.create(
            child=child, activity=activity, date=day, status=status, arrival=arrival, departure=departure,
            queued_at=now, reason=reason, age_group=group,
        )  # fmt: skip
        if status == BookingStatus.ACCEPTED:
            snap.count(opening, accepted=1, group=group)
        else:
            snap.count(opening, waitlisted=1, group=group)
        snap.save_counts()
        _movement(MovementKind.BOOK, booking, status, actor, now, reason, position)
        BookingAudit.objects.create(
            booking=booking, at=now, actor=actor, source=AuditSource.STAFF, to_status=status, note=reason
        )
    return booking


def staff_cancel(
    booking: Booking,
    *,
    actor: "User",
    reason: str | None,
    now: datetime.datetime | None = None,
    late: bool | None = None,
) -> list[Booking]:
    """Cancel for a family, bypassing its délai; a freed place goes to the waiting list.

    `late`: whether the cancellation is billed like the booking
    (Booking.cancelled_late, issue 16). None: late when made after the
    activity's cancellation délai (a family that asked staff too late); False
    for the structure's own decisions (the end of an enrolment) and for an
    absence staff accept as justified (issue 17 point 5)."""
    reason = _reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        opening = (
            Opening.objects.open()
            .filter(activity_id=booking.activity_id, date=booking.date)
            .select_related("activity")
            .first()
        )
        if opening is not None:
            lock_openings([opening.pk])
        booking = Booking.objects.select_related("child__family", "activity").get(pk=booking.pk)
        if not booking.is_active:
            raise BookingError(NO_LONGER_ACTIVE)
        previous = booking.status
        if late is None:
            late = previous == BookingStatus.ACCEPTED and now > cancellation_deadline(booking.activity, booking.date)
        _cancel_row(booking, actor=actor, reason=reason, now=now, late=late)
        if opening is not None:
            # A booking of a day closed by staff was cancelled with the day; a
            # day without an Opening row has no counters to keep.
            if previous == BookingStatus.ACCEPTED:
                move_counters(opening.pk, accepted=-1)
            else:
                move_counters(opening.pk, waitlisted=-1)
            if booking.age_group_id is not None:
                taken = previous == BookingStatus.ACCEPTED
                move_group_counters(opening.pk, booking.age_group_id, accepted=-taken, waitlisted=-(not taken))
        promoted: list[Booking] = []
        if opening is not None and previous == BookingStatus.ACCEPTED:
            promoted = refill_opening(opening, actor=actor, now=now)
    return promoted


def _cancel_row(booking: Booking, *, actor: "User", reason: str, now: datetime.datetime, late: bool = False) -> None:
    previous = booking.status
    Booking.objects.filter(pk=booking.pk).update(
        status=BookingStatus.CANCELLED, reason=reason, updated_at=now, cancelled_late=late
    )
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_late = late
    _movement(MovementKind.CANCEL, booking, BookingStatus.CANCELLED, actor, now, reason)
    BookingAudit.objects.create(
        booking=booking, at=now, actor=actor, source=AuditSource.STAFF, from_status=previous,
        to_status=BookingStatus.CANCELLED, note=reason,
    )  # fmt: skip


def staff_promote(
    booking: Booking, *, actor: "User", reason: str | None, now: datetime.datetime | None = None
) -> Booking:
    """Move a waitlisted booking to a place, ahead of the queue, when a place is free."""
    reason = _reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        opening = _opening(booking.activity, booking.date)
        lock_openings([opening.pk])
        booking = Booking.objects.select_related("child__family", "activity").get(pk=booking.pk)
        if booking.status != BookingStatus.WAITLISTED:
            raise BookingError(NOT_WAITLISTED)
        snap = _snapshot(opening, [], now)
        # With age groups (issue 18 point 9): a free place of the booking's group.
        group = snap.group(opening.activity_id, booking.age_group_id)
        if snap.occupancy(opening, group).places_left == 0:
            raise BookingError(NO_FREE_PLACE)
        promote(booking, now=now, actor=actor, reason=reason)
        snap.count(opening, accepted=1, waitlisted=-1, group=group)
        snap.save_counts()
    return booking


def change_capacity(
    opening: Opening,
    *,
    capacity: int | None,
    waiting_list_capacity: int | None,
    actor: "User",
    reason: str | None,
    now: datetime.datetime | None = None,
) -> list[Booking]:
    """Change a day's places (None: the activity's default) and record the
    change, effective places before and after, in the opening's audit; raising
    them promotes from the waiting list at once. Returns the promoted bookings."""
    reason = _reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        lock_openings([opening.pk])
        current = Opening.objects.open().select_related("activity").filter(pk=opening.pk).first()
        if current is None:
            raise BookingError(rules.NOT_OPEN)
        before = (current.effective_capacity, current.effective_waiting_list_capacity)
        opening.capacity = capacity
        opening.waiting_list_capacity = waiting_list_capacity
        opening.save(update_fields=["capacity", "waiting_list_capacity"])
        OpeningAudit.objects.create(
            opening=opening, event=OpeningEvent.CAPACITY, at=now, actor=actor, note=reason,
            capacity_before=before[0], capacity_after=opening.effective_capacity,
            waiting_before=before[1], waiting_after=opening.effective_waiting_list_capacity,
        )  # fmt: skip
        return refill_opening(opening, actor=actor, now=now)


def close_day(
    opening: Opening,
    *,
    actor: "User",
    reason: str | None,
    now: datetime.datetime | None = None,
    notify: bool = True,
) -> ClosureResult:
    """Close an activity on a day (strike, outing cancelled): every booking and
    waiting-list place is cancelled with the reason, the families are told, and
    the opening is kept, marked closed (who, when, why) with its capacity
    history: it is no longer open anywhere (Opening.objects.open())."""
    reason = _reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        lock_openings([opening.pk])
        if not Opening.objects.open().filter(pk=opening.pk).exists():
            raise BookingError(ALREADY_CLOSED)
        bookings = list(
            Booking.objects.filter(
                activity_id=opening.activity_id, date=opening.date,
                status__in=[BookingStatus.ACCEPTED, BookingStatus.WAITLISTED],
            ).select_related("child__family__structure", "activity")
        )  # fmt: skip
        for booking in bookings:
            _cancel_row(booking, actor=actor, reason=reason, now=now)
        # In this transaction: the families' notices are queued with the cancellations.
        # notify=False: close_days closes several activities and tells each family once.
        if notify:
            signals.day_closed.send(sender=Opening, opening=opening, cancelled=bookings, reason=reason)
        opening.closed_at, opening.closed_by, opening.closure_reason = now, actor, reason
        # Every active booking of the day was cancelled above: nothing is counted any more.
        opening.accepted_count = opening.waitlisted_count = 0
        opening.save(update_fields=["closed_at", "closed_by", "closure_reason", "accepted_count", "waitlisted_count"])
        GroupCount.objects.filter(opening=opening).update(accepted_count=0, waitlisted_count=0)
        audit = OpeningAudit.objects.create(
            opening=opening, event=OpeningEvent.CLOSURE, at=now, actor=actor, note=reason,
            capacity_before=opening.effective_capacity, waiting_before=opening.effective_waiting_list_capacity,
        )  # fmt: skip
    return ClosureResult(cancelled=bookings, audit=audit)


# ------------------------------------------- issue 18 point 3: places lowered below the children booked

NOT_ACCEPTED = gettext_lazy("Un des enfants choisis n'a plus de place ce jour : rechargez le planning.")


class TooFewPlaces(BookingError):
    """Places lowered below the children who already have one, without
    choosing exactly who goes to the waiting list. `booked`: the children
    who have a place that day."""

    def __init__(self, message: str, booked: int) -> None:
        super().__init__(message)
        self.booked = booked


def too_few_places(booked: int, capacity: int, chosen: int) -> TooFewPlaces:
    """The refusal of `capacity` places for `booked` children with a place,
    `chosen` of them ticked for the waiting list (also the admin's, booking/admin.py)."""
    if not chosen:
        message = ngettext(
            "%(booked)d enfant a déjà une place : indiquez au moins %(booked)d place, "
            "ou choisissez qui passe en liste d'attente.",
            "%(booked)d enfants ont déjà une place : indiquez au moins %(booked)d places, "
            "ou choisissez qui passe en liste d'attente.",
            booked,
        ) % {"booked": booked}
    else:
        needed = max(booked - capacity, 0)
        message = ngettext(
            "%(booked)d enfants ont une place pour %(capacity)d places : choisissez exactement %(needed)d enfant "
            "qui passe en liste d'attente (%(chosen)d choisis).",
            "%(booked)d enfants ont une place pour %(capacity)d places : choisissez exactement %(needed)d enfants "
            "qui passent en liste d'attente (%(chosen)d choisis).",
            needed,
        ) % {"booked": booked, "capacity": capacity, "needed": needed, "chosen": chosen}
    return TooFewPlaces(message, booked)


@dataclass(frozen=True)
class PlacesResult:
    promoted: list[Booking]  # given a place from the waiting list (places raised)
    moved: list[Booking]  # moved from a place to the waiting list (places lowered), queue order


def change_places(
    opening: Opening,
    *,
    capacity: int | None,
    waiting_list_capacity: int | None,
    actor: "User",
    reason: str | None,
    to_waiting_list: Iterable[int] = (),
    now: datetime.datetime | None = None,
) -> PlacesResult:
    """Change a day's places from the planning (B7, issue 18 point 3): as
    change_capacity, but places below the children who already have one are
    refused (TooFewPlaces, with their number) unless staff choose exactly who
    goes to the waiting list (`to_waiting_list`: ids of that day's accepted
    bookings, as many as the places missing).

    The chosen children keep their booking row, now waitlisted: the waiting
    list is in the order of the rows (booking.models.Booking.queued_at), so
    they come back in the order they booked, normally AHEAD of everyone who
    asked later, i.e. at the head of the list (a place freed goes to them
    first). Their order among themselves is their booking order, not the
    order they were ticked in: a tick list has no order a clerk can see. Each
    move writes a BOOK movement whose outcome is the waiting list (the
    compte-rendu lists the day under « MISES EN LISTE D'ATTENTE »), an audit
    entry with the reason, and the family's notice (signals.moved_to_waiting_list).
    The waiting list may then hold more than its own places: nobody already
    booked is refused for that."""
    reason = _reason(reason)
    now = now or timezone.now()
    chosen_ids = sorted(set(to_waiting_list))
    with transaction.atomic():
        lock_openings([opening.pk])
        current = Opening.objects.open().select_related("activity").filter(pk=opening.pk).first()
        if current is None:
            raise BookingError(rules.NOT_OPEN)
        moved: list[Booking] = []
        if current.activity.is_limited:
            new_capacity = current.activity.capacity if capacity is None else capacity
            booked = current.accepted_count  # the counter, kept under this lock
            if chosen_ids and booked - len(chosen_ids) != new_capacity or not chosen_ids and booked > new_capacity:
                raise too_few_places(booked, new_capacity, len(chosen_ids))
            moved = list(
                Booking.objects.filter(
                    pk__in=chosen_ids, activity_id=current.activity_id, date=current.date,
                    status=BookingStatus.ACCEPTED,
                ).select_related("child__family__structure", "activity").order_by("id")
            )  # fmt: skip
            if len(moved) != len(chosen_ids):
                raise BookingError(NOT_ACCEPTED)
            for booking in moved:
                _move_to_waiting_list(booking, actor=actor, reason=reason, now=now)
                if booking.age_group_id is not None:  # its age group's counters too (issue 18 point 9)
                    move_group_counters(current.pk, booking.age_group_id, accepted=-1, waitlisted=1)
            if moved:
                move_counters(current.pk, accepted=-len(moved), waitlisted=len(moved))
                # In this transaction: the families' notices are queued with the moves.
                signals.moved_to_waiting_list.send(sender=Opening, opening=current, moved=moved, reason=reason)
        elif chosen_ids:
            raise BookingError(NOT_ACCEPTED)
        opening.refresh_from_db(fields=["accepted_count", "waitlisted_count"])
        promoted = change_capacity(
            opening, capacity=capacity, waiting_list_capacity=waiting_list_capacity, actor=actor, reason=reason,
            now=now,
        )  # fmt: skip
    return PlacesResult(promoted=promoted, moved=moved)


def _move_to_waiting_list(booking: Booking, *, actor: "User", reason: str, now: datetime.datetime) -> None:
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.WAITLISTED, reason=reason, updated_at=now)
    booking.status = BookingStatus.WAITLISTED
    # Its place in the queue: the waitlisted rows before it (id order, as waiting_list.promote_waiting_list).
    position = (
        Booking.objects.filter(
            activity_id=booking.activity_id, date=booking.date, status=BookingStatus.WAITLISTED, id__lt=booking.pk
        ).count()
        + 1
    )
    booking.position = position  # type: ignore[attr-defined]  # shown in the staff message and the notice
    _movement(MovementKind.BOOK, booking, BookingStatus.WAITLISTED, actor, now, reason, position)
    BookingAudit.objects.create(
        booking=booking, at=now, actor=actor, source=AuditSource.STAFF, from_status=BookingStatus.ACCEPTED,
        to_status=BookingStatus.WAITLISTED, note=reason,
    )  # fmt: skip


# ------------------------------------------- issue 18 point 4: a day closed for several activities (a strike)


def close_days(
    openings: Iterable[Opening], *, actor: "User", reason: str | None, now: datetime.datetime | None = None
) -> list[ClosureResult]:
    """Close several activities on a day in one transaction (a strike): each as
    close_day (bookings and waiting lists cancelled, the openings kept, marked
    closed, audited), all or none; the families are told ONCE each, for all
    their children and activities (signals.days_closed), not once per
    activity. The openings are locked together, in the lock order."""
    reason = _reason(reason)
    now = now or timezone.now()
    chosen = sorted(openings, key=lambda o: o.pk)
    with transaction.atomic():
        lock_openings([o.pk for o in chosen])
        results = [close_day(o, actor=actor, reason=reason, now=now, notify=False) for o in chosen]
        cancelled = [booking for result in results for booking in result.cancelled]
        # In this transaction: the families' notices are queued with the cancellations.
        signals.days_closed.send(sender=Opening, openings=chosen, cancelled=cancelled, reason=reason)
    return results
