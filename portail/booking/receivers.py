"""The booking engine's own receivers (connected in BookingConfig.ready)."""

from typing import Any

from portail.booking.models import Booking, BookingStatus
from portail.booking.snapshot import move_counters_of_day


def free_deleted_place(sender: type[Booking], instance: Booking, **kwargs: Any) -> None:
    """A booking deleted behind the engine's back — a child, a family or an
    activity deleted in the admin takes its bookings with it (CASCADE) — frees
    its place in its opening's counters, in the deleting transaction (issue 15).
    Django sends post_delete for every booking of a cascade (bookings always
    are collected one by one: their movements and audit cascade too). An
    opening deleted in the same cascade (an activity's) is simply not found."""
    if instance.status == BookingStatus.ACCEPTED:
        move_counters_of_day(instance.activity_id, instance.date, accepted=-1)
    elif instance.status == BookingStatus.WAITLISTED:
        move_counters_of_day(instance.activity_id, instance.date, waitlisted=-1)
