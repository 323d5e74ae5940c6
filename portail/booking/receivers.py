"""The booking engine's own receivers (connected in BookingConfig.ready)."""

from typing import Any

from django.db.models import F

from portail.booking.models import Booking, BookingStatus
from portail.structures.models import Opening


def free_deleted_place(sender: type[Booking], instance: Booking, **kwargs: Any) -> None:
    """A booking deleted behind the engine's back — a child, a family or an
    activity deleted in the admin takes its bookings with it (CASCADE) — frees
    its place in its opening's counters, in the deleting transaction (issue 15).
    Django sends post_delete for every booking of a cascade (bookings are
    always collected one by one: their movements and audit rows cascade too).
    An opening deleted in the same cascade (an activity's) is simply not found.

    A counter already at 0 is left there: it was wrong before the delete (the
    processing run reports it, `manage.py recount` repairs it), and going below
    0 would refuse the whole delete (the counters are PositiveIntegerFields)."""
    if instance.status == BookingStatus.ACCEPTED:
        counter = "accepted_count"
    elif instance.status == BookingStatus.WAITLISTED:
        counter = "waitlisted_count"
    else:
        return
    Opening.objects.filter(activity_id=instance.activity_id, date=instance.date, **{f"{counter}__gt": 0}).update(
        **{counter: F(counter) - 1}
    )
