"""Staff actions on bookings (B7): they go through the same locks, snapshot,
waiting-list promotion and audit trail as a family's confirmation. Staff may
bypass the family délais (with a reason), never the places: a full day gets
the waiting list, and only a capacity change adds places."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from portail.booking import rules, signals
from portail.booking.errors import BookingError
from portail.booking.locks import lock_openings
from portail.booking.models import (
    AuditSource,
    Booking,
    BookingAudit,
    BookingStatus,
    Movement,
    MovementKind,
)
from portail.booking.snapshot import load_snapshot
from portail.booking.waiting_list import promote_waiting_list
from portail.structures.models import Opening

REASON_REQUIRED = "Indiquez un motif."


@dataclass(frozen=True)
class ClosureResult:
    cancelled: list
    opening_deleted: bool


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise BookingError(REASON_REQUIRED)
    return reason[:200]


def _opening(activity, day):
    opening = Opening.objects.filter(activity=activity, date=day).select_related("activity").first()
    if opening is None:
        raise BookingError(rules.NOT_OPEN)
    return opening


def _snapshot(opening, child_ids, now):
    activity = opening.activity
    return load_snapshot(
        activity.structure_id, child_ids, [activity.pk], opening.date, opening.date, now, activities=[activity]
    )


def _movement(kind, booking, outcome, actor, now, reason="", position=None):
    family = booking.child.family
    return Movement.objects.create(
        kind=kind, booking=booking, family=family, structure_id=family.structure_id, outcome=outcome,
        waiting_position=position, reason=reason, created_by=actor, created_at=now,
    )  # fmt: skip


def refill_opening(opening, *, actor=None, now=None):
    """Give an opening's free places to its waiting list, in order (inside the
    transaction that changed the opening)."""
    now = now or timezone.now()
    lock_openings([opening.pk])
    return promote_waiting_list(_snapshot(opening, [], now), [opening.pk], now=now, actor=actor)


def save_opening(opening, *, actor=None, now=None):
    """Save an opening (created, added back, or capacities changed) and promote
    from its waiting list when places are now free (N3)."""
    with transaction.atomic():
        opening.save()
        return refill_opening(opening, actor=actor, now=now)


def staff_book(child, activity, day, *, actor, reason, arrival=None, departure=None, now=None):
    """Book for a family, bypassing its délais: a place, else the waiting list, else refused."""
    reason = _reason(reason)
    now = now or timezone.now()
    if child.family.structure_id != activity.structure_id:
        raise BookingError("Enfant et activité de structures différentes")
    with transaction.atomic():
        opening = _opening(activity, day)
        lock_openings([opening.pk])
        snap = _snapshot(opening, [child.pk], now)
        if (child.pk, activity.pk, day) in snap.bookings:
            raise BookingError("Déjà réservé ce jour")
        if not snap.enrolled(child.pk, activity.pk, day):
            raise BookingError(rules.NOT_ENROLLED)
        activity_rules = snap.rules[activity.pk]
        if activity_rules.has_times:
            problem = rules.check_times(activity_rules, arrival, departure)
            if problem:
                raise BookingError(problem)
        counts = snap.counts.setdefault(opening.pk, [0, 0])
        placed = rules.placement(snap.occupancy(opening))
        if placed is None:
            raise BookingError(rules.FULL)
        status = BookingStatus.ACCEPTED if placed == rules.ACCEPTED else BookingStatus.WAITLISTED
        position = counts[1] + 1 if status == BookingStatus.WAITLISTED else None
        booking = Booking.objects.create(
            child=child, activity=activity, date=day, status=status, arrival=arrival, departure=departure,
            queued_at=now, reason=reason,
        )  # fmt: skip
        _movement(MovementKind.BOOK, booking, status, actor, now, reason, position)
        BookingAudit.objects.create(
            booking=booking, at=now, actor=actor, source=AuditSource.STAFF, to_status=status, note=reason
        )
    return booking


def staff_cancel(booking, *, actor, reason, now=None):
    """Cancel for a family, bypassing its délai; a freed place goes to the waiting list."""
    reason = _reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        opening = (
            Opening.objects.filter(activity_id=booking.activity_id, date=booking.date)
            .select_related("activity")
            .first()
        )
        if opening is not None:
            lock_openings([opening.pk])
        booking = Booking.objects.select_related("child__family", "activity").get(pk=booking.pk)
        if not booking.is_active:
            raise BookingError("Cette réservation n'est plus active")
        previous = booking.status
        _cancel_row(booking, actor=actor, reason=reason, now=now)
        promoted = []
        if opening is not None and previous == BookingStatus.ACCEPTED:
            promoted = refill_opening(opening, actor=actor, now=now)
    return promoted


def _cancel_row(booking, *, actor, reason, now):
    previous = booking.status
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.CANCELLED, reason=reason, updated_at=now)
    booking.status = BookingStatus.CANCELLED
    _movement(MovementKind.CANCEL, booking, BookingStatus.CANCELLED, actor, now, reason)
    BookingAudit.objects.create(
        booking=booking, at=now, actor=actor, source=AuditSource.STAFF, from_status=previous,
        to_status=BookingStatus.CANCELLED, note=reason,
    )  # fmt: skip


def staff_promote(booking, *, actor, reason, now=None):
    """Move a waitlisted booking to a place, ahead of the queue, when a place is free."""
    reason = _reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        opening = _opening(booking.activity, booking.date)
        lock_openings([opening.pk])
        booking = Booking.objects.select_related("child__family", "activity").get(pk=booking.pk)
        if booking.status != BookingStatus.WAITLISTED:
            raise BookingError("Cette réservation n'est pas en liste d'attente")
        snap = _snapshot(opening, [], now)
        if snap.occupancy(opening).places_left == 0:
            raise BookingError("Aucune place libre : augmentez d'abord les places de ce jour.")
        Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.ACCEPTED, updated_at=now)
        booking.status = BookingStatus.ACCEPTED
        movement = _movement(MovementKind.PROMOTION, booking, BookingStatus.ACCEPTED, actor, now, reason)
        BookingAudit.objects.create(
            booking=booking, at=now, actor=actor, source=AuditSource.STAFF, from_status=BookingStatus.WAITLISTED,
            to_status=BookingStatus.ACCEPTED, note=reason,
        )  # fmt: skip
        # In this transaction: the family's notice is queued with the place.
        signals.place_given.send(sender=Movement, movement=movement)
    return booking


def change_capacity(opening, *, capacity, waiting_list_capacity, actor, now=None):
    """Change a day's places; raising them promotes from the waiting list at once."""
    opening.capacity = capacity
    opening.waiting_list_capacity = waiting_list_capacity
    return save_opening(opening, actor=actor, now=now)


def close_day(opening, *, actor, reason, now=None):
    """Close an activity on a day (strike, outing cancelled): every booking and
    waiting-list place is cancelled with the reason, the families are told, and
    the opening is removed."""
    reason = _reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        lock_openings([opening.pk])
        bookings = list(
            Booking.objects.filter(
                activity_id=opening.activity_id, date=opening.date,
                status__in=[BookingStatus.ACCEPTED, BookingStatus.WAITLISTED],
            ).select_related("child__family__structure", "activity")
        )  # fmt: skip
        for booking in bookings:
            _cancel_row(booking, actor=actor, reason=reason, now=now)
        # In this transaction: the families' notices are queued with the cancellations.
        signals.day_closed.send(sender=Opening, opening=opening, cancelled=bookings, reason=reason)
        Opening.objects.filter(pk=opening.pk).delete()
    return ClosureResult(cancelled=bookings, opening_deleted=True)
