"""The roll call ("pointage", B6) on a phone or tablet: one tap on "Présent"
or "Absent" records the child's consommation at once (an htmx POST that
returns the row; without JavaScript the form posts and comes back here)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portail.booking import rules
from portail.booking.models import Booking, BookingStatus, Consumption
from portail.lib.dates import long_date, short_day
from portail.staff import queries
from portail.staff.access import activity_param, day_or_today, page, scoped, scoped_activities, staff_required
from portail.staff.forms import DayActivityForm, MarkForm, read
from portail.structures.models import Child, Enrolment
from portail.web.forms import BadValue

PRESENCE = {"present": True, "absent": False}


def roll_call_url(activity, day, child=None):
    url = reverse("staff:roll_call") + f"?date={day:%Y-%m-%d}&activite={activity.pk}"
    return url + (f"#ligne-{child.pk}" if child is not None else "")


def status_text(consumption):
    """'Enregistré : présent à 07:45' (the time of the tap), or 'Non pointé'."""
    if consumption is None:
        return _("Non pointé")
    at = f"{timezone.localtime(consumption.recorded_at):%H:%M}"
    text = _("Enregistré : présent à %(time)s") if consumption.present else _("Enregistré : absent à %(time)s")
    text %= {"time": at}
    if consumption.arrival and consumption.departure:
        text += " " + _("(horaires %(arrival)s – %(departure)s)") % {
            "arrival": f"{consumption.arrival:%H:%M}",
            "departure": f"{consumption.departure:%H:%M}",
        }
    return text


@require_GET
@staff_required
def roll_call(request):
    params = read(DayActivityForm, request.GET)
    activities = list(scoped_activities(request.user))
    day = day_or_today(params["date"])
    activity = activity_param(params["activite"], activities)
    context = {
        "title": _("Pointage du %(day)s") % {"day": short_day(day)},
        "day": day,
        "day_label": long_date(day).capitalize(),
    }
    if activity is None:
        context["open_activities"] = queries.open_activities(activities, day)
        return page(request, "staff/roll_call_choose.html", context)
    rows, addable = queries.roll_call(activity, day)
    for row in rows:
        row.status = status_text(row.consumption)
    context.update(
        title=_("Pointage — %(activity)s — %(day)s") % {"activity": activity, "day": short_day(day)},
        activity=activity,
        rows=rows,
        addable=addable,
        time_choices=activity.time_choices(),
        present_count=sum(1 for r in rows if r.consumption is not None and r.consumption.present),
        absent_count=sum(1 for r in rows if r.consumption is not None and not r.consumption.present),
    )
    return page(request, "staff/roll_call.html", context)


def _posted_times(params, activity, booking, present):
    """The times to record: none when absent or for an activity without times;
    else the posted ones (the booking's by default), checked like a booking's."""
    if not present or not activity.has_times:
        return None, None, None
    arrival, departure = params["arrivee"], params["depart"]
    if arrival is None and departure is None and booking is not None:
        arrival, departure = booking.arrival, booking.departure
    if arrival is None and departure is None:
        return None, None, None
    return arrival, departure, rules.check_times(rules.ActivityRules.from_activity(activity), arrival, departure)


@require_POST
@staff_required
def mark(request):
    """Record one child's presence or absence (update_or_create: a second tap corrects the first)."""
    params = read(MarkForm, request.POST)
    activity = scoped(scoped_activities(request.user), request.user, params["activite"])
    day = params["date"]
    child = scoped(Child.objects.select_related("family"), request.user, params["enfant"])
    if child.family.structure_id != activity.structure_id:
        raise Http404
    present = PRESENCE[params["presence"]]
    booking = Booking.objects.filter(child=child, activity=activity, date=day, status=BookingStatus.ACCEPTED).first()
    if (
        booking is None
        and not Enrolment.objects.filter(
            child=child, activity=activity, start_date__lte=day, end_date__gte=day
        ).exists()
    ):
        raise BadValue(_("%(child)s : %(problem)s.") % {"child": child, "problem": rules.NOT_ENROLLED.lower()})
    arrival, departure, problem = _posted_times(params, activity, booking, present)
    if problem is None:
        Consumption.objects.update_or_create(
            child=child, activity=activity, date=day,
            defaults={"present": present, "arrival": arrival, "departure": departure,
                      "recorded_by": request.user, "recorded_at": timezone.now()},
        )  # fmt: skip
    if request.htmx:
        row = queries.roll_call_row(activity, day, child)
        row.status = status_text(row.consumption)
        context = {"row": row, "activity": activity, "day": day, "time_choices": activity.time_choices(),
                   "error": problem}  # fmt: skip
        return render(request, "staff/_roll_call_update.html", context)
    if problem:
        messages.error(request, _("%(child)s : %(problem)s") % {"child": child, "problem": problem})
    else:
        message = _("Enregistré : %(child)s présent.") if present else _("Enregistré : %(child)s absent.")
        messages.success(request, message % {"child": child})
    return redirect(roll_call_url(activity, day, child))
