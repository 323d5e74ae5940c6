"""Staff changes that move places (B7): they go through the same locks,
snapshot and waiting-list promotion as a family's confirmation."""

from django.db import transaction
from django.utils import timezone

from portail.booking.locks import lock_openings
from portail.booking.snapshot import load_snapshot
from portail.booking.waiting_list import promote_waiting_list


def refill_opening(opening, *, actor=None, now=None):
    """After an opening's capacity was raised or the opening was added back:
    give its free places to the waiting list, in order. Returns the promoted
    bookings. Must be called inside the transaction that changed the opening."""
    now = now or timezone.now()
    lock_openings([opening.pk])
    snap = load_snapshot(
        opening.activity.structure_id, [], [opening.activity_id], opening.date, opening.date, now,
        activities=[opening.activity],
    )  # fmt: skip
    return promote_waiting_list(snap, [opening.pk], now=now, actor=actor)


def save_opening(opening, *, actor=None, now=None):
    """Save an opening (created, or capacities changed by staff) and promote
    from its waiting list when places are now free (N3)."""
    with transaction.atomic():
        opening.save()
        return refill_opening(opening, actor=actor, now=now)
