"""Staff screens that read (B6): the day's planning, the attendance sheet, the
kitchen's week, the fill rates and the audit trail. Every object is reached
through the staff member's structures (access.py); the data comes from
queries.py in a fixed number of queries."""

import datetime

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from portail.booking.models import Booking
from portail.dossier import health
from portail.lib.dates import MONTH_NAMES, long_date, short_day
from portail.staff import exports, kitchen_pdf, queries
from portail.staff.access import (
    activity_param,
    day_or_today,
    monday_of,
    month_or_current,
    page,
    scoped,
    scoped_activities,
    staff_required,
)
from portail.staff.forms import DayActivityForm, DayAuditForm, FillRatesForm, KitchenForm, PageForm, SheetForm, read
from portail.staff.free_places import default_reason, offer_free_places
from portail.structures.models import Family, Opening

PAGE_SIZE = 100


@require_GET
@staff_required
def index(request):
    return page(request, "staff/index.html", {"title": _("Gestion quotidienne"), "today": timezone.localdate()})


def _planning_context(request, params, *, with_bookable=True):
    activities = list(scoped_activities(request.user))
    day = day_or_today(params["date"])
    chosen = activity_param(params["activite"], activities)
    days = queries.day_planning(activities, day, only=chosen, with_bookable=with_bookable)
    return {
        "activities": activities,
        "several_structures": len({a.structure_id for a in activities}) > 1,
        "day": day,
        "day_label": long_date(day).capitalize(),
        "chosen": chosen,
        "plannings": days,
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        "view_filter": chosen.pk if chosen else "",
    }


@require_GET
@staff_required
def planning(request):
    """B6: each activity open that day, its children, places and waiting list, and the B7 actions."""
    context = _planning_context(request, read(DayActivityForm, request.GET))
    context["title"] = _("Planning du %(day)s") % {"day": short_day(context["day"])}
    # Issue 18 point 3: free places offered to the waiting list, and why no automatic promotion.
    offer_free_places(context["plannings"], timezone.now())
    context["attribuer_reason"] = default_reason(request.user)
    return page(request, "staff/planning.html", context)


@require_GET
@staff_required
def attendance_sheet(request):
    """B6: the printable attendance sheet (HTML for the browser's print, or PDF)."""
    params = read(SheetForm, request.GET)
    context = _planning_context(request, params, with_bookable=False)
    plannings = [p for p in context["plannings"] if p.is_open]
    # Issue 17: beside each child, its health marks and the people allowed to collect it (two queries).
    health.annotate_children(booking.child for p in plannings for booking in p.accepted)
    if params["format"] == "pdf":
        response = HttpResponse(exports.attendance_pdf(plannings), content_type="application/pdf")
        parts = ["feuille", f"{context['day']:%Y-%m-%d}"] + ([context["chosen"].code] if context["chosen"] else [])
        response["Content-Disposition"] = exports.content_disposition("inline", parts, "pdf")
        return response
    context.update(title=_("Feuille de présence du %(day)s") % {"day": short_day(context["day"])}, plannings=plannings)
    return page(request, "staff/sheet.html", context)


@require_GET
@staff_required
def meals(request):
    """The kitchen's week (issue 18 point 6): the meals of every activity that
    serves one, per site and age band, days closed by staff marked with their
    reason; next week by default (what the kitchen orders for); as a page or PDF."""
    params = read(KitchenForm, request.GET)
    chosen = params["semaine"]
    monday = monday_of(chosen) if chosen else monday_of(None) + datetime.timedelta(days=7)
    activities = list(scoped_activities(request.user))
    week = queries.kitchen_week(activities, monday)
    # Issue 17: per site and day, the meals with a food allergy, a PAI or a diet,
    # and whose (the marks only, never the medical text). Two queries.
    marks = health.kitchen_marks(activities, week.days)
    for site in week.sites:
        site.health_days = [
            (day, marks[site.structure.pk, day]) for day in week.days if (site.structure.pk, day) in marks
        ]
    if params["format"] == "pdf":
        response = HttpResponse(kitchen_pdf.meals_pdf(week, monday), content_type="application/pdf")
        response["Content-Disposition"] = exports.content_disposition("inline", ["repas", f"{monday:%Y-%m-%d}"], "pdf")
        return response
    return page(
        request,
        "staff/meals.html",
        {
            "title": _("Repas de la semaine du %(day)s") % {"day": short_day(monday)},
            "monday": monday,
            "week": week,
            "several_structures": len(week.sites) > 1,
            "previous_week": monday - datetime.timedelta(days=7),
            "next_week": monday + datetime.timedelta(days=7),
        },
    )


def _month_label(year, month):
    return f"{MONTH_NAMES[month - 1]} {year}"


@require_GET
@staff_required
def fill_rates(request):
    """Booked places, capacity and waiting list per opening day of a month: table, chart, CSV."""
    params = read(FillRatesForm, request.GET)
    activities = list(scoped_activities(request.user))
    activity = activity_param(params["activite"], activities)
    if activity is None:
        activity = next((a for a in activities if a.is_limited), activities[0] if activities else None)
    year, month = month_or_current(params["mois"])
    rows = queries.fill_rates(activity, year, month) if activity is not None else []
    if activity is not None and params["format"] == "csv":
        response = HttpResponse(exports.fill_rates_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = exports.content_disposition(
            "attachment", ["remplissage", activity.code, f"{year:04d}-{month:02d}"], "csv"
        )
        return response
    first = datetime.date(year, month, 1)
    previous = first - datetime.timedelta(days=1)
    following = first + datetime.timedelta(days=32)
    return page(
        request,
        "staff/fill_rates.html",
        {
            "title": _("Taux de remplissage"),
            "activities": activities,
            "activity": activity,
            "month_value": f"{year:04d}-{month:02d}",
            "month_label": _month_label(year, month),
            "previous_month": f"{previous:%Y-%m}",
            "next_month": f"{following:%Y-%m}",
            "rows": rows,
            "chart": queries.fill_chart(rows),
        },
    )


def _audit_page(request, entries, context):
    paginated = Paginator(entries, PAGE_SIZE).get_page(read(PageForm, request.GET)["page"])
    lines = [(entry, queries.actor_label(entry)) for entry in paginated]
    return page(request, "staff/audit.html", {**context, "page_obj": paginated, "lines": lines})


@require_GET
@staff_required
def family_audit(request, pk):
    """B7: every change of a family's bookings — who, when, from what to what."""
    family = scoped(Family.objects.select_related("structure"), request.user, pk)
    return _audit_page(
        request,
        queries.family_audit(family),
        {"title": _("Historique des réservations — %(family)s") % {"family": family}, "family": family},
    )


@require_GET
@staff_required
def day_audit(request):
    """B7: an activity's day — its places changed, its closure, its bookings' changes."""
    params = read(DayAuditForm, request.GET)
    activity = scoped(scoped_activities(request.user), request.user, params["activite"])
    opening = Opening.objects.filter(activity=activity, date=params["date"]).first()
    if opening is None:
        raise Http404
    opening.activity = activity
    return _audit_page(
        request,
        queries.day_audit(opening),
        {
            "title": _("Historique du jour — %(activity)s — %(day)s")
            % {"activity": activity, "day": short_day(opening.date)},
            "opening": opening,
            "planning_url": reverse("staff:planning") + f"?date={opening.date:%Y-%m-%d}&activite={activity.pk}",
        },
    )


@require_GET
@staff_required
def booking_audit(request, pk):
    """B7: the changes of one booking."""
    booking = scoped(Booking.objects.select_related("child__family", "activity"), request.user, pk)
    return _audit_page(
        request,
        queries.booking_audit(booking),
        {
            "title": _("Historique de la réservation — %(child)s — %(activity)s — %(day)s")
            % {"child": booking.child, "activity": booking.activity, "day": short_day(booking.date)},
            "family": booking.child.family,
            "booking": booking,
            "planning_url": reverse("staff:planning") + f"?date={booking.date:%Y-%m-%d}&activite={booking.activity_id}",
        },
    )
