"""B7 manual actions from the planning page. Each view reads its form (a
reason is required: refused with a French message before anything changes),
finds the objects (in the staff member's structures, else 404), calls the
engine's staff action (portail.booking.staff_actions: locks, places, waiting
list, audit, e-mails) and reports its outcome in the staff member's language
(French source strings through gettext); the rules live in the engine."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from portail.booking import staff_actions
from portail.booking.errors import BookingError
from portail.booking.models import Booking, BookingStatus
from portail.lib import french
from portail.lib.dates import short_day
from portail.staff import queries
from portail.staff.access import scoped, scoped_activities, staff_required
from portail.staff.forms import BookForm, BookingActionForm, CloseForm, PlacesForm, read
from portail.staff.free_places import default_reason, offer_free_places
from portail.structures.models import Child, Opening

CLOSE_CONFIRMATION = gettext_lazy("Je confirme la fermeture : les familles seront prévenues")


def promoted_message(promoted):
    if not promoted:
        return ""
    values = {"n": len(promoted), "names": ", ".join(str(b.child) for b in promoted)}
    return (
        ngettext(
            "%(n)d enfant promu depuis la liste d'attente : %(names)s.",
            "%(n)d enfants promus depuis la liste d'attente : %(names)s.",
            len(promoted),
        )
        % values
    )


def _back(params, activity_id, day):
    """Back to the planning the form was sent from (all activities, or the one shown)."""
    view = params["vue"]
    query = f"?date={day:%Y-%m-%d}" + (f"&activite={view}" if view is not None else "")
    return redirect(reverse("staff:planning") + query + f"#activite-{activity_id}")


def _posted_opening(request, params):
    activity = scoped(scoped_activities(request.user), request.user, params["activite"])
    opening = Opening.objects.open().filter(activity=activity, date=params["date"]).first()
    if opening is None:
        raise Http404
    opening.activity = activity
    return opening


@require_POST
@staff_required
def book(request):
    """Book for a family: a place, else the waiting list (the families' délais do not apply)."""
    params = read(BookForm, request.POST)
    activity = scoped(scoped_activities(request.user), request.user, params["activite"])
    day = params["date"]
    child = scoped(Child.objects.select_related("family"), request.user, params["enfant"])
    if child.family.structure_id != activity.structure_id:
        raise Http404
    try:
        booking = staff_actions.staff_book(
            child, activity, day, actor=request.user, reason=params["motif"],
            arrival=params["arrivee"], departure=params["depart"],
        )  # fmt: skip
    except BookingError as error:
        messages.error(
            request, _("Réservation impossible pour %(child)s : %(error)s") % {"child": child, "error": error}
        )
    else:
        values = {"child": child, "activity": activity, "day": short_day(day)}
        if booking.status == BookingStatus.ACCEPTED:
            messages.success(request, _("%(child)s : place réservée en %(activity)s le %(day)s.") % values)
        else:
            messages.warning(
                request, _("%(child)s : activité complète, inscrit en liste d'attente le %(day)s.") % values
            )
    return _back(params, activity.pk, day)


def _posted_booking(request, params):
    return scoped(Booking.objects.select_related("child__family", "activity"), request.user, params["reservation"])


@require_POST
@staff_required
def cancel(request):
    """Cancel for a family; a freed place goes to the first on the waiting list (N3)."""
    params = read(BookingActionForm, request.POST)
    booking = _posted_booking(request, params)
    try:
        promoted = staff_actions.staff_cancel(booking, actor=request.user, reason=params["motif"])
    except BookingError as error:
        messages.error(
            request, _("Annulation impossible pour %(child)s : %(error)s") % {"child": booking.child, "error": error}
        )
    else:
        # Translators: %(de_child)s is « de DUPONT Paolo » or « d'ABADIE Paolo »; %(child)s the bare name.
        done = _("Réservation %(de_child)s annulée.") % {
            "de_child": french.de(str(booking.child)),
            "child": booking.child,
        }
        messages.success(request, f"{done} {promoted_message(promoted)}".strip())
    return _back(params, booking.activity_id, booking.date)


def _planning_section(request, params, activity, day, outcome, level):
    """The activity's section of the planning, alone, for an htmx call (the
    one-click « Attribuer », issue 18 point 3): swapped in place, with the
    outcome said at its top; the rest of the page is not reloaded."""
    activities = list(scoped_activities(request.user))
    activity = next(a for a in activities if a.pk == activity.pk)
    plannings = offer_free_places(queries.day_planning(activities, day, only=activity), timezone.now())
    context = {
        "p": plannings[0], "day": day, "view_filter": params["vue"] or "",
        "several_structures": len({a.structure_id for a in activities}) > 1,
        "attribuer_reason": default_reason(request.user), "outcome": outcome, "outcome_level": level,
    }  # fmt: skip
    return render(request, "staff/_planning_activity.html", context)


@require_POST
@staff_required
def promote(request):
    """Give a waitlisted child a free place, ahead of the queue; from the
    planning's « Attribuer » (htmx), the activity's section comes back updated."""
    params = read(BookingActionForm, request.POST)
    booking = _posted_booking(request, params)
    try:
        staff_actions.staff_promote(booking, actor=request.user, reason=params["motif"])
    except BookingError as error:
        level = messages.ERROR
        text = _("Impossible d'attribuer une place à %(child)s : %(error)s") % {"child": booking.child, "error": error}
    else:
        level = messages.SUCCESS
        text = _("%(child)s a obtenu une place le %(day)s.") % {
            "child": booking.child,
            "day": short_day(booking.date),
        }
    if request.htmx:
        tag = "error" if level == messages.ERROR else "success"
        return _planning_section(request, params, booking.activity, booking.date, text, tag)
    messages.add_message(request, level, text)
    return _back(params, booking.activity_id, booking.date)


def _capacity_label(value, default):
    return f"{value}" if value is not None else _("%(n)s (par défaut)") % {"n": default}


@require_POST
@staff_required
def capacity(request):
    """Change the day's places and waiting-list places; raising them promotes at
    once (while the families can still cancel); lowering them below the
    children booked is refused unless staff tick who goes to the waiting list."""
    params = read(PlacesForm, request.POST)
    opening = _posted_opening(request, params)
    activity = opening.activity
    new_capacity, new_waiting = params["places"], params["places_attente"]
    try:
        result = staff_actions.change_places(
            opening, capacity=new_capacity, waiting_list_capacity=new_waiting, actor=request.user,
            reason=params["motif"], to_waiting_list=params["liste_attente"],
        )  # fmt: skip
    except BookingError as error:
        messages.error(request, _("Places non modifiées : %(error)s") % {"error": error})
        return _back(params, activity.pk, opening.date)
    promoted = result.promoted
    text = _("Places du %(day)s en %(activity)s : %(places)s, liste d'attente : %(waiting)s.") % {
        "day": short_day(opening.date),
        "activity": activity,
        "places": _capacity_label(new_capacity, activity.capacity),
        "waiting": _capacity_label(new_waiting, activity.waiting_list_capacity),
    }
    messages.success(request, f"{text} {promoted_message(promoted)} {moved_message(result.moved)}".strip())
    return _back(params, activity.pk, opening.date)


def moved_message(moved):
    if not moved:
        return ""
    names = ", ".join(
        _("%(child)s (position %(position)s)") % {"child": b.child, "position": b.position} for b in moved
    )
    return ngettext(
        "%(n)d enfant passé en liste d'attente : %(names)s.",
        "%(n)d enfants passés en liste d'attente : %(names)s.",
        len(moved),
    ) % {"n": len(moved), "names": names}


@require_POST
@staff_required
def close(request):
    """Close the activity that day: every booking is cancelled and its family told."""
    params = read(CloseForm, request.POST)
    opening = _posted_opening(request, params)
    activity, day = opening.activity, opening.date
    if params["confirmation"] != "oui":
        messages.error(request, _("Journée non fermée : cochez « %(label)s ».") % {"label": CLOSE_CONFIRMATION})
        return _back(params, activity.pk, day)
    try:
        result = staff_actions.close_day(opening, actor=request.user, reason=params["motif"])
    except BookingError as error:
        messages.error(request, _("Journée non fermée : %(error)s") % {"error": error})
        return _back(params, activity.pk, day)
    n = len(result.cancelled)
    values = {"activity": activity, "day": short_day(day), "n": n}
    if n:
        text = ngettext(
            "%(activity)s fermée le %(day)s : %(n)d réservation annulée, les familles sont prévenues par e-mail.",
            "%(activity)s fermée le %(day)s : %(n)d réservations annulées, les familles sont prévenues par e-mail.",
            n,
        )
    else:
        text = _("%(activity)s fermée le %(day)s : 0 réservation annulée.")
    messages.success(request, text % values)
    return _back(params, activity.pk, day)
