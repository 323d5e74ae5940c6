"""The "Réserver" screens (R2–R10): calendar in both modes, quick tools,
times, copy, recap, confirmation and its result. Views stay thin: every rule
is decided by portail.booking."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, push_url

from portail.billing.money import euros
from portail.billing.pricing import estimate_demandes
from portail.booking import drafts
from portail.booking.confirm import confirm_family_draft
from portail.booking.errors import BookingError
from portail.booking.forecast import forecast_draft
from portail.booking.guards import booking_blocks
from portail.booking.models import Confirmation, DraftAction, MovementKind
from portail.booking.rules import NOT_OPEN
from portail.booking.states import enrolled_activities, month_bounds, month_snapshot, month_states
from portail.family import calendar
from portail.family.forms import (
    BadValue,
    CopySourceForm,
    CopyTargetForm,
    DayPanelForm,
    DiscardForm,
    OpeningForm,
    ReserveForm,
    ToggleDayForm,
    ToggleSetForm,
    read,
)
from portail.family.params import own_activity, own_child
from portail.lib.dates import MONTH_NAMES, month_year, short_day
from portail.lib.validators import FIRST_DATE, LAST_DATE
from portail.web.errors import bad_request
from portail.web.family import current_family, family_required


def _child_activities(child):
    return list(enrolled_activities(child, datetime.date.min, datetime.date.max))


def _period(activities):
    """The booking period of these activities, within the window the product
    supports: a period stored beyond it (old rows) never leads the calendar to
    a month that cannot be drawn. No activity (a child without enrolment):
    this month only."""
    if not activities:
        today = timezone.localdate()
        return today, today
    first = min(a.booking_period_start for a in activities)
    last = max(a.booking_period_end for a in activities)
    return min(max(first, FIRST_DATE), LAST_DATE), max(min(last, LAST_DATE), FIRST_DATE)


def _month_in_period(year_month, activities, today):
    first, last = _period(activities)
    if year_month is None:
        day = min(max(today, first), last)
        return day.year, day.month
    year, month = year_month
    start, end = month_bounds(year, month)
    if end < first or start > last:
        day = min(max(today, first), last)
        return day.year, day.month
    return year, month


def _shift(year, month, delta):
    month += delta
    return year + (month - 1) // 12, (month - 1) % 12 + 1


def reserve_url(child, activity=None, year_month=None):
    params = {"enfant": child.pk}
    if activity is not None:
        params["activite"] = activity.pk
    if year_month is not None:
        params["mois"] = f"{year_month[0]:04d}-{year_month[1]:02d}"
    return reverse("family:reserve") + "?" + urlencode(params)


def calendar_context(
    request, family, child, activity, year_month, *, error=None, day=None, children=None, activities=None,
    draft=None, snapshot=None, status=None,
):  # fmt: skip
    """What the calendar shows. The caller passes what it has read already (the
    family's children, the child's activities, the draft, a snapshot of the month
    for the activity shown): each is then not read twice in one request.
    A fixed number of queries, whatever the number of children, activities,
    days and bookings (tests/family/test_calendar_lean.py)."""
    now = timezone.now()
    if activities is None:
        # Lazy: with an activity shown, only the full page's chooser lists them (not the htmx partial).
        activities = enrolled_activities(child, datetime.date.min, datetime.date.max)
    scope = [activity] if activity else list(activities)
    year, month = _month_in_period(year_month, scope, timezone.localdate())
    draft = draft or drafts.get_draft(family, request.user)
    states = month_states(
        child, year, month, now=now, draft=draft, activity_id=activity.pk if activity else None, snapshot=snapshot
    )
    first, last = _period(scope)
    prev_ym, next_ym = _shift(year, month, -1), _shift(year, month, 1)
    has_prev = month_bounds(*prev_ym)[1] >= first
    has_next = month_bounds(*next_ym)[0] <= last
    time_choices = activity.time_choices() if activity and activity.has_times else []
    month_value = f"{year:04d}-{month:02d}"
    urls = _urls()
    links = _links(child, activity, month_value, time_choices, urls)
    closed = calendar.closures(family.structure, [a.pk for a in scope], states.first, states.last)
    notices = calendar.opening_notices(scope, now)
    countdown = next((n for n in notices if n.counting_down), None)
    return {
        "child": child,
        # Lazy when not given: the htmx partial does not use it.
        "children": family.children.order_by("first_name") if children is None else children,
        "activity": activity,
        "activities": activities,
        "year": year,
        "month": month,
        "month_value": month_value,
        "month_label": f"{MONTH_NAMES[month - 1].capitalize()} {year}",
        "month_name": month_year(year, month),  # inside a sentence: « octobre 2026 » (issue 14 point 4)
        "prev_month": f"{prev_ym[0]:04d}-{prev_ym[1]:02d}" if has_prev else None,
        "next_month": f"{next_ym[0]:04d}-{next_ym[1]:02d}" if has_next else None,
        "grid": calendar.month_grid(states, activity.pk if activity else None, closed, links),
        "weekdays": calendar.weekday_heads(),
        "legend": calendar.legend(activity.pk if activity else None),
        "draft_count": draft.items.count(),
        "time_choices": time_choices,
        "times_csv": links.times_csv,
        "urls": urls,
        "error": error,
        "status": status,
        "day_panel": _day_panel(states, day, closed) if day else None,
        "notices": notices,
        "countdown": countdown,
        "next_opening_in": notices[0].seconds_left if notices else None,
        "poll_seconds": opening_poll_seconds(),
    }


def opening_poll_seconds():
    """How often a calendar counting down to an opening asks the server (the
    setting OPENING_POLL_SECONDS, 20 s by default: modest for thousands of
    parents waiting; a test makes it short)."""
    return getattr(settings, "OPENING_POLL_SECONDS", 20)


def _urls():
    # Reversed once per request rather than for each of the calendar's forms.
    return {
        "toggle_day": reverse("family:toggle_day"),
        "toggle_set": reverse("family:toggle_set"),
        "reserve": reverse("family:reserve"),
        "day_panel": reverse("family:day_panel"),
        "opening": reverse("family:opening"),
    }


def _links(child, activity, month_value, time_choices, urls):
    return calendar.CellLinks(
        child_id=child.pk,
        activity_id=activity.pk if activity else None,
        month_value=month_value,
        toggle_url=urls["toggle_day"],
        reserve_url=urls["reserve"],
        panel_url=urls["day_panel"],
        times_csv=",".join(f"{t:%H:%M}" for t in time_choices),
        activity_name=activity.name if activity else "",
    )


def _day_panel(states, day, closed):
    rows = []
    for a in states.activities:
        if day in a.days:
            state = a.days[day]
            reason = closed.reason(a.activity.pk, day) if state.reason == str(NOT_OPEN) else None
            rows.append((a.activity, calendar.s_cell(day, state, reason), state))
    return {"day": day, "rows": rows}


@require_GET
@family_required
def reserve(request):
    """R2: choose the child, then an activity or all; the month calendar."""
    family = current_family(request)
    children = list(family.children.order_by("first_name"))
    if not children:
        return render(request, "family/reserve_no_child.html")
    if "enfant" not in request.GET:
        if len(children) == 1:
            return redirect(reserve_url(children[0]))
        return render(request, "family/reserve_choose_child.html", {"children": children})
    try:
        values = read(ReserveForm, request.GET)
    except BadValue as error:
        return bad_request(request, str(error))
    child = own_child(family, values["enfant"], among=children)
    activities = _child_activities(child)
    if not activities:
        return render(request, "family/reserve_no_child.html", {"child": child})
    activity = own_activity(family, child, values["activite"], among=activities) if values["activite"] else None
    year_month, day = values["mois"], values["jour"]
    context = calendar_context(
        request, family, child, activity, year_month, day=day, children=children, activities=activities
    )
    return render(request, "family/reserve.html", context)


def _answer(request, family, child, activity, year_month, *, error=None, day=None, draft=None, snapshot=None):
    """htmx gets the calendar (and day panel) back; without JS, back to the page."""
    if request.htmx:
        context = calendar_context(
            request, family, child, activity, year_month, error=error, day=day, draft=draft, snapshot=snapshot
        )
        return render(request, "family/_calendar.html", context)
    if error:
        messages.error(request, error)
    url = reserve_url(child, activity, year_month)
    return redirect(url + (f"&jour={day.isoformat()}" if day else ""))


def _posted_target(family, values):
    """The child, the activity shown (or None) and the month of a cleaned form."""
    child = own_child(family, values["enfant"])
    activity = own_activity(family, child, values["activite"]) if values["activite"] else None
    return child, activity, values["mois"]


@require_POST
@family_required
def toggle_day(request):
    """R5d / R7b / R7c: mark a day "à réserver" / "à annuler", or undo it."""
    family = current_family(request)
    try:
        values = read(ToggleDayForm, request.POST)
    except BadValue as error:
        return bad_request(request, str(error))
    child, shown_activity, year_month = _posted_target(family, values)
    day_activity = values["activite_jour"]
    activity = own_activity(family, child, day_activity) if day_activity else shown_activity
    if activity is None:
        raise Http404
    day, arrival, departure = values["date"], values["arrivee"], values["depart"]
    panel_day = day if values["panneau"] else None
    draft = drafts.get_draft(family, request.user)
    try:
        state = drafts.toggle_day(draft, child, activity, day, now=timezone.now(), arrival=arrival, departure=departure)
    except BookingError as error:
        response = _answer(
            request, family, child, shown_activity, year_month or (day.year, day.month), error=str(error), day=panel_day
        )
        if request.htmx:
            # The click targeted one cell; an error redraws the whole calendar with its message.
            response["HX-Retarget"] = "#calendar"
            response["HX-Reswap"] = "outerHTML"
        return response
    if request.htmx and values["cellule"] and shown_activity is not None and panel_day is None:
        return _cell_answer(request, draft, child, activity, day, state, year_month or (day.year, day.month))
    return _answer(request, family, child, shown_activity, year_month or (day.year, day.month), day=panel_day)


def _cell_answer(request, draft, child, activity, day, state, year_month):
    """One day toggled in one-activity mode: only that cell is redrawn, with the
    draft count and the status line updated out of band (R5d, fast on a phone)."""
    month_value = f"{year_month[0]:04d}-{year_month[1]:02d}"
    time_choices = activity.time_choices() if activity.has_times else []
    links = _links(child, activity, month_value, time_choices, _urls())
    cells = [calendar.cell_html(calendar.s_cell(day, state), links)]
    return render(request, "family/_day_cell_response.html", {"cells": cells, "draft_count": draft.items.count()})


@require_POST
@family_required
def toggle_set(request):
    """R5c: the week arrow, the weekday arrow and the month icon.

    htmx gets what changed: the cells of the days marked or unmarked, as
    out-of-band swaps, and the draft's count; not the whole calendar (issue 15
    point 4). Without JavaScript, back to the calendar page."""
    family = current_family(request)
    try:
        values = read(ToggleSetForm, request.POST)
    except BadValue as error:
        return bad_request(request, str(error))
    child, activity, year_month = _posted_target(family, values)
    first, last = month_bounds(*year_month)
    month_days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    kind = values["outil"]
    if kind == "semaine":
        # The form bounds the Monday to 2000–2100: its week never leaves the calendar.
        monday = values["debut"]
        week = {monday + datetime.timedelta(days=n) for n in range(7)}
        days = [d for d in month_days if d in week]
    elif kind == "jour-semaine":
        days = [d for d in month_days if d.weekday() == values["jour_semaine"]]
    else:
        days = month_days
    arrival, departure = values["arrivee"], values["depart"]
    draft = drafts.get_draft(family, request.user)
    now = timezone.now()
    # Judged and redrawn from one read of the month: marking days changes only the draft.
    snapshot = month_snapshot(child, activity, *year_month, now=now)
    problem = None
    changes = {}
    if activity.has_times and (arrival is None or departure is None):
        problem = _("Choisissez des horaires par défaut pour utiliser les outils rapides.")
    else:
        try:
            changes = drafts.toggle_set(
                draft, child, activity, days, now=now, arrival=arrival, departure=departure, snapshot=snapshot
            )
        except BookingError as exc:
            problem = str(exc)
    if problem or not request.htmx:
        response = _answer(request, family, child, activity, year_month, error=problem, draft=draft, snapshot=snapshot)
        if request.htmx:
            # The tool swaps nothing itself; an error redraws the whole calendar with its message.
            response["HX-Retarget"] = "#calendar"
            response["HX-Reswap"] = "outerHTML"
        return response
    month_value = f"{year_month[0]:04d}-{year_month[1]:02d}"
    time_choices = activity.time_choices() if activity.has_times else []
    links = _links(child, activity, month_value, time_choices, _urls())
    # The snapshot judged the days before the change; each changed day now carries its new mark.
    cells = [
        calendar.cell_html(calendar.s_cell(d, snapshot.state(child.pk, activity.pk, d, mark=mark)), links, oob=True)
        for d, mark in sorted(changes.items())
    ]
    return render(
        request,
        "family/_day_cell_response.html",
        {"cells": cells, "oob_only": True, "draft_count": draft.items.count()},
    )


@require_GET
@family_required
def opening(request):
    """Issue 14 point 2: a calendar counting down to an activity's opening asks
    here. While nothing has opened since the page was drawn (`attente`: how many
    activities it showed as not yet open), the notice again, with the seconds
    left by the server's clock; once one has opened, the whole calendar, its
    days now bookable. Without JavaScript (never polled): the calendar page."""
    family = current_family(request)
    try:
        values = read(OpeningForm, request.GET)
    except BadValue as error:
        return bad_request(request, str(error))
    child, activity, year_month = _posted_target(family, values)
    if not request.htmx:
        return redirect(reserve_url(child, activity, year_month))
    activities = [activity] if activity else _child_activities(child)
    notices = calendar.opening_notices(activities, timezone.now())
    if len(notices) >= values["attente"]:
        context = {
            "notices": notices,
            "countdown": next((n for n in notices if n.counting_down), None),
            "next_opening_in": notices[0].seconds_left if notices else None,
            "poll_seconds": opening_poll_seconds(),
            "activity": activity,
            "child": child,
            "month_value": f"{year_month[0]:04d}-{year_month[1]:02d}",
            "urls": _urls(),
        }
        return render(request, "family/_opening_notice.html", context)
    context = calendar_context(
        request, family, child, activity, year_month, activities=activities if activity is None else None,
        status=_("Les réservations sont ouvertes : vous pouvez réserver."),
    )  # fmt: skip
    response = render(request, "family/_calendar.html", context)
    response["HX-Retarget"] = "#calendar"
    response["HX-Reswap"] = "outerHTML"
    return response


@require_GET
@family_required
def day_panel(request):
    """R7b: the list of one day's activities with their S-state (all-activities mode)."""
    family = current_family(request)
    try:
        values = read(DayPanelForm, request.GET)
    except BadValue as error:
        return bad_request(request, str(error))
    child, day = own_child(family, values["enfant"]), values["date"]
    return _answer(request, family, child, None, (day.year, day.month), day=day)


@require_POST
@family_required
def discard(request):
    """R5e "Annuler" and R9 "Abandonner": forget the whole draft."""
    family = current_family(request)
    # Read (and the child found) before anything is discarded: a refused request changes nothing.
    back = read(DiscardForm, request.POST)["enfant"]
    child = own_child(family, back) if back else None
    drafts.discard(drafts.get_draft(family, request.user))
    messages.success(request, _("Vos demandes non confirmées ont été abandonnées."))
    if child is not None:
        return redirect(reserve_url(child))
    return redirect("family:reserve")


@family_required
def copy(request):
    """R6: "Recopier des réservations" from a source child/activity/period onto the target."""
    family = current_family(request)
    source = request.POST if request.method == "POST" else request.GET
    try:
        target = read(CopyTargetForm, source)
    except BadValue as error:
        return bad_request(request, str(error))
    target_child = own_child(family, target["enfant"])
    target_activity = own_activity(family, target_child, target["activite"])
    children = list(family.children.order_by("first_name"))
    month = target["mois"]
    context = {
        "child": target_child, "activity": target_activity, "children": children,
        "source_activities": list(family.structure.activities.filter(enrolments__child__family=family).distinct().order_by("name")),
        "values": source, "month_value": f"{month[0]:04d}-{month[1]:02d}" if month else "",
    }  # fmt: skip
    if request.method != "POST":
        return render(request, "family/copy.html", context)
    try:
        # The page is shown again with the message: the parent corrects the period there.
        values = read(CopySourceForm, source)
        source_child = own_child(family, values["source_enfant"])
        source_activity = own_activity(family, source_child, values["source_activite"])
        copied, not_copied = drafts.copy_bookings(
            drafts.get_draft(family, request.user), source_child, source_activity, values["du"], values["au"],
            target_child, target_activity, now=timezone.now(),
        )  # fmt: skip
    except (BadValue, BookingError, Http404) as error:
        context["error"] = str(error) if not isinstance(error, Http404) else _("Enfant ou activité source invalide.")
        # A malformed value is a 400 (nothing changed); a source that is not the
        # family's, or a booking rule's refusal, is an answer on the page.
        return render(request, "family/copy.html", context, status=400 if isinstance(error, BadValue) else 200)
    context.update(done=True, copied=copied, not_copied=not_copied)
    return render(request, "family/copy.html", context)


@require_GET
@family_required
def recap(request):
    """R9: the two tables of the draft, with Confirmer / Modifier / Abandonner."""
    family = current_family(request)
    # The draft (its token: the version Confirmer posts back) is read before its
    # items: a change committed in between comes with a newer token, so Confirmer
    # says "Vos demandes ont changé" rather than record a day this page did not show.
    draft = drafts.get_draft(family, request.user)
    items = list(
        draft.items.select_related("child", "activity").order_by("date", "child__first_name", "activity__name")
    )
    back_url = None
    if items:
        # "Modifier" goes back to the calendar showing the draft: the first day's
        # child and month, in one-activity mode when that child's marks share one.
        first = items[0]
        one_activity = len({i.activity_id for i in items if i.child_id == first.child_id}) == 1
        back_url = reserve_url(
            first.child, first.activity if one_activity else None, (first.date.year, first.date.month)
        )
    # Issue 14 point 3: what "Confirmer" would record now, from the same rules
    # and places as the confirmation (an estimate: the confirmation decides, R10).
    forecasts = forecast_draft(family, items, now=timezone.now())
    rows = [(i, forecasts.get(i.pk)) for i in items]
    # Issues 16/17: an overdue invoice or a missing document may block new
    # bookings (the structure's option); said here, before Confirmer.
    blocks = booking_blocks(family) if any(i.action == DraftAction.BOOK for i in items) else []
    # Issue 16 point 1: the price where the parent decides, from the invoice's
    # own line builder (an estimate: places, absences and the QF may change it).
    cost = estimate_demandes(family, [i for i in items if i.action == DraftAction.BOOK], today=timezone.localdate())
    return render(
        request,
        "family/recap.html",
        {
            "draft": draft,
            "bookings": [(i, fc) for i, fc in rows if i.action == DraftAction.BOOK],
            "cancellations": [(i, fc) for i, fc in rows if i.action == DraftAction.CANCEL],
            "back_child": items[0].child if items else None,
            "back_url": back_url,
            "booking_blocks": blocks,
            "estimated_cost": None if cost is None else euros(cost),
        },
    )


@require_POST
@family_required
def confirm(request):
    """R10: confirm the draft whose token the recap page carried.

    The recap's htmx Confirmer gets the result in the same answer, with its
    address pushed into the history: on registration night a click is one
    round trip, not a redirect and a second page. Without JavaScript the form
    posts, and is redirected to the same result page (GET, so a reload never
    posts again)."""
    family = current_family(request)
    # The account's draft is found by the UPDATE that takes its token: no read before.
    result = confirm_family_draft(family, request.POST.get("jeton", ""), user=request.user)
    if result.error:
        messages.error(request, result.error)
        if request.htmx:
            return HttpResponseClientRedirect(reverse("family:recap"))
        return redirect("family:recap")
    url = reverse("family:result", args=[result.confirmation.pk])
    if not request.htmx:
        return redirect(url)
    # The rows were built by this confirmation, child and activity included: no query.
    movements = sorted(result.movements, key=lambda m: (m.booking.date, m.booking.child.first_name, m.pk))
    context = _result_context(request, result.confirmation, movements)
    context.update(htmx_answer=True, structure_name=family.structure.name)
    return push_url(render(request, "family/_result.html", context), url)


@require_GET
@family_required
def result(request, pk):
    """R10: what was recorded, with a remark for each waitlisted or refused demande."""
    family = current_family(request)
    confirmation = Confirmation.objects.filter(pk=pk, family=family).first()
    if confirmation is None:
        raise Http404
    movements = list(
        confirmation.movements.select_related("booking__child", "booking__activity").order_by(
            "booking__date", "booking__child__first_name", "id"
        )
    )
    return render(request, "family/result.html", _result_context(request, confirmation, movements))


def _result_context(request, confirmation, movements):
    # Each row's kind and day as text, worked out once per kind and per day:
    # get_kind_display hashes every translated choice on each call, and the
    # day's name is a translation too; on registration night Confirmer answers
    # with these rows (issue 15 point 3).
    kinds = {value: str(label) for value, label in MovementKind.choices}
    days = {}
    for m in movements:
        m.kind_label = kinds.get(m.kind, m.kind)
        day = m.booking.date
        if day not in days:
            days[day] = short_day(day)
        m.day_label = days[day]
    return {
        "confirmation": confirmation,
        "movements": movements,
        "has_email": bool(request.user.email),
    }
