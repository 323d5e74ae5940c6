"""Who may use the staff screens, and how they reach an object: always through
`scope_queryset`, so an object of another structure is simply not found (404)
and no view can forget the owner check. Malformed query or form values give a
400 with a French message, never a 500."""

import datetime
import functools

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from portail.family.params import BadValue, parse_date, parse_int, parse_month
from portail.structures.models import Activity, Structure
from portail.structures.scoping import is_structure_staff, scope_queryset


def is_staff_member(user):
    return user.is_authenticated and user.is_active and user.is_staff and is_structure_staff(user)


def staff_required(view):
    """Logged in, staff, managing at least one structure (or site administrator);
    anyone else goes to the back-office login page."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_staff_member(request.user):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        try:
            return view(request, *args, **kwargs)
        except BadValue as error:
            return page(request, "staff/error.html", {"title": "Demande invalide", "message": str(error)}, status=400)

    return wrapper


def page(request, template, context, status=200):
    """Render a staff screen inside the back office's frame."""
    return render(request, template, {**admin.site.each_context(request), **context}, status=status)


def scoped(queryset, user, pk):
    """The object `pk` of `queryset` if the user's structures hold it, else 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    obj = scope_queryset(queryset, user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def scoped_activities(user):
    return scope_queryset(Activity.objects.select_related("structure"), user).order_by("structure__name", "name")


def scoped_structures(user):
    return scope_queryset(Structure.objects.all(), user).order_by("name")


# ---- query and form values


# Dates far outside these years are typing errors (and would overflow the previous/next links).
YEARS = range(1900, 3000)


def day_param(value, default=None):
    """A YYYY-MM-DD value; empty means today (or `default`)."""
    if not value:
        return default or timezone.localdate()
    day = parse_date(value, "Date")
    if day.year not in YEARS:
        raise BadValue(f"Date invalide : « {value} ».")
    return day


def activity_param(value, activities):
    """The activity `value` among `activities` (already scoped), None when empty, 404 when not found."""
    if not value:
        return None
    pk = parse_int(value, "Activité")
    for activity in activities:
        if activity.pk == pk:
            return activity
    raise Http404


def month_param(value):
    if not value:
        today = timezone.localdate()
        return today.year, today.month
    year, month = parse_month(value)
    if year not in YEARS:
        raise BadValue(f"Mois invalide : « {value} ».")
    return year, month


def week_param(value):
    """The Monday of the week holding `value` (today when empty)."""
    day = day_param(value)
    return day - datetime.timedelta(days=day.weekday())


def reason_param(request):
    return (request.POST.get("motif") or "").strip()


def positive_or_none(value, label):
    """An optional whole number ≥ 0 ("" means None)."""
    if value in (None, ""):
        return None
    number = parse_int(value, label)
    if number < 0:
        raise BadValue(f"{label} : un nombre positif ou nul est attendu.")
    return number
