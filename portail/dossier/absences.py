"""Absences (issue 17 point 5): a parent declares that a child will miss (or
missed) days already booked — illness, with a certificate, or another reason —
and staff decide. Justified: every booking still holding a place is cancelled
through the engine (booking.staff_actions.staff_cancel(..., late=False)), so
the place goes to the waiting list as for any cancellation and nothing is
billed. Not justified: the bookings stay as they are, with staff's note.
Declaring after the cancellation délai is allowed: that is what a certificate
is for."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portail.booking.errors import BookingError
from portail.booking.models import Booking, BookingStatus
from portail.booking.staff_actions import staff_cancel
from portail.dossier.documents import store_document
from portail.dossier.models import Absence, AbsenceReason, AbsenceStatus, Document, DocumentStatus
from portail.lib.dates import short_day

MAX_DAYS = 92  # one declaration covers at most a school term
ALREADY_DECIDED = gettext_lazy("Cette absence a déjà été examinée.")
NOTE_REQUIRED = gettext_lazy("Indiquez pourquoi l'absence n'est pas justifiée : la famille le lira.")
BAD_RANGE = gettext_lazy("La date de fin doit être le même jour ou après la date de début.")
TOO_LONG = gettext_lazy("Une déclaration couvre au plus 92 jours : déclarez la suite séparément.")


class AbsenceError(ValueError):
    """A declaration or a decision refused, with the French message to show."""


def covered_bookings(child, start: datetime.date, end: datetime.date):
    """The child's days with a place from `start` to `end` that no other
    absence (waiting or justified) already covers: what a declaration holds."""
    taken = Booking.objects.filter(
        child=child, absences__status__in=[AbsenceStatus.PENDING, AbsenceStatus.JUSTIFIED]
    ).values("pk")
    return (
        Booking.objects.filter(child=child, date__gte=start, date__lte=end, status=BookingStatus.ACCEPTED)
        .exclude(pk__in=taken)
        .select_related("activity")
        .order_by("date", "activity__name")
    )


def check_range(start: datetime.date, end: datetime.date) -> None:
    if end < start:
        raise AbsenceError(BAD_RANGE)
    if (end - start).days >= MAX_DAYS:
        raise AbsenceError(TOO_LONG)


def declare_absence(
    family,
    child,
    *,
    start: datetime.date,
    end: datetime.date,
    reason: str,
    comment: str = "",
    certificate=None,
    declared_by,
    now: datetime.datetime | None = None,
) -> Absence:
    """Record the family's absence of `child` (one of `family`'s children,
    checked by the caller) over its booked days from `start` to `end`, with an
    optional certificate (an uploaded file, checked like every document).
    AbsenceError or DocumentError (a French message), nothing recorded, when
    no booked day is covered or the file is refused."""
    now = now or timezone.now()
    check_range(start, end)
    if reason not in AbsenceReason.values:
        raise AbsenceError(_("Choisissez le motif de l'absence."))
    with transaction.atomic():
        bookings = list(covered_bookings(child, start, end))
        if not bookings:
            raise AbsenceError(
                _("%(child)s n'a aucun jour réservé du %(start)s au %(end)s qui ne soit déjà déclaré absent.")
                % {"child": child.first_name, "start": short_day(start), "end": short_day(end)}
            )
        document = None
        if certificate is not None:
            document = store_document(family, certificate, doc_type=None, child=child, uploaded_by=declared_by, now=now)
        absence = Absence.objects.create(
            family=family,
            child=child,
            start_date=start,
            end_date=end,
            reason=reason,
            comment=comment.strip(),
            certificate=document,
            declared_by=declared_by,
            declared_at=now,
        )
        absence.bookings.set(bookings)
    return absence


def decide_absence(
    absence: Absence, *, actor, justified: bool, note: str = "", now: datetime.datetime | None = None
) -> list[Booking]:
    """Staff's decision on a pending absence. Justified: its bookings still
    holding a place are cancelled through the engine, not billed (late=False),
    the waiting list served; returns the bookings promoted from it. Not
    justified: `note` required, the bookings stay. AbsenceError when already
    decided."""
    now = now or timezone.now()
    note = (note or "").strip()[:200]
    if not justified and not note:
        raise AbsenceError(NOTE_REQUIRED)
    promoted: list[Booking] = []
    with transaction.atomic():
        absence = Absence.objects.select_for_update().get(pk=absence.pk)
        if absence.status != AbsenceStatus.PENDING:
            raise AbsenceError(ALREADY_DECIDED)
        if justified:
            label = AbsenceReason(absence.reason).label
            reason = _("Absence justifiée (%(reason)s)") % {"reason": label}
            for booking in absence.bookings.filter(status=BookingStatus.ACCEPTED).order_by("date", "pk"):
                try:
                    promoted += staff_cancel(booking, actor=actor, reason=reason, now=now, late=False)
                except BookingError:
                    continue  # cancelled meanwhile (a closed day): nothing left to free
        absence.status = AbsenceStatus.JUSTIFIED if justified else AbsenceStatus.NOT_JUSTIFIED
        absence.decided_by = actor
        absence.decided_at = now
        absence.decision_note = note
        absence.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        if absence.certificate_id:
            # The certificate was read with the absence: it is decided with it.
            Document.objects.filter(pk=absence.certificate_id, status=DocumentStatus.PENDING).update(
                status=DocumentStatus.VALIDATED if justified else DocumentStatus.REFUSED,
                refusal_reason="" if justified else note,
                decided_by=actor,
                decided_at=now,
            )
    return promoted
