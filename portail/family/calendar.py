"""How a month of day states is shown: a table of weeks, each cell with an
icon, a visible or screen-reader text, and what clicking it does. Colour is
never the only cue (RGAA): every state has an icon and a text.

The cells' HTML is built here with format_html (every value escaped) rather
than by a template included once per cell: a month is 35 to 42 cells, drawn on
every click of registration night, and the include per cell was most of the
calendar's rendering time (issue 15 point 4). Each day button submits the
calendar's one day form (its `form` attribute), so a cell carries no form,
hidden input nor CSRF token of its own."""

import datetime
import math
from dataclasses import dataclass, field

from django.db.models import F, Value
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portail.booking.rules import NOT_OPEN, Mark, S, T
from portail.lib.dates import MONTH_NAMES, WEEKDAY_NAMES, short_day
from portail.structures.calendar import public_holidays
from portail.structures.models import ClosedPeriod, Opening

# state -> (icon, short text, legend text from the manual)
S_STYLE = {
    S.CLOSED: ("·", _("fermé"), _("L'activité n'est pas ouverte ou vous êtes hors délai pour réserver ce jour.")),
    S.FULL: ("✕", _("complet"), _("L'activité est complète (liste d'attente comprise) : vous ne pouvez plus la réserver.")),
    S.FREE: ("○", _("libre"), _("L'activité est ouverte, vous ne l'avez pas réservée (places restantes indiquées si limitées).")),
    S.WAITLIST_OPEN: ("◔", _("liste d'attente possible"), _("L'activité est complète, mais vous pouvez vous inscrire en liste d'attente.")),
    S.BOOKED: ("✓", _("réservé"), _("Vous avez réservé cette activité, vous pouvez encore l'annuler.")),
    S.WAITLISTED: ("◑", _("en liste d'attente"), _("Vous êtes en liste d'attente pour cette activité, vous pouvez encore l'annuler.")),
    S.BOOKED_LOCKED: ("✔", _("réservé, hors délai"), _("Vous avez réservé cette activité, mais vous êtes hors délai pour l'annuler.")),
    S.WAITLISTED_LOCKED: ("◐", _("liste d'attente, hors délai"), _("Vous êtes en liste d'attente pour cette activité, hors délai pour l'annuler.")),
}  # fmt: skip
MARK_STYLE = {
    Mark.BOOK: ("+", _("à réserver"), _("Jour que vous avez choisi de réserver (pas encore enregistré).")),
    Mark.CANCEL: ("−", _("à annuler"), _("Jour que vous avez choisi d'annuler (pas encore enregistré).")),
}
T_STYLE = {
    T.NOTHING: ("·", _("rien à réserver"), _("Aucune activité n'est ouverte ou vous êtes hors délai pour réserver les activités ouvertes.")),
    T.ALL_FULL: ("✕", _("tout complet"), _("Toutes les activités sont complètes (liste d'attente comprise).")),
    T.FREE: ("○", _("ouvert"), _("Au moins une activité est ouverte, vous n'en avez réservé aucune.")),
    T.WAITLIST_OPEN: ("◔", _("liste d'attente possible"), _("Au moins une activité est ouverte et au moins une est complète mais a encore des places en liste d'attente. Vous n'avez réservé aucune activité.")),
    T.BOOKED: ("✓", _("réservé"), _("Vous avez réservé au moins une activité. Vous pouvez encore réserver ou annuler certaines activités.")),
    T.BOOKED_WAITLIST: ("◑", _("réservé, liste d'attente"), _("Vous avez réservé au moins une activité ; au moins une (réservée ou demandée) est ou sera en liste d'attente. D'autres restent modifiables.")),
    T.LOCKED: ("✔", _("réservé, hors délai"), _("Vous avez réservé une ou plusieurs activités, mais vous êtes hors délai pour les annuler. Aucune autre activité ne peut être réservée.")),
    T.LOCKED_WAITLIST: ("◐", _("réservé (liste d'attente), hors délai"), _("Vous avez réservé une ou plusieurs activités, dont au moins une en liste d'attente, mais vous êtes hors délai pour les annuler. Aucune autre activité ne peut être réservée.")),
}  # fmt: skip
# Mode 2 (R7): a day with demandes in the draft is marked apart from a day
# with confirmed bookings only, as the S-marks do in mode 1.
T_DRAFT_STYLE = {
    Mark.BOOK: ("+", _("demandes à réserver"), _("Jour avec au moins une activité que vous avez choisi de réserver (pas encore enregistrée).")),
    Mark.CANCEL: ("−", _("demandes à annuler"), _("Jour avec au moins une activité que vous avez choisi d'annuler (pas encore enregistrée).")),
}  # fmt: skip
# The column heads « Lun » … « Dim » (Django's abbreviations, "Mon" … "Sun" in English).
WEEKDAY_ABBR = [capfirst(WEEKDAYS_ABBR[n]) for n in range(7)]
# The tool under each weekday column: its label on a wide screen and its
# accessible name. One sentence per day, so that each language words it whole
# ("Every Monday"); a phone shows the short « Tous » under the day's name.
WEEKDAY_TOOLS = [
    (_("Tous les lun. du mois"), _("Tous les lun. du mois : réserver ou annuler")),
    (_("Tous les mar. du mois"), _("Tous les mar. du mois : réserver ou annuler")),
    (_("Tous les mer. du mois"), _("Tous les mer. du mois : réserver ou annuler")),
    (_("Tous les jeu. du mois"), _("Tous les jeu. du mois : réserver ou annuler")),
    (_("Tous les ven. du mois"), _("Tous les ven. du mois : réserver ou annuler")),
    (_("Tous les sam. du mois"), _("Tous les sam. du mois : réserver ou annuler")),
    (_("Tous les dim. du mois"), _("Tous les dim. du mois : réserver ou annuler")),
]
# Within this many seconds of an activity's opening the calendar counts down
# and asks the server, every OPENING_POLL_SECONDS, whether its days are open.
COUNTDOWN_SECONDS = 3600


def weekday_heads():
    """(abbreviation, tool label, tool accessible name) of each column head, Monday first."""
    return [(abbr, title, text) for abbr, (title, text) in zip(WEEKDAY_ABBR, WEEKDAY_TOOLS, strict=True)]


@dataclass(frozen=True)
class Cell:
    day: datetime.date
    code: str  # "S2", "T4", "book"…: the CSS class and the test hook
    icon: str
    text: str | Promise  # a lazy translation, written in the language active where it is shown
    places_left: int | None = None
    waiting_position: int | None = None
    clickable: bool = False
    reason: str | None = None
    # Mode 2: the draft marks of the day's activities ("book", "cancel"), in that order.
    draft: tuple[str, ...] = ()

    @property
    def iso(self):
        return self.day.isoformat()

    @property
    def short(self):
        return short_day(self.day)

    @property
    def label(self):
        """Full text for screen readers and the title attribute; what a tap on a
        day that cannot be clicked shows in the calendar's status line."""
        # Translators: a day in the calendar's labels, « lundi 15 mai ».
        day = _("%(weekday)s %(day)s %(month)s") % {
            "weekday": WEEKDAY_NAMES[self.day.weekday()], "day": self.day.day, "month": MONTH_NAMES[self.day.month - 1],
        }  # fmt: skip
        parts = [day, str(self.text)]
        parts.extend(str(T_DRAFT_STYLE[Mark(mark)][1]) for mark in self.draft)
        if self.places_left is not None and self.code in ("S2", "book"):
            # French takes the singular for 0 and 1 ("0 place restante"), as before.
            parts.append(
                ngettext("%(count)s place restante", "%(count)s places restantes", 2 if self.places_left > 1 else 1)
                % {"count": self.places_left}
            )
        if self.waiting_position:
            parts.append(_("position %(position)s") % {"position": self.waiting_position})
        if self.reason and self.code in ("S0", "S1", "S6", "S7", "T0"):
            parts.append(str(self.reason))
        return ", ".join(parts)


def s_cell(day, state, reason=None):
    """The cell of one activity's day; `reason`: why a closed day is closed,
    when the calendar knows better than the engine's « non ouverte » (closures)."""
    if state.mark is not None:
        icon, text, _ = MARK_STYLE[state.mark]
        code = state.mark.value
    else:
        icon, text, _ = S_STYLE[state.state]
        code = state.state.value
    return Cell(
        day, code, icon, text, places_left=state.places_left, waiting_position=state.waiting_position,
        clickable=state.actionable, reason=reason or state.reason,
    )  # fmt: skip


def t_cell(day, t_state, any_actionable, draft=(), reason=None):
    icon, text, _ = T_STYLE[t_state]
    clickable = t_state is not T.NOTHING or any_actionable
    return Cell(day, t_state.value, icon, text, clickable=clickable, draft=draft, reason=reason)


# ---------------------------------------------------------------- why a day is closed


@dataclass(frozen=True)
class Closures:
    """Why days that are not open are closed: a day closed by staff (its
    reason), a closed period (its label), a public holiday. Read once per
    calendar (`closures`), so that a tap on such a day says why."""

    closed_openings: dict = field(default_factory=dict)  # (activity id, date) -> reason
    periods: dict = field(default_factory=dict)  # date -> label
    holidays: frozenset = frozenset()

    def reason(self, activity_id, day):
        """« Fermé : … » for a day closed by staff, a closed period or a public holiday; else None."""
        why = self.closed_openings.get((activity_id, day))
        if why is None:
            why = self.periods.get(day)
        if why is None and day in self.holidays:
            why = gettext("jour férié")
        if why is None:
            return None
        return gettext("Fermé : %(reason)s") % {"reason": why or gettext("fermeture exceptionnelle")}


def closures(structure, activity_ids, first, last):
    """The Closures of these activities between first and last. One query: the
    days closed by staff and the structure's closed periods, as one UNION."""
    activity_ids = list(activity_ids)
    staff_closed = (
        Opening.objects.filter(activity_id__in=activity_ids, date__range=(first, last), closed_at__isnull=False)
        .annotate(kind=Value(1), until=F("date"))
        .values_list("kind", "activity_id", "date", "until", "closure_reason")
        .order_by()
    )
    periods = (
        ClosedPeriod.objects.filter(structure_id=structure.pk, start_date__lte=last, end_date__gte=first)
        .annotate(kind=Value(2))
        .values_list("kind", "structure_id", "start_date", "end_date", "label")
        .order_by()
    )
    years = range(first.year, last.year + 1)
    found = Closures(holidays=frozenset().union(*(public_holidays(y, structure.holiday_subdivision) for y in years)))
    for kind, owner, start, end, why in staff_closed.union(periods, all=True):
        if kind == 1:
            found.closed_openings[(owner, start)] = why
            continue
        day = max(start, first)
        while day <= min(end, last):
            found.periods.setdefault(day, why)
            day += datetime.timedelta(days=1)
    return found


# ---------------------------------------------------------------- the month's grid


@dataclass(frozen=True)
class Week:
    monday: datetime.date
    cells: list  # 7 Cells, None outside the month
    html: SafeString = SafeString("")  # the row's seven <td>


def weeks(first, last):
    """(Monday, days) of the weeks covering the month; days outside the month are None."""
    monday = first - datetime.timedelta(days=first.weekday())
    rows = []
    while monday <= last:
        days = [monday + datetime.timedelta(days=n) for n in range(7)]
        rows.append((monday, [d if first <= d <= last else None for d in days]))
        monday += datetime.timedelta(days=7)
    return rows


def _t_reason(reasons):
    """Why nothing can be booked on a mode-2 day, from its activities' (name,
    reason): each reason once, with the activities it concerns when they differ."""
    by_reason: dict[str, list[str]] = {}
    for name, reason in reasons:
        by_reason.setdefault(reason, []).append(name)
    if not by_reason:
        return None
    if list(by_reason) == [str(NOT_OPEN)]:
        return gettext("Aucune activité ouverte ce jour")
    if len(by_reason) == 1:
        return next(iter(by_reason))
    return " ; ".join(f"{', '.join(names)} : {reason}" for reason, names in by_reason.items())


def month_grid(month, activity_id=None, closed=None, links=None):
    """Weeks of cells for one activity (S-states) or for all activities
    (T-states, with the draft's marks); with `links` (CellLinks), each week's
    cells drawn as HTML. `closed`: the month's Closures, for the reasons."""
    closed = closed or Closures()

    def s_reason(activity_id, day, state):
        if state.state is S.CLOSED and state.reason == str(NOT_OPEN):
            return closed.reason(activity_id, day)
        return None

    if activity_id is not None:
        days = month.activities[0].days if month.activities else {}

        def make(day):
            return s_cell(day, days[day], s_reason(activity_id, day, days[day]))
    else:

        def make(day):
            states = [(a.activity, a.days[day]) for a in month.activities]
            marks = {state.mark for _, state in states}
            draft = tuple(m.value for m in (Mark.BOOK, Mark.CANCEL) if m in marks)
            reason = None
            if month.t_states[day] is T.NOTHING:
                reason = _t_reason(
                    (activity.name, s_reason(activity.pk, day, state) or state.reason)
                    for activity, state in states
                    if state.state is S.CLOSED and state.reason
                )
            actionable = any(state.actionable for _, state in states)
            return t_cell(day, month.t_states[day], actionable, draft, reason)

    def cell(day):
        if day is None:
            return None
        if not month.activities:
            return Cell(day, S.CLOSED.value, *S_STYLE[S.CLOSED][:2])
        return make(day)

    rows = []
    for monday, week_days in weeks(month.first, month.last):
        cells = [cell(d) for d in week_days]
        html = format_html_join("", "{}", ((cell_html(c, links),) for c in cells)) if links else SafeString("")
        rows.append(Week(monday, cells, html))
    return rows


def legend(activity_id=None):
    if activity_id is not None:
        return [(s.value, *S_STYLE[s]) for s in S] + [(m.value, *MARK_STYLE[m]) for m in Mark]
    return [(t.value, *T_STYLE[t]) for t in T] + [(f"draft-{m.value}", *T_DRAFT_STYLE[m]) for m in Mark]


# ---------------------------------------------------------------- the cells' HTML


@dataclass(frozen=True)
class CellLinks:
    """What a cell's HTML needs besides its state: the calendar it belongs to."""

    child_id: int
    activity_id: int | None  # None: mode 2 (all activities)
    month_value: str
    toggle_url: str
    reserve_url: str
    panel_url: str
    times_csv: str = ""  # an activité à horaires: its times, for the time dialog
    activity_name: str = ""


OUTSIDE = SafeString('<td class="day day--outside"></td>')
HIDDEN = SafeString(' aria-hidden="true"')
NOTHING = SafeString("")


def cell_html(cell, links, *, oob=False):
    """One day's <td>. Mode 1: a button that submits the calendar's day form
    (`#day-form`) by htmx, the answer replacing this cell; mode 2: a link to the
    day's panel; a day that cannot be clicked: its text, shown on a tap by
    booking.js. `oob`: an out-of-band swap, in a quick tool's answer."""
    if cell is None:
        return OUTSIDE
    iso = cell.iso
    label = cell.label
    classes = f"day day--{cell.code}" + "".join(f" day--draft-{m}" for m in cell.draft)
    inner = format_html(
        '<span class="day-num"{}>{}</span><span class="day-icon" aria-hidden="true">{}</span>',
        NOTHING if cell.clickable else HIDDEN, cell.day.day, cell.icon,
    )  # fmt: skip
    if cell.draft:
        badges = "".join(T_DRAFT_STYLE[Mark(m)][0] for m in cell.draft)
        inner += format_html('<span class="day-badge" aria-hidden="true">{}</span>', badges)
    if cell.clickable and links.activity_id is not None:
        extra = NOTHING
        if cell.code in ("S2", "S3"):
            # The default times go with a day to book only: on a marked or booked day the click undoes or cancels it.
            extra = SafeString(' hx-include="#times-defaults"')
            if links.times_csv:
                extra += format_html(
                    ' data-times="{}" data-activity="{}" data-date="{}" data-title="{} — {}" data-mode-aware="1"',
                    links.times_csv, links.activity_id, iso, links.activity_name, cell.short,
                )  # fmt: skip
        if cell.places_left is not None and cell.code == "S2":
            inner += format_html(
                '<span class="places" aria-hidden="true">{}</span>',
                gettext("%(places)s pl.") % {"places": cell.places_left},
            )
        control = format_html(
            '<button type="submit" form="day-form" name="date" value="{}" class="day-button" id="d-{}"'
            ' aria-label="{}" title="{}" hx-post="{}" hx-target="closest td" hx-swap="outerHTML"{}>{}</button>',
            iso, iso, label, label, links.toggle_url, extra, inner,
        )  # fmt: skip
    elif cell.clickable:
        control = format_html(
            '<a class="day-button" id="d-{}" href="{}?enfant={}&amp;mois={}&amp;jour={}" hx-get="{}?enfant={}&amp;date={}"'
            ' hx-target="#calendar" hx-swap="outerHTML" aria-label="{}" title="{}">{}</a>',
            iso, links.reserve_url, links.child_id, links.month_value, iso, links.panel_url, links.child_id, iso,
            label, label, inner,
        )  # fmt: skip
    else:
        control = format_html(
            '<span class="day-static" title="{}">{}<span class="sr-only">{}</span></span>', label, inner, label
        )
    return format_html(
        '<td class="{}" data-date="{}" data-state="{}" id="c-{}"{}{}>{}</td>',
        classes, iso, cell.code, iso,
        format_html(' data-draft="{}"', " ".join(cell.draft)) if cell.draft else NOTHING,
        SafeString(' hx-swap-oob="true"') if oob else NOTHING, control,
    )  # fmt: skip


# ---------------------------------------------------------------- opening of bookings


@dataclass(frozen=True)
class OpeningNotice:
    """An activity whose bookings open later (Activity.bookings_open_at): until
    then its days are S0, and the calendar says when they open."""

    activity: object
    opens_at: datetime.datetime
    seconds_left: int

    @property
    def text(self):
        moment = timezone.localtime(self.opens_at)
        return gettext("Réservations ouvertes le %(day)s à %(time)s") % {
            "day": short_day(moment.date()), "time": f"{moment:%H:%M}",
        }  # fmt: skip

    @property
    def counting_down(self):
        return self.seconds_left <= COUNTDOWN_SECONDS

    @property
    def clock(self):
        """The seconds left as « mm:ss », as booking.js counts them down."""
        minutes, seconds = divmod(self.seconds_left, 60)
        return f"{minutes:02d}:{seconds:02d}"


def opening_notices(activities, now):
    """The notices of these activities whose bookings are not open yet, soonest
    first. The server's clock decides: the page only counts down to a moment
    at which it asks again."""
    notices = [
        OpeningNotice(a, a.bookings_open_at, max(math.ceil((a.bookings_open_at - now).total_seconds()), 1))
        for a in activities
        if a.bookings_open_at is not None and a.bookings_open_at > now and a.booking_period_end >= now.date()
    ]
    return sorted(notices, key=lambda n: (n.opens_at, n.activity.name))
