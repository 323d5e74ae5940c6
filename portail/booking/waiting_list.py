"""Waiting lists (N3): when a place frees, the first waitlisted booking of
that activity and day is accepted at once, in confirmation order, provided its
family can still cancel that day; otherwise the next one is tried."""

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Count

from portail.booking import rules, signals
from portail.booking.models import (
    AuditSource,
    Booking,
    BookingAudit,
    BookingStatus,
    Movement,
    MovementKind,
)

if TYPE_CHECKING:
    # The account, whatever settings.AUTH_USER_MODEL is (django-stubs resolves
    # `_User` to it): booking never imports portail.accounts (tests/test_layering.py).
    from django.contrib.auth.models import _User as User

    from portail.booking.snapshot import Snapshot
    from portail.structures.models import AgeGroup


def promote_waiting_list(
    snap: "Snapshot", opening_ids: Iterable[int], *, now: datetime.datetime, actor: "User | None" = None
) -> list[Booking]:
    """Fill the free places of these (already locked) openings from their
    waiting lists. `snap` holds the openings, rules and up-to-date counts.
    Returns the promoted bookings. The places moved so far in `snap` (the
    caller's own, and the promotions) are saved to the openings' counters."""
    promoted: list[Booking] = []
    for opening_id in sorted(opening_ids):
        opening = next((o for o in snap.openings.values() if o.pk == opening_id), None)
        if opening is None or not opening.activity.is_limited:
            continue
        activity_rules = snap.rules[opening.activity_id]
        if rules.cancellation_refusal(
            opening.date, activity_rules, now=now, closed_days=snap.closed_for(opening.activity_id)
        ):
            continue  # nobody could cancel that day any more: a promotion would impose a place
        # With age groups (issue 18 point 9), a group's free place goes to that
        # group's first waitlisted booking; without, the day's queue.
        groups: list[AgeGroup | None] = [*snap.groups.get(opening.activity_id, ())] or [None]
        for group in groups:
            occupancy = snap.occupancy(opening, group)
            free = occupancy.places_left
            if not free or not occupancy.waitlisted:
                continue
            queue = Booking.objects.filter(
                activity_id=opening.activity_id, date=opening.date, status=BookingStatus.WAITLISTED
            ).select_related("child__family")
            if group is not None:
                queue = queue.filter(age_group=group)
            for booking in queue.order_by("id")[:free]:
                promoted.append(promote(booking, now=now, actor=actor))
                snap.count(opening, accepted=1, waitlisted=-1, group=group)
    snap.save_counts()
    return promoted


def promote(booking: Booking, *, now: datetime.datetime, actor: "User | None", reason: str = "") -> Booking:
    """Give a waitlisted booking its place (its opening locked by the caller):
    the booking, its PROMOTION movement, its audit entry and the family's
    notice. Without a reason it is the queue's turn (a freed place); with one,
    a staff member chose this child (booking.staff_actions.staff_promote)."""
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.ACCEPTED, updated_at=now)
    booking.status = BookingStatus.ACCEPTED
    family = booking.child.family
    movement = Movement.objects.create(
        kind=MovementKind.PROMOTION, booking=booking, family=family, structure_id=family.structure_id,
        outcome=BookingStatus.ACCEPTED, reason=reason, created_by=actor, created_at=now,
    )  # fmt: skip
    BookingAudit.objects.create(
        booking=booking, at=now, actor=actor, source=AuditSource.STAFF if reason else AuditSource.PROMOTION,
        from_status=BookingStatus.WAITLISTED, to_status=BookingStatus.ACCEPTED,
        note=reason or "Place libérée : accepté depuis la liste d'attente",
    )  # fmt: skip
    # In the caller's transaction: the family's notice is queued with the promotion.
    signals.place_given.send(sender=Movement, movement=movement)
    return booking


def waiting_counts(activity_id: int, date: datetime.date) -> dict[str, int]:
    rows = (
        Booking.objects.filter(
            activity_id=activity_id, date=date, status__in=[BookingStatus.ACCEPTED, BookingStatus.WAITLISTED]
        )
        .values("status")
        .annotate(n=Count("id"))
    )
    return {r["status"]: r["n"] for r in rows}
