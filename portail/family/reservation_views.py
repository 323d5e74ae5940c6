"""R12 "Mes réservations": the family's reservations with their state,
filters, a print layout, and cancellation through the same recap (R9/R10)."""

from itertools import groupby

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from portail.booking import drafts
from portail.booking.errors import BookingError
from portail.booking.models import Booking, BookingStatus
from portail.booking.reservations import NOT_TRANSMITTED_REMARK, family_reservations
from portail.booking.states import month_bounds
from portail.family.forms import CancelForm, ReservationsForm, read
from portail.lib.dates import MONTH_NAMES
from portail.web.family import current_family, family_required


@require_GET
@family_required
def reservations(request):
    family = current_family(request)
    children = list(family.children.order_by("first_name"))
    activities = list(family.structure.activities.filter(enrolments__child__family=family).distinct().order_by("name"))
    # Filters, not a target: a value that is not one of the family's (or not a
    # value at all) shows everything, with a message for a malformed month.
    form = ReservationsForm(request.GET)
    form.is_valid()
    values = form.cleaned_data
    child_id = values.get("enfant") if values.get("enfant") in {c.pk for c in children} else None
    activity_id = values.get("activite") if values.get("activite") in {a.pk for a in activities} else None
    start = end = None
    month_value = ""
    if "mois" in form.errors:
        messages.error(request, form.errors["mois"][0])
    elif values.get("mois"):
        start, end = month_bounds(*values["mois"])
        month_value = "{:04d}-{:02d}".format(*values["mois"])
    lines = family_reservations(
        family, now=timezone.now(), child_id=child_id, activity_id=activity_id, start=start, end=end
    )
    groups = []
    for (child, activity), items in groupby(
        sorted(lines, key=lambda li: (li.booking.child.first_name, li.booking.activity.name, li.booking.date)),
        key=lambda li: (li.booking.child, li.booking.activity),
    ):
        by_month = [
            (f"{MONTH_NAMES[m - 1].capitalize()} {y}", list(month_items))
            for (y, m), month_items in groupby(items, key=lambda li: (li.booking.date.year, li.booking.date.month))
        ]
        groups.append({"child": child, "activity": activity, "months": by_month})
    return render(
        request,
        "family/reservations.html",
        {
            "groups": groups,
            "children": children,
            "activities": activities,
            "child_id": child_id,
            "activity_id": activity_id,
            "month_value": month_value,
            "print": bool(values.get("imprimer")),
            "remark": NOT_TRANSMITTED_REMARK,
            "any_pending": any(not li.transmitted for li in lines),
        },
    )


@require_POST
@family_required
def cancel(request):
    """Ask to cancel a booking or a waiting-list place: it goes into the draft,
    then through the same recap and confirmation as every demande."""
    family = current_family(request)
    pk = read(CancelForm, request.POST)["reservation"]  # a malformed id is a 404, like another family's
    booking = (
        Booking.objects.filter(
            pk=pk, child__family=family, status__in=[BookingStatus.ACCEPTED, BookingStatus.WAITLISTED]
        )
        .select_related("child__family", "activity")
        .first()
    )
    if booking is None:
        raise Http404
    draft = drafts.get_draft(family, request.user)
    already = draft.items.filter(child=booking.child, activity=booking.activity, date=booking.date).exists()
    if not already:
        try:
            drafts.toggle_day(draft, booking.child, booking.activity, booking.date, now=timezone.now())
        except BookingError as error:
            messages.error(request, str(error))
            return redirect("family:reservations")
    return redirect("family:recap")
