"""When an enrolment ends early or is deleted (issue 18 point 1): the child's
bookings from today on that no enrolment covers any more are listed for staff,
who may cancel them through the engine (staff_cancel: the freed places go to
the waiting list, the cancellation is a movement the family reads in its
compte-rendu). Nothing is cancelled without staff choosing it, and the back
office never ends an enrolment without showing what it leaves behind."""

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from portail.booking.errors import BookingError
from portail.booking.models import ACTIVE_STATUSES, Booking
from portail.booking.staff_actions import REASON_REQUIRED, staff_cancel
from portail.structures.models import Enrolment

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as User


def bookings_outside_enrolments(child_ids: Iterable[int], *, today: datetime.date | None = None) -> list[Booking]:
    """The active bookings (accepted or waiting) of these children, from `today`
    on, on days no enrolment of the child on that activity covers. Two queries."""
    ids = sorted(set(child_ids))
    today = today or timezone.localdate()
    bookings = list(
        Booking.objects.filter(child_id__in=ids, date__gte=today, status__in=ACTIVE_STATUSES)
        .select_related("child", "activity")
        .order_by("date", "activity__name", "child__last_name", "child__first_name", "pk")
    )
    if not bookings:
        return []
    spans: dict[tuple[int, int], list[tuple[datetime.date, datetime.date]]] = {}
    for child_id, activity_id, start, end in Enrolment.objects.filter(child_id__in=ids).values_list(
        "child_id", "activity_id", "start_date", "end_date"
    ):
        spans.setdefault((child_id, activity_id), []).append((start, end))
    return [
        booking
        for booking in bookings
        if not any(
            start <= booking.date <= end for start, end in spans.get((booking.child_id, booking.activity_id), [])
        )
    ]


def cancel_outside_enrolments(
    child_ids: Iterable[int],
    booking_ids: Iterable[int],
    *,
    actor: "User",
    reason: str,
    now: datetime.datetime | None = None,
) -> list[Booking]:
    """Cancel, through `staff_cancel`, the chosen bookings among those still
    outside the children's enrolments (read again: a booking an enrolment
    covers again, or already cancelled, is left alone). All or none, in one
    transaction. Returns the bookings cancelled."""
    if not (reason or "").strip():
        raise BookingError(REASON_REQUIRED)
    wanted = set(booking_ids)
    now = now or timezone.now()
    cancelled = []
    with transaction.atomic():
        for booking in bookings_outside_enrolments(child_ids, today=timezone.localdate(now)):
            if booking.pk not in wanted:
                continue
            try:
                staff_cancel(booking, actor=actor, reason=reason, now=now, late=False)
            except BookingError:
                # Cancelled meanwhile by the family or a colleague: nothing left to do for it.
                continue
            cancelled.append(booking)
    return cancelled
