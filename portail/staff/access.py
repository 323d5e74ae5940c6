"""Who may use the staff screens, and how they reach an object: always through
`scope_queryset`, so an object of another structure is simply not found (404)
and no view can forget the owner check. Query and form values are read by
the forms of staff/forms.py: a bad one gives a 400 with a French message (in
the page, or as the htmx call's answer) and changes nothing, never a 500."""

import datetime
import functools

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portail.lib.validators import MAX_ID
from portail.structures.models import Activity, Structure
from portail.structures.scoping import is_structure_staff, scope_queryset
from portail.web.errors import bad_request
from portail.web.forms import BadValue


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
            if getattr(request, "htmx", False):
                return bad_request(request, str(error))
            return page(
                request, "staff/error.html", {"title": _("Demande invalide"), "message": str(error)}, status=400
            )

    return wrapper


def page(request, template, context, status=200):
    """Render a staff screen inside the back office's frame."""
    return render(request, template, {**admin.site.each_context(request), **context}, status=status)


def scoped(queryset, user, pk):
    """The object `pk` of `queryset` if the user's structures hold it, else 404."""
    if isinstance(pk, str) and pk.isascii() and pk.isdigit():
        pk = int(pk)
    if not isinstance(pk, int) or isinstance(pk, bool) or not 1 <= pk <= MAX_ID:
        raise Http404
    obj = scope_queryset(queryset, user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def scoped_activities(user):
    return scope_queryset(Activity.objects.select_related("structure"), user).order_by("structure__name", "name")


def scoped_structures(user):
    return scope_queryset(Structure.objects.all(), user).order_by("name")


# ---- query and form values (read by staff/forms.py)


def day_or_today(day):
    return day or timezone.localdate()


def activity_param(pk, activities):
    """The activity `pk` among `activities` (already scoped), None when empty, 404 when not found."""
    if pk is None:
        return None
    for activity in activities:
        if activity.pk == pk:
            return activity
    raise Http404


def month_or_current(year_month):
    if year_month is None:
        today = timezone.localdate()
        return today.year, today.month
    return year_month


def monday_of(day):
    """The Monday of the week holding `day` (today when empty)."""
    day = day_or_today(day)
    return day - datetime.timedelta(days=day.weekday())
