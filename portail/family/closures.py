"""The family's notice of days the structure closed (issue 18 point 4: a
strike): on the home page, while the day is today or ahead, each day a
closure cancelled some of the family's bookings, with its reason and the
children and activities concerned. Staff closures only (booking.staff_actions
close_day/close_days); a family's own cancellations are not mentioned."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F

from portail.booking.models import Booking, BookingStatus


@dataclass(frozen=True)
class ClosureNotice:
    day: object
    reasons: list  # the closures' reasons that day (usually one: the strike)
    lines: list  # [(child first name, "activity, activity")]


def closure_notices(family, today):
    """The family's ClosureNotice list, by day. One query."""
    cancelled = (
        Booking.objects.filter(
            child__family=family,
            date__gte=today,
            status=BookingStatus.CANCELLED,
            # cancelled by the closure itself: close_day stamps the booking and
            # the opening with the same instant (a family's earlier cancel is older)
            activity__openings__date=F("date"),
            activity__openings__closed_at__isnull=False,
            updated_at__gte=F("activity__openings__closed_at"),
        )
        .select_related("child", "activity")
        .annotate(closure_reason=F("activity__openings__closure_reason"))
        .order_by("date", "child__first_name", "activity__name")
    )
    days = defaultdict(lambda: (defaultdict(list), []))
    for booking in cancelled:
        children, reasons = days[booking.date]
        children[booking.child.first_name].append(booking.activity.name)
        if booking.closure_reason not in reasons:
            reasons.append(booking.closure_reason)
    return [
        ClosureNotice(day=day, reasons=reasons, lines=[(child, ", ".join(names)) for child, names in children.items()])
        for day, (children, reasons) in sorted(days.items())
    ]
