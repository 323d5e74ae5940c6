"""The family's reservations with the state it sees (R12, issue point
"States and history"): "Non transmis" with its provisional outcome until the
structure's processing run has seen the latest movement, then Acceptée,
En liste d'attente (with position), Refusée or Annulée."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from portail.booking import rules
from portail.booking.calendar import closed_days_by_activity
from portail.booking.models import Booking, BookingStatus, Movement
from portail.booking.snapshot import with_waiting_position
from portail.structures.models import Family

NOT_TRANSMITTED_REMARK = gettext_lazy(
    "« Non transmis » ne signifie pas que votre demande n'est pas acceptée : elle n'a pas encore été "
    "transmise. Elle le sera lors du traitement de la structure (la nuit prochaine) ; vous pourrez "
    "ensuite consulter son état définitif."
)
FINAL_LABELS: dict[str, Promise] = {
    BookingStatus.ACCEPTED: gettext_lazy("Acceptée"),
    BookingStatus.WAITLISTED: gettext_lazy("En liste d'attente"),
    BookingStatus.REFUSED: gettext_lazy("Refusée"),
    BookingStatus.CANCELLED: gettext_lazy("Annulée"),
}
PROVISIONAL: dict[str, Promise] = {
    BookingStatus.ACCEPTED: gettext_lazy("place réservée"),
    BookingStatus.WAITLISTED: gettext_lazy("liste d'attente"),
    BookingStatus.REFUSED: gettext_lazy("refusée"),
    BookingStatus.CANCELLED: gettext_lazy("annulée"),
}


@dataclass(frozen=True)
class ReservationLine:
    booking: Booking
    transmitted: bool
    waiting_position: int | None
    cancellable: bool
    cancel_refusal: str | None

    @property
    def label(self) -> str:
        status = self.booking.status
        if not self.transmitted:
            outcome = str(PROVISIONAL[status])
            if self.waiting_position:
                outcome = gettext("%(outcome)s, position %(position)s") % {
                    "outcome": outcome,
                    "position": self.waiting_position,
                }
            return gettext("Non transmis (%(outcome)s)") % {"outcome": outcome}
        label = str(FINAL_LABELS[status])
        if self.waiting_position:
            label = gettext("%(label)s (position %(position)s)") % {"label": label, "position": self.waiting_position}
        return label

    @property
    def remark(self) -> str:
        if self.booking.status == BookingStatus.REFUSED and self.booking.reason:
            return self.booking.reason
        return str(NOT_TRANSMITTED_REMARK) if not self.transmitted else ""


def family_reservations(
    family: Family,
    *,
    now: datetime.datetime,
    child_id: int | None = None,
    activity_id: int | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> list[ReservationLine]:
    """The family's bookings (every state), filtered, in date order; four queries."""
    bookings = Booking.objects.filter(child__family=family).select_related("child", "activity")
    if child_id is not None:
        bookings = bookings.filter(child_id=child_id)
    if activity_id is not None:
        bookings = bookings.filter(activity_id=activity_id)
    if start is not None:
        bookings = bookings.filter(date__gte=start)
    if end is not None:
        bookings = bookings.filter(date__lte=end)
    pending = Movement.objects.filter(booking=OuterRef("pk"), run__isnull=True)
    bookings = with_waiting_position(bookings.annotate(pending=Exists(pending))).order_by(
        "date", "child__first_name", "activity__name", "id"
    )
    # Booking rows with their annotations (`pending`, `earlier_in_queue`): Any to the checker.
    rows: list[Any] = list(bookings)
    closed = _closed_days(family.structure_id, rows)
    activity_rules: dict[int, rules.ActivityRules] = {}
    lines: list[ReservationLine] = []
    for booking in rows:
        if booking.activity_id not in activity_rules:
            activity_rules[booking.activity_id] = rules.ActivityRules.from_activity(booking.activity)
        refusal = None
        if booking.is_active:
            refusal = rules.cancellation_refusal(
                booking.date, activity_rules[booking.activity_id], now=now, closed_days=closed[booking.activity_id]
            )
        position = booking.earlier_in_queue + 1 if booking.status == BookingStatus.WAITLISTED else None
        lines.append(
            ReservationLine(
                booking=booking,
                transmitted=not booking.pending,
                waiting_position=position,
                cancellable=booking.is_active and refusal is None,
                cancel_refusal=refusal,
            )
        )
    return lines


def _closed_days(structure_id: int, bookings: Sequence[Booking]) -> dict[int | None, frozenset[datetime.date]]:
    if not bookings:
        return {}
    # Each activity's closed days (its closures, the structure's, the region's
    # public holidays; issue 18 point 2), in one query.
    activities = {b.activity_id: b.activity for b in bookings}
    return closed_days_by_activity(
        structure_id, min(b.date for b in bookings), max(b.date for b in bookings), activities.values()
    )
