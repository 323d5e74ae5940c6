"""« Fermer une journée » (issue 18 point 4): a day closed for several
activities of a structure in one action, with its reason (a strike). The
screen previews the bookings and families affected; « Fermer » closes every
chosen activity in one transaction (booking.staff_actions.close_days), each
family told once by e-mail for all its children and activities; the families
without an e-mail address are listed, with their phone, on a printable page
to call them. Every object is reached through the staff member's structures."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib import messages
from django.db.models import F
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from portail.booking import staff_actions
from portail.booking.errors import BookingError
from portail.booking.models import ACTIVE_STATUSES, Booking, BookingStatus
from portail.lib.dates import long_date, short_day
from portail.notifications.reports import family_emails
from portail.staff.access import page, scoped, scoped_structures, staff_required
from portail.staff.forms import CallListForm, DayClosePostForm, DayClosureForm, read
from portail.structures.models import Opening


@dataclass
class AffectedFamily:
    """A family whose bookings the closure cancels (or cancelled): its
    children with their activities, its e-mail addresses (none: to call)."""

    family: object
    emails: list
    children: dict = field(default_factory=lambda: defaultdict(list))  # "NOM Prénom" -> activity names

    @property
    def lines(self):
        return [(child, ", ".join(sorted(names))) for child, names in sorted(self.children.items())]


def _affected(bookings):
    """AffectedFamily per family of `bookings` (child__family and activity loaded), by family name."""
    bookings = list(bookings)
    emails = family_emails({b.child.family_id for b in bookings})
    families = {}
    for booking in bookings:
        family = booking.child.family
        found = families.setdefault(family.pk, AffectedFamily(family=family, emails=emails.get(family.pk, [])))
        found.children[f"{booking.child.last_name.upper()} {booking.child.first_name}"].append(booking.activity.name)
    return sorted(families.values(), key=lambda a: (a.family.last_name.upper(), a.family.first_name, a.family.pk))


def _structure(request, pk, structures):
    if pk is None:
        if len(structures) == 1:
            return structures[0]
        return None
    return scoped(scoped_structures(request.user), request.user, pk)


def _open_openings(structure, day):
    return list(
        Opening.objects.open()
        .filter(activity__structure=structure, date=day)
        .select_related("activity__structure")
        .order_by("activity__name", "pk")
    )


def _screen(request, structures, structure, day, ticked, reason="", status=200):
    openings = _open_openings(structure, day) if structure is not None else []
    if ticked is None:  # first visit: every activity ticked
        ticked = {o.activity_id for o in openings}
    chosen = [o for o in openings if o.activity_id in ticked]
    bookings = Booking.objects.filter(
        activity_id__in=[o.activity_id for o in chosen], date=day, status__in=ACTIVE_STATUSES
    ).select_related("child__family", "activity")
    affected = _affected(bookings)
    return page(
        request,
        "staff/close_day.html",
        {
            "title": _("Fermer une journée"),
            "structures": structures,
            "structure": structure,
            "day": day,
            "day_label": long_date(day),
            "openings": openings,
            "ticked": ticked,
            "reason": reason,
            "affected": affected,
            "bookings_count": sum(o.accepted_count + o.waitlisted_count for o in chosen),
            "without_email": sum(1 for a in affected if not a.emails),
            "confirmation_label": CONFIRMATION,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def close_day(request):
    """The screen: a day, the structure's activities open that day (all ticked
    at first), the preview of the bookings and families affected, a reason;
    « Aperçu » shows the preview of the ticked ones (nothing changes),
    « Fermer la journée » closes them at once."""
    structures = list(scoped_structures(request.user))
    if request.method == "POST":
        return _close(request, structures)
    params = read(DayClosureForm, request.GET)
    structure = _structure(request, params["structure"], structures)
    return _screen(request, structures, structure, params["date"] or timezone.localdate(), None)


def _close(request, structures):
    params = read(DayClosePostForm, request.POST)
    structure = scoped(scoped_structures(request.user), request.user, params["structure"])
    day, ticked = params["date"], set(params["activite"])
    if params["action"] == "apercu":
        return _screen(request, structures, structure, day, ticked, params["motif"])
    openings = [o for o in _open_openings(structure, day) if o.activity_id in ticked]
    problem = None
    if not openings:
        problem = _("Journée non fermée : cochez au moins une activité ouverte ce jour.")
    elif params["confirmation"] != "oui":
        problem = _("Journée non fermée : cochez « %(label)s ».") % {"label": CONFIRMATION}
    else:
        try:
            results = staff_actions.close_days(openings, actor=request.user, reason=params["motif"])
        except BookingError as error:
            problem = _("Journée non fermée : %(error)s") % {"error": error}
    if problem is not None:
        messages.error(request, problem)
        return _screen(request, structures, structure, day, ticked, params["motif"], status=400)
    cancelled = [b for r in results for b in r.cancelled]
    affected = _affected(cancelled)
    to_call = sum(1 for a in affected if not a.emails)
    values = {
        "day": short_day(day),
        "activities": len(openings),
        "bookings": len(cancelled),
        "families": len(affected) - to_call,
        "to_call": to_call,
    }
    parts = [
        ngettext("%(activities)d activité fermée le %(day)s", "%(activities)d activités fermées le %(day)s",
                 len(openings)),
        ngettext("%(bookings)d réservation annulée", "%(bookings)d réservations annulées", len(cancelled)),
        ngettext("%(families)d famille prévenue par e-mail", "%(families)d familles prévenues par e-mail",
                 values["families"]),
        ngettext("%(to_call)d famille à appeler", "%(to_call)d familles à appeler", to_call),
    ]  # fmt: skip
    messages.success(request, ", ".join(part % values for part in parts) + ".")
    return redirect(reverse("staff:call_list") + f"?date={day:%Y-%m-%d}&structure={structure.pk}")


CONFIRMATION = gettext_lazy("Je confirme la fermeture : les familles seront prévenues")


@require_GET
@staff_required
def call_list(request):
    """The printable list of the families whose bookings a closure of that day
    cancelled and who have no e-mail address: name, phone, children, activities."""
    params = read(CallListForm, request.GET)
    structure = scoped(scoped_structures(request.user), request.user, params["structure"])
    day = params["date"]
    closed = list(
        Opening.objects.filter(activity__structure=structure, date=day, closed_at__isnull=False)
        .select_related("activity")
        .order_by("activity__name")
    )
    # The bookings the closure cancelled: cancelled at the very moment the
    # opening was closed (close_day stamps both with the same instant), not
    # those the families had cancelled before.
    cancelled = Booking.objects.filter(
        activity__in=[o.activity_id for o in closed],
        date=day,
        status=BookingStatus.CANCELLED,
        activity__openings__date=day,
        updated_at__gte=F("activity__openings__closed_at"),
    ).select_related("child__family", "activity")
    affected = _affected(cancelled)
    return page(
        request,
        "staff/call_list.html",
        {
            "title": _("Familles à appeler — %(day)s") % {"day": short_day(day)},
            "structure": structure,
            "day": day,
            "day_label": long_date(day),
            "closed": closed,
            "to_call": [a for a in affected if not a.emails],
            "told": sum(1 for a in affected if a.emails),
        },
    )
