"""The roll call ("pointage", B6) on a phone or tablet: one tap on "Présent"
or "Absent" records the child's consommation at once (an htmx POST that
returns the row and the live counts; without JavaScript the form posts and
comes back here).

Issue 18 point 5, the real morning: only today and past days (a day before
yesterday asks for a confirmation first, so that a slip of the date picker does
not fill an old day), "Tous présents" then the exceptions, live counts
(présents / absents / attendus), filters by school class and age band, and a
child who came without a booking found by name and added on the spot."""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from portail.booking import rules
from portail.booking.models import Booking, BookingStatus, Consumption
from portail.dossier import health
from portail.lib.dates import long_date, short_day
from portail.staff import queries
from portail.staff.access import activity_param, day_or_today, page, scoped, scoped_activities, staff_required
from portail.staff.forms import AGE_BANDS, AllPresentForm, RollCallForm, RollCallMarkForm, read
from portail.structures.models import AgeGroup, Child, Enrolment
from portail.web.forms import BadValue

PRESENCE = {"present": True, "absent": False}
# Children listed at once under "Ajouter un enfant venu sans réservation"; beyond, a search by name.
ADDABLE_SHOWN = 20


def roll_call_url(activity, day, child=None, keep=None):
    """The roll call of `activity` on `day`, with the screen's confirmation and filters (`keep`)."""
    query = {"date": f"{day:%Y-%m-%d}", "activite": activity.pk, **(keep or {})}
    url = reverse("staff:roll_call") + "?" + urlencode(query)
    return url + (f"#ligne-{child.pk}" if child is not None else "")


def kept(params):
    """What the roll call carries from a tap to the next: confirmation and filters, when set."""
    return {name: params[name] for name in ("confirmer", "classe", "age", "groupe") if params.get(name)}


def age_group(activity, group_id):
    """The age group of this activity the screen filters on (None: all); another
    activity's group, or one that no longer exists, is a 404 like any foreign id."""
    if not group_id:
        return None
    group = AgeGroup.objects.filter(activity=activity, pk=group_id).first()
    if group is None:
        raise Http404
    return group


def needs_confirmation(day):
    """True for a day before yesterday; refuses a day to come (BadValue, in French)."""
    today = timezone.localdate()
    if day > today:
        raise BadValue(
            _("Le %(day)s est à venir : le pointage se fait le jour même ou pour un jour passé.")
            % {"day": short_day(day)}
        )
    return day < today - datetime.timedelta(days=1)


def check_day(day, params):
    """A tap or "Tous présents": today or yesterday, or an older day confirmed on the roll call's page."""
    if needs_confirmation(day) and not params["confirmer"]:
        raise BadValue(
            _("Vous pointez le %(day)s, un jour passé : confirmez d'abord ce jour sur la page du pointage.")
            % {"day": short_day(day)}
        )


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


def _shown_rows(activity, day, params):
    """The rows of the roll call the screen shows (its filters), each with its status text,
    and all of them (for the choices of classes)."""
    rows, addable = queries.roll_call(activity, day)
    shown = queries.filter_roll_call(rows, params["classe"], params["age"], age_group(activity, params["groupe"]))
    for row in shown:
        row.status = status_text(row.consumption)
    # Issue 17: each child's health marks and the people allowed to collect it (two queries for all).
    health.annotate_children(row.child for row in shown)
    return rows, shown, addable


def _list_context(activity, day, params, shown):
    return {
        "activity": activity,
        "day": day,
        "rows": shown,
        "counts": queries.roll_call_counts(shown),
        "time_choices": activity.time_choices(),
        "keep": kept(params),
        "filtered": bool(params["classe"] or params["age"] or params["groupe"]),
    }


@require_GET
@staff_required
def roll_call(request):
    params = read(RollCallForm, request.GET)
    activities = list(scoped_activities(request.user))
    day = day_or_today(params["date"])
    activity = activity_param(params["activite"], activities)
    old_day = needs_confirmation(day)
    context = {
        "title": _("Pointage du %(day)s") % {"day": short_day(day)},
        "day": day,
        "day_label": long_date(day).capitalize(),
        "today": timezone.localdate(),
    }
    if activity is None:
        context["open_activities"] = queries.open_activities(activities, day)
        context["confirmed"] = bool(params["confirmer"])
        return page(request, "staff/roll_call_choose.html", context)
    context["title"] = _("Pointage — %(activity)s — %(day)s") % {"activity": activity, "day": short_day(day)}
    context["activity"] = activity
    if old_day and not params["confirmer"]:
        context["confirm_url"] = roll_call_url(activity, day, keep={**kept(params), "confirmer": "1"})
        context["today_url"] = roll_call_url(activity, timezone.localdate())
        return page(request, "staff/roll_call_confirm.html", context)
    rows, shown, addable = _shown_rows(activity, day, params)
    search = params["recherche"].strip()
    found = queries.search_children(addable, search) if search else addable
    context.update(_list_context(activity, day, params, shown))
    context.update(
        all_count=len(rows),
        classes=sorted({r.child.school_class for r in rows if r.child.school_class}),
        age_bands=AGE_BANDS,
        chosen_class=params["classe"],
        chosen_age=params["age"],
        age_groups=list(activity.age_groups.all()) if activity.has_age_groups else [],
        chosen_group=params["groupe"],
        search=search,
        addable_count=len(addable),
        found=found[:ADDABLE_SHOWN] if search or len(addable) <= ADDABLE_SHOWN else [],
        found_more=len(found) > ADDABLE_SHOWN,
        old_day=old_day,
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
    """Record one child's presence or absence (update_or_create: a second tap corrects the first).
    A child who came without a booking may be marked when enrolled in the activity that day."""
    params = read(RollCallMarkForm, request.POST)
    activity = scoped(scoped_activities(request.user), request.user, params["activite"])
    day = params["date"]
    child = scoped(Child.objects.select_related("family"), request.user, params["enfant"])
    if child.family.structure_id != activity.structure_id:
        raise Http404
    check_day(day, params)
    age_group(activity, params["groupe"])  # the screen's filter: another activity's group is a 404 before any write
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
        shown = _shown_rows(activity, day, params)[1]
        context = {**_list_context(activity, day, params, shown), "row": row, "error": problem}
        return render(request, "staff/_roll_call_update.html", context)
    if problem:
        messages.error(request, _("%(child)s : %(problem)s") % {"child": child, "problem": problem})
    else:
        message = _("Enregistré : %(child)s présent.") if present else _("Enregistré : %(child)s absent.")
        messages.success(request, message % {"child": child})
    return redirect(roll_call_url(activity, day, child, kept(params)))


@require_POST
@staff_required
def all_present(request):
    """« Tous présents »: every child booked (among those the screen shows) and
    not marked yet is recorded present, with the booking's times; a child
    already marked keeps that mark, so staff then tap only the exceptions."""
    params = read(AllPresentForm, request.POST)
    activity = scoped(scoped_activities(request.user), request.user, params["activite"])
    day = params["date"]
    check_day(day, params)
    shown = _shown_rows(activity, day, params)[1]
    now = timezone.now()
    new = [
        Consumption(
            child=row.child, activity=activity, date=day, present=True,
            arrival=row.booking.arrival if activity.has_times else None,
            departure=row.booking.departure if activity.has_times else None,
            recorded_by=request.user, recorded_at=now,
        )
        for row in shown
        if row.booking is not None and row.consumption is None
    ]  # fmt: skip
    with transaction.atomic():
        # A colleague's tap in the meantime wins: its row is kept (ignore_conflicts).
        Consumption.objects.bulk_create(new, ignore_conflicts=True)
    message = ngettext(
        "Tous présents : %(n)d enfant marqué présent. Touchez « Absent » pour les exceptions.",
        "Tous présents : %(n)d enfants marqués présents. Touchez « Absent » pour les exceptions.",
        len(new),
    ) % {"n": len(new)}
    if request.htmx:
        shown = _shown_rows(activity, day, params)[1]
        context = {**_list_context(activity, day, params, shown), "message": message}
        return render(request, "staff/_roll_call_list.html", context)
    messages.success(request, message)
    return redirect(roll_call_url(activity, day, keep=kept(params)))
