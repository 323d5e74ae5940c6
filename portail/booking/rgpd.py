"""What the booking app does when a family is anonymised (issue 17 point 6):
its bookings, their movements and their history stay for the accounts and the
statistics, but the free text people typed on them goes — a staff reason such
as « Paolo malade, prévenu par sa mère », a counter note naming the parent.

dossier.rgpd calls it; the booking app keeps the hand on its own tables. No
status, date or place counter changes: only the texts are emptied."""

from django.db.models import Q

from portail.booking.models import Booking, BookingAudit, Movement
from portail.structures.models import Family


def scrub_family_texts(family: Family) -> int:
    """Empty the free-text reasons and notes of `family`'s bookings, of their
    movements (demandes) and of their history (BookingAudit). Returns the
    number of rows changed. To be called inside the anonymisation's
    transaction."""
    changed = Booking.objects.filter(child__family=family).exclude(reason="").update(reason="")
    changed += (
        Movement.objects.filter(Q(family=family) | Q(booking__child__family=family))
        .exclude(reason="")
        .update(reason="")
    )
    changed += BookingAudit.objects.filter(booking__child__family=family).exclude(note="").update(note="")
    return changed
